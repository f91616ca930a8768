/**
 * Live idle-GPU detection: every `intervalMs` (default 30 s) samples this host's GPUs with
 * nvidia-smi, attributes each reading to the workload holding that GPU index on the host node
 * (a Running TrainingJob's status.workers[].gpus, a ModelDeployment's
 * status.replicaPlacements[].gpus) and runs the pure detector (`detectIdleGpus` via
 * `IdleGpuTracker`) with the namespace's policy (annotations `quartermaster.dev/idle-gpu-*`).
 *
 * A workload whose GPUs all stay below the threshold for the window gets condition `IdleGpus`
 * True and one Warning event `IdleGpus` per episode (a busy reading ends the episode). With
 * `quartermaster.dev/idle-gpu-action: Stop` on the namespace:
 * - a TrainingJob gets annotation `quartermaster.dev/stopped: IdleGpus` and goes back to Pending
 *   with condition `Stopped`; the training runtime stops it like a preemption (notice, checkpoint,
 *   grace) and the scheduler leaves it alone until the user removes the annotation;
 * - a ModelDeployment is scaled to its minimum (its HPA's minReplicas, else 1).
 *
 * Workloads whose GPUs give no readings (virtual GPUs, no nvidia-smi, another host) get condition
 * `IdleGpus` Unknown / NotSampled saying why; they are never called idle.
 *
 * Example (platform.ts does this):
 * ```ts
 * loops.push(await startIdleGpuLoop({ store, clock, recorder, nodeName: node.metadata.name, logger }));
 * // tests: startIdleGpuLoop({ …, sampler: createGpuSampler({ run: async () => '0, 3, 100\n' }), intervalMs: 0 }) then tick()
 * ```
 */
import type { ApiObject } from '@qm/api';
import {
  DEFAULT_IDLE_POLICY, IDLE_GPU_REASON, IdleGpuTracker, STOPPED_ANNOTATION, gpuSampleName, gpusHeldBy, heldGpusKey,
  idleDecision, idleMinReplicas, idlePolicyFor, idleStopMessage, isStoppedByPlatform, resumedStatus, stoppedTrainingJobStatus,
  type Clock, type GpuUtilizationSample, type HeldGpus, type IdleFinding, type IdlePolicy, type Recorder, type Store,
} from '@qm/core';
import { createGpuSampler, type GpuSampleResult, type GpuSampler, type GpuSamplerLogger } from './gpu-sampler.js';
import { markStopped, scaleDownTo, updateStatus } from './idle-writes.js';
import { startPeriodicLoop } from './periodic-loop.js';
import type { PlatformLoop } from './platform-loop.js';

export const DEFAULT_GPU_SAMPLE_INTERVAL_MS = 30_000;

export interface IdleGpuLoopOptions {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  /** The Node whose GPUs nvidia-smi on this host reports (the embedded host node). */
  nodeName: string;
  logger?: GpuSamplerLogger & { error?(obj: object, msg: string): void };
  /** Default: nvidia-smi through execFile. */
  sampler?: GpuSampler;
  /** Default 30 s; 0 = no timer (tests call tick()). */
  intervalMs?: number;
  /** The policy where a namespace sets none (default 10 %, 24 h, Warn). */
  defaults?: IdlePolicy;
}

export interface IdleGpuLoop extends PlatformLoop {
  /** Samples and judges now (passes never overlap; a call during one waits for it). */
  tick(): Promise<void>;
}

const KINDS = ['TrainingJob', 'ModelDeployment'] as const;

export async function startIdleGpuLoop(opts: IdleGpuLoopOptions): Promise<IdleGpuLoop> {
  const { store, clock, recorder, logger } = opts;
  const sampler = opts.sampler ?? createGpuSampler({ logger });
  const intervalMs = opts.intervalMs ?? DEFAULT_GPU_SAMPLE_INTERVAL_MS;
  const tracker = new IdleGpuTracker();
  /** ns → the bad policy message already reported. */
  const badPolicies = new Map<string, string>();

  const policies = async (): Promise<(ns: string) => IdlePolicy> => {
    const byNs = new Map<string, IdlePolicy>();
    for (const ns of (await store.list('Namespace')).items) {
      const name = ns.metadata.name;
      try {
        byNs.set(name, idlePolicyFor(ns.metadata.annotations, opts.defaults));
        badPolicies.delete(name);
      } catch (err) {
        // A bad annotation: warn (once) and judge with the defaults, never act on a guess.
        const message = `${(err as Error).message}; using the defaults (warn only)`;
        if (badPolicies.get(name) !== message) {
          badPolicies.set(name, message);
          recorder.record({ kind: 'Namespace', name, ...(ns.metadata.uid ? { uid: ns.metadata.uid } : {}), apiVersion: 'v1' }, 'Warning', 'InvalidIdlePolicy', message);
        }
        byNs.set(name, { ...(opts.defaults ?? DEFAULT_IDLE_POLICY), action: 'Warn' });
      }
    }
    return (ns) => byNs.get(ns) ?? opts.defaults ?? DEFAULT_IDLE_POLICY;
  };

  const pass = async (stopping: () => boolean): Promise<void> => {
    const sample = await sampler.sample();
    const nowMs = clock.now();
    const node = await store.get('Node', undefined, opts.nodeName);
    const virtual = new Set<number>(((node?.status?.gpus ?? []) as Array<Record<string, unknown>>)
      .filter((g) => g.model === 'virtual' && typeof g.index === 'number').map((g) => g.index as number));
    const policyOf = await policies();
    let hpas: ApiObject[] | undefined;
    const seen = new Set<string>();
    for (const kind of KINDS) {
      for (const listed of (await store.list(kind)).items) {
        if (stopping()) return;
        const key = `${kind}/${listed.metadata.namespace ?? ''}/${listed.metadata.name}`;
        try {
          const obj = await settleStopMark(listed, nowMs);
          if (!obj) continue;
          const held = gpusHeldBy(obj);
          if (held.length === 0) continue;
          seen.add(key);
          const policy = policyOf(obj.metadata.namespace ?? '');
          const finding = findingFor(key, held, sample, virtual, policy, nowMs);
          if (!finding) continue;
          const decision = idleDecision(obj, finding, policy, nowMs);
          if (!decision.condition) continue;
          if (decision.stop && finding.type === 'idle') {
            const message = idleStopMessage(finding.verdict, policy, nowMs);
            if (obj.kind === 'TrainingJob') await stopTrainingJob(obj, decision.condition, decision.warning!, message, nowMs);
            else await scaleDeployment(obj, decision.condition, decision.warning!, hpas ??= (await store.list('HorizontalPodAutoscaler')).items);
            continue;
          }
          const written = await updateStatus(store, obj, (status) => ({ ...status, conditions: replaceCondition(status.conditions, decision.condition!) }));
          if (written && decision.warning) recorder.record(refOf(obj), 'Warning', IDLE_GPU_REASON, decision.warning);
        } catch (err) {
          logger?.warn({ err, workload: key }, 'idle-GPU check of a workload failed; retrying next pass');
        }
      }
    }
    tracker.retain(seen);
  };

  /** Readings of the workload's GPUs → a finding; undefined when this pass says nothing (a failed run). */
  const findingFor = (key: string, held: HeldGpus[], sample: GpuSampleResult, virtual: ReadonlySet<number>, policy: IdlePolicy, nowMs: number): IdleFinding | undefined => {
    const elsewhere = held.filter((h) => h.node !== opts.nodeName).map((h) => h.node);
    if (elsewhere.length > 0) return { type: 'notSampled', why: `GPU utilization is not sampled on node ${elsewhere.join(', ')} (only ${opts.nodeName} runs the sampler); idle-GPU detection is off` };
    const gpus = held[0].gpus;
    const virtualHeld = gpus.filter((g) => virtual.has(g));
    if (virtualHeld.length > 0) return { type: 'notSampled', why: `GPU ${virtualHeld.join(', ')} on ${opts.nodeName} ${virtualHeld.length === 1 ? 'is' : 'are'} virtual: no utilization readings, idle-GPU detection is off` };
    if (sample.kind === 'absent') return { type: 'notSampled', why: `nvidia-smi is not installed on ${opts.nodeName}: no utilization readings, idle-GPU detection is off` };
    if (sample.kind === 'failed') return undefined;
    const byIndex = new Map(sample.readings.map((r) => [r.index, r]));
    const missing = gpus.filter((g) => !byIndex.has(g));
    if (missing.length > 0) return { type: 'notSampled', why: `nvidia-smi reports no utilization for GPU ${missing.join(', ')} on ${opts.nodeName}; idle-GPU detection is off` };
    const samples: GpuUtilizationSample[] = gpus.map((g) => ({ timeMs: nowMs, gpu: gpuSampleName(opts.nodeName, g), utilizationPercent: byIndex.get(g)!.utilizationPercent }));
    const seen = tracker.observe(key, heldGpusKey(held), samples, policy, nowMs);
    if (seen.verdict.idle) return { type: 'idle', verdict: seen.verdict };
    if (seen.busy) return { type: 'busy', maxPercent: Math.max(...samples.map((s) => s.utilizationPercent)) };
    return { type: 'observing' };
  };

  /**
   * Level-triggered follow-up of the stop mark: a marked TrainingJob still holding GPUs is moved
   * to Pending (a crash between the two writes, or a user who set the annotation by hand); an
   * unmarked one still showing `Stopped` was resumed by its user. Returns the object to judge.
   */
  const settleStopMark = async (obj: ApiObject, nowMs: number): Promise<ApiObject | undefined> => {
    if (obj.kind !== 'TrainingJob') return obj;
    const phase = obj.status?.phase;
    if (isStoppedByPlatform(obj)) {
      if (phase !== 'Running' && phase !== 'Admitted') return undefined;
      const value = obj.metadata.annotations![STOPPED_ANNOTATION];
      const idle = (obj.status?.conditions ?? []).find((c: Record<string, unknown>) => c.type === IDLE_GPU_REASON && c.status === 'True');
      const message = value === IDLE_GPU_REASON && idle
        ? `Stopped: idle ${idle.message}; checkpointed and not requeued — to resume, remove annotation ${STOPPED_ANNOTATION} (or set it to "false")`
        : `Stopped: annotation ${STOPPED_ANNOTATION}=${value}; checkpointed and not requeued — to resume, remove the annotation (or set it to "false")`;
      const written = await updateStatus(store, obj, (status) => stoppedTrainingJobStatus(status, message, nowMs));
      if (written) recorder.record(refOf(obj), 'Warning', 'Stopped', message);
      return undefined;
    }
    const resumed = resumedStatus(obj, nowMs);
    if (!resumed) return obj;
    return (await updateStatus(store, obj, (_s, current) => resumedStatus(current, nowMs))) ?? undefined;
  };

  const stopTrainingJob = async (obj: ApiObject, condition: Record<string, any>, warning: string, message: string, nowMs: number): Promise<void> => {
    // The mark first: once the job is Pending the scheduler must already see it, or it would re-admit it.
    const marked = await markStopped(store, obj, IDLE_GPU_REASON);
    if (!marked) return;
    const written = await updateStatus(store, marked, (status) => {
      const next = stoppedTrainingJobStatus(status, message, nowMs);
      next.conditions = replaceCondition(next.conditions, condition);
      return next;
    });
    if (!written) return;
    recorder.record(refOf(obj), 'Warning', IDLE_GPU_REASON, warning);
    recorder.record(refOf(obj), 'Warning', 'Stopped', message);
  };

  const scaleDeployment = async (obj: ApiObject, condition: Record<string, any>, warning: string, hpaList: ApiObject[]): Promise<void> => {
    const target = idleMinReplicas(obj, hpaList);
    const before = await scaleDownTo(store, obj, target);
    const how = before !== undefined && before > target
      ? `scaled from ${before} to ${target} replica${target === 1 ? '' : 's'} (its minimum)`
      : `already at its minimum (${target} replica${target === 1 ? '' : 's'})`;
    const fresh = await store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (!fresh) return;
    const written = await updateStatus(store, fresh, (status) => ({
      ...status, conditions: replaceCondition(status.conditions, { ...condition, message: `${condition.message}; ${how}` }),
    }));
    if (written) recorder.record(refOf(obj), 'Warning', IDLE_GPU_REASON, `${warning}: ${how}`);
  };

  return startPeriodicLoop({
    name: 'idle-gpus', intervalMs, runAtStart: true, pass,
    onError: (err) => logger?.warn({ err }, 'idle-GPU pass failed; retrying next interval'),
  });
}

function refOf(obj: ApiObject): { kind: string; namespace?: string; name: string; uid?: string; apiVersion?: string } {
  return {
    kind: obj.kind, name: obj.metadata.name, apiVersion: obj.apiVersion,
    ...(obj.metadata.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
  };
}

/** Puts `next` in place of the condition of its type (its lastTransitionTime as given). */
function replaceCondition(conditions: unknown, next: Record<string, any>): Array<Record<string, any>> {
  const list = Array.isArray(conditions) ? [...conditions] as Array<Record<string, any>> : [];
  const index = list.findIndex((c) => c.type === next.type);
  const merged = index >= 0 && list[index].status === next.status && list[index].lastTransitionTime
    ? { ...next, lastTransitionTime: list[index].lastTransitionTime } : next;
  if (index >= 0) list[index] = merged;
  else list.push(merged);
  return list;
}
