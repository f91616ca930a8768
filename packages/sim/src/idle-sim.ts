/**
 * Idle GPUs in virtual time: a workload's declared utilization (annotation
 * `quartermaster.dev/simulated-gpu-utilization: "5"` on the submitted object) is its GPUs'
 * reading whenever it holds them, fed to the same tracker and detector as the live nvidia-smi
 * sampler, with the namespace's policy (`quartermaster.dev/idle-gpu-*` annotations on a
 * Namespace in `spec.objects`). Nothing ticks: after each settled instant the workloads holding
 * GPUs are sampled and a wake-up is scheduled for the instant an idle stretch reaches its window;
 * then the finding is acted on exactly as live — condition and Warning event `IdleGpus`, and with
 * action Stop a TrainingJob is stopped checkpoint-first (annotation `quartermaster.dev/stopped`,
 * phase Pending, condition and event `Stopped`; the scheduler does not queue it again) and a
 * ModelDeployment is scaled to its HPA's minReplicas (else 1). Workloads without the annotation
 * have no readings and are never judged.
 *
 * Example (simulate.ts):
 * ```ts
 * const idle = await SimIdleGpus.open({ store, clock, recorder, executor, push: (atMs) => timeline.push(atMs, RANK.budget, { type: 'idle' }) });
 * await idle.afterSettle();            // after every settled instant
 * const acted = await idle.onTimer();  // at a wake-up: true when it stopped or scaled something
 * ```
 */
import { DEFAULT_NAMESPACE, isQmError, type ApiObject, type FieldCause, type Scenario, type WatchEvent } from '@qm/api';
import {
  DEFAULT_IDLE_POLICY, IDLE_GPU_REASON, IdleGpuTracker, SIMULATED_UTILIZATION_ANNOTATION, STOPPED_ANNOTATION,
  gpuSampleName, gpusHeldBy, heldGpusKey, idleDecision, idleMinReplicas, idlePolicyFor, idleStopMessage,
  stoppedTrainingJobStatus, type Clock, type IdleFinding, type IdlePolicy, type Recorder, type Store, type WatchHandle,
} from '@qm/core';
import { jobKey, type SimExecutor } from './sim-executor.js';
import { withCondition } from './status-helpers.js';

export interface SimIdleDeps {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  executor: SimExecutor;
  /** Asks the loop for a wake-up at `atMs` (it calls onTimer then). */
  push(atMs: number): void;
}

const KINDS = ['TrainingJob', 'ModelDeployment'] as const;

export class SimIdleGpus {
  private readonly tracker = new IdleGpuTracker();
  /** kind/ns/name → the workload, for those that declare a utilization. */
  private readonly declared = new Map<string, ApiObject>();
  private readonly wakes = new Set<number>();
  private readonly handles: WatchHandle[] = [];

  private constructor(private readonly deps: SimIdleDeps) {}

  static async open(deps: SimIdleDeps): Promise<SimIdleGpus> {
    const idle = new SimIdleGpus(deps);
    for (const kind of KINDS) {
      const listed = await deps.store.list(kind);
      for (const obj of listed.items) idle.onEvent({ type: 'ADDED', object: obj });
      idle.handles.push(await deps.store.watch({ kind, resourceVersion: listed.resourceVersion }, (ev) => idle.onEvent(ev)));
    }
    return idle;
  }

  close(): void {
    for (const h of this.handles) h.close();
  }

  /** Samples every workload holding GPUs now and schedules the instants their idle stretches end. */
  async afterSettle(): Promise<void> {
    await this.run(false);
  }

  /** A wake-up: sample, and act on workloads idle for their window. True when something was stopped or scaled. */
  async onTimer(): Promise<boolean> {
    this.wakes.delete(this.deps.clock.now());
    return this.run(true);
  }

  private onEvent(ev: WatchEvent): void {
    const obj = ev.object;
    const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    if (ev.type === 'DELETED' || declaredUtilization(obj) === undefined) this.declared.delete(key);
    else this.declared.set(key, obj);
  }

  private async run(act: boolean): Promise<boolean> {
    if (this.declared.size === 0) return false;
    const nowMs = this.deps.clock.now();
    const policies = new Map<string, IdlePolicy>();
    let acted = false;
    const holding = new Set<string>();
    for (const [key, obj] of [...this.declared.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const held = gpusHeldBy(obj);
      if (held.length === 0) continue;
      holding.add(key);
      const ns = obj.metadata.namespace ?? DEFAULT_NAMESPACE;
      if (!policies.has(ns)) policies.set(ns, await this.policyOf(ns));
      const policy = policies.get(ns)!;
      const percent = declaredUtilization(obj)!;
      const samples = held.flatMap((h) => h.gpus.map((g) => ({ timeMs: nowMs, gpu: gpuSampleName(h.node, g), utilizationPercent: percent })));
      const seen = this.tracker.observe(key, heldGpusKey(held), samples, policy, nowMs);
      if (!seen.verdict.idle) {
        if (seen.idleAtMs !== undefined && seen.idleAtMs > nowMs && !this.wakes.has(seen.idleAtMs)) {
          this.wakes.add(seen.idleAtMs);
          this.deps.push(seen.idleAtMs);
        }
        if (!seen.busy) continue;
      }
      if (!act && seen.verdict.idle) continue;
      const finding: IdleFinding = seen.verdict.idle ? { type: 'idle', verdict: seen.verdict } : { type: 'busy', maxPercent: percent };
      acted = (await this.apply(obj, finding, policy, nowMs)) || acted;
    }
    this.tracker.retain(holding);
    return acted;
  }

  private async apply(obj: ApiObject, finding: IdleFinding, policy: IdlePolicy, nowMs: number): Promise<boolean> {
    const decision = idleDecision(obj, finding, policy, nowMs);
    if (!decision.condition) return false;
    const ref = { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
    if (decision.stop && finding.type === 'idle') {
      if (obj.kind === 'TrainingJob') {
        const message = idleStopMessage(finding.verdict, policy, nowMs);
        // The mark first, so the scheduler's next pass does not queue the Pending job again.
        const current = await this.deps.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
        if (!current) return false;
        await this.deps.store.update({ ...current, metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, [STOPPED_ANNOTATION]: IDLE_GPU_REASON } } });
        const stopped = await this.deps.executor.stopSaving(jobKey(obj.metadata.namespace, obj.metadata.name), (status) => {
          const next = stoppedTrainingJobStatus(status, message, nowMs);
          next.conditions = withCondition(next.conditions, decision.condition!);
          return next;
        });
        if (!stopped) return false;
        this.deps.recorder.record(ref, 'Warning', IDLE_GPU_REASON, decision.warning!);
        this.deps.recorder.record(ref, 'Warning', 'Stopped', message);
        return true;
      }
      const hpas = (await this.deps.store.list('HorizontalPodAutoscaler')).items;
      const target = idleMinReplicas(obj, hpas);
      const before = Number(obj.spec?.replicas ?? 1);
      const how = before > target ? `scaled from ${before} to ${target} replica${target === 1 ? '' : 's'} (its minimum)` : `already at its minimum (${target})`;
      if (before > target) await this.updateSpecReplicas(obj, target);
      await this.writeCondition(obj, { ...decision.condition, message: `${decision.condition.message}; ${how}` });
      this.deps.recorder.record(ref, 'Warning', IDLE_GPU_REASON, `${decision.warning}: ${how}`);
      return before > target;
    }
    await this.writeCondition(obj, decision.condition);
    if (decision.warning) this.deps.recorder.record(ref, 'Warning', IDLE_GPU_REASON, decision.warning);
    return false;
  }

  private async policyOf(ns: string): Promise<IdlePolicy> {
    const namespace = await this.deps.store.get('Namespace', undefined, ns);
    try {
      return idlePolicyFor(namespace?.metadata.annotations);
    } catch {
      return DEFAULT_IDLE_POLICY; // refused up front by idleScenarioProblems
    }
  }

  private async updateSpecReplicas(obj: ApiObject, replicas: number): Promise<void> {
    const current = await this.deps.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (current) await this.deps.store.update({ ...current, spec: { ...current.spec, replicas } });
  }

  private async writeCondition(obj: ApiObject, condition: Record<string, any>): Promise<void> {
    const current = await this.deps.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    if (!current) return;
    try {
      await this.deps.store.update({ ...current, status: { ...current.status, conditions: withCondition(current.status?.conditions, condition as any) } }, { subresource: 'status' });
    } catch (err) {
      if (!isQmError(err, 'NotFound')) throw err;
    }
  }
}

/** The declared utilization percent, or undefined when absent or not a percent. */
function declaredUtilization(obj: ApiObject): number | undefined {
  const raw = obj.metadata.annotations?.[SIMULATED_UTILIZATION_ANNOTATION];
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined;
}

/**
 * Bad idle-GPU annotations in a scenario, refused before anything runs: a declared utilization
 * that is not a percent, a Namespace's idle policy that `idlePolicyFor` rejects.
 */
export function idleScenarioProblems(scenario: Scenario): FieldCause[] {
  const causes: FieldCause[] = [];
  const visit = (obj: ApiObject, path: string): void => {
    const raw = obj.metadata?.annotations?.[SIMULATED_UTILIZATION_ANNOTATION];
    if (raw !== undefined && declaredUtilization(obj) === undefined) {
      causes.push({ field: `${path}.metadata.annotations[${SIMULATED_UTILIZATION_ANNOTATION}]`, reason: 'FieldValueInvalid', message: `must be a percent in [0, 100], got ${JSON.stringify(raw)}` });
    }
    if (obj.kind === 'Namespace') {
      try {
        idlePolicyFor(obj.metadata?.annotations);
      } catch (err) {
        causes.push({ field: path, reason: 'FieldValueInvalid', message: (err as Error).message });
      }
    }
  };
  (scenario.spec.objects ?? []).forEach((o, i) => visit(o as ApiObject, `spec.objects[${i}]`));
  (scenario.spec.submissions ?? []).forEach((s, i) => visit(s.object as ApiObject, `spec.submissions[${i}].object`));
  return causes;
}
