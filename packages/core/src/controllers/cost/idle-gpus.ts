/**
 * Idle-GPU detection: a workload whose GPUs all stay below a utilization threshold (default
 * 10 %) for a whole window (default 24 h) is idle. The window and threshold can be set per
 * namespace with annotations; samples come from `nvidia-smi` live or from a declared
 * utilization in a scenario. Pure: the caller keeps the samples and records the warning.
 *
 * Example:
 * ```ts
 * const policy = idlePolicyFor(namespace.metadata.annotations);          // { thresholdPercent: 10, windowMs: 86_400_000 }
 * const verdict = detectIdleGpus(samples, policy, nowMs);
 * if (verdict.idle) recorder.record(jobRef, 'Warning', IDLE_GPU_REASON, idleGpuMessage(verdict, policy));
 * ```
 */
import { QmError, parseDurationSeconds, type ApiObject, type Condition } from '@qm/api';
import { setCondition } from '../training/conditions.js';

export const IDLE_THRESHOLD_ANNOTATION = 'quartermaster.dev/idle-gpu-threshold-percent';
export const IDLE_WINDOW_ANNOTATION = 'quartermaster.dev/idle-gpu-window';
/** `Warn` (default): event and condition only. `Stop`: also stop training, scale serving to its minimum. */
export const IDLE_ACTION_ANNOTATION = 'quartermaster.dev/idle-gpu-action';
/** The event reason and the status condition type of an idle-GPU finding. */
export const IDLE_GPU_REASON = 'IdleGpus';

export type IdleAction = 'Warn' | 'Stop';
export const IDLE_ACTIONS: readonly IdleAction[] = ['Warn', 'Stop'];

export interface IdlePolicy {
  thresholdPercent: number;
  windowMs: number;
  /** What to do once idle; absent = `Warn`. */
  action?: IdleAction;
}

export const DEFAULT_IDLE_POLICY: IdlePolicy = { thresholdPercent: 10, windowMs: 24 * 3_600_000 };

/** One reading of one GPU a workload holds. */
export interface GpuUtilizationSample {
  timeMs: number;
  gpu: string;
  utilizationPercent: number;
}

export interface IdleVerdict {
  idle: boolean;
  /** Start of the current stretch in which every reading was below the threshold. */
  belowSinceMs?: number;
  /** Highest reading within that stretch. */
  maxPercent?: number;
}

/**
 * The namespace's policy: annotation values over the defaults. A bad annotation is a QmError
 * naming it (a threshold outside [0, 100], a window that is not a positive duration).
 */
export function idlePolicyFor(annotations: Record<string, string> | undefined, defaults: IdlePolicy = DEFAULT_IDLE_POLICY): IdlePolicy {
  const policy = { ...defaults };
  const threshold = annotations?.[IDLE_THRESHOLD_ANNOTATION];
  if (threshold !== undefined) {
    const n = Number(threshold);
    if (threshold.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
      throw new QmError('Invalid', `metadata.annotations[${IDLE_THRESHOLD_ANNOTATION}]: must be a percent in [0, 100], got ${JSON.stringify(threshold)}`);
    }
    policy.thresholdPercent = n;
  }
  const window = annotations?.[IDLE_WINDOW_ANNOTATION];
  if (window !== undefined) {
    let seconds: number;
    try {
      seconds = parseDurationSeconds(/^\d+(\.\d+)?$/.test(window) ? Number(window) : window);
    } catch (err) {
      throw new QmError('Invalid', `metadata.annotations[${IDLE_WINDOW_ANNOTATION}]: ${(err as Error).message}`);
    }
    if (!(seconds > 0)) throw new QmError('Invalid', `metadata.annotations[${IDLE_WINDOW_ANNOTATION}]: must be longer than 0, got ${JSON.stringify(window)}`);
    policy.windowMs = seconds * 1000;
  }
  const action = annotations?.[IDLE_ACTION_ANNOTATION];
  if (action !== undefined) {
    if (!IDLE_ACTIONS.includes(action as IdleAction)) {
      throw new QmError('Invalid', `metadata.annotations[${IDLE_ACTION_ANNOTATION}]: must be one of ${IDLE_ACTIONS.join(', ')}, got ${JSON.stringify(action)}`);
    }
    policy.action = action as IdleAction;
  }
  return policy;
}

/**
 * Idle when the readings of every GPU have stayed below the threshold since at least
 * `windowMs` before `nowMs`, with readings covering that stretch from its start (a workload
 * observed for less than the window is not judged yet). A reading at or above the threshold on
 * any GPU starts the stretch over after it.
 */
export function detectIdleGpus(samples: readonly GpuUtilizationSample[], policy: IdlePolicy, nowMs: number): IdleVerdict {
  const sorted = samples.filter((s) => s.timeMs <= nowMs).sort((a, b) => a.timeMs - b.timeMs);
  if (sorted.length === 0) return { idle: false };
  let belowSinceMs: number | undefined = sorted[0].timeMs;
  let maxPercent = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i];
    if (s.utilizationPercent >= policy.thresholdPercent) {
      belowSinceMs = sorted[i + 1]?.timeMs;
      maxPercent = 0;
    } else {
      maxPercent = Math.max(maxPercent, s.utilizationPercent);
    }
  }
  if (belowSinceMs === undefined) return { idle: false };
  return { idle: nowMs - belowSinceMs >= policy.windowMs, belowSinceMs, maxPercent };
}

/** The warning's message: what was seen, for how long, and how to change the policy. */
export function idleGpuMessage(verdict: IdleVerdict, policy: IdlePolicy, nowMs: number): string {
  const forMs = verdict.belowSinceMs === undefined ? 0 : nowMs - verdict.belowSinceMs;
  return `GPUs below ${policy.thresholdPercent}% utilization (max ${verdict.maxPercent ?? 0}%) for ${durationText(forMs)} `
    + `(window ${durationText(policy.windowMs)}; set ${IDLE_THRESHOLD_ANNOTATION} / ${IDLE_WINDOW_ANNOTATION} on the namespace to change)`;
}

/** `24h`, `1.5h`, `30m`, `2s`: hours from an hour up, else minutes, else seconds (one decimal). */
function durationText(ms: number): string {
  const round = (n: number) => Math.round(n * 10) / 10;
  if (ms >= 3_600_000) return `${round(ms / 3_600_000)}h`;
  if (ms >= 60_000) return `${round(ms / 60_000)}m`;
  return `${round(ms / 1000)}s`;
}

// ── Workloads: the GPUs they hold, a sample history per placement, and what a finding writes ──

/**
 * Set by the platform on a TrainingJob it stopped (value: why, e.g. `IdleGpus`). The scheduler
 * does not admit a Pending job that carries it, so a stopped job stays stopped until the user
 * removes the annotation (or sets it to `"false"`); then it is queued again and resumes from
 * its last checkpoint.
 */
export const STOPPED_ANNOTATION = 'quartermaster.dev/stopped';
/** A scenario's declared GPU utilization (percent) of a workload: the simulator's "nvidia-smi". */
export const SIMULATED_UTILIZATION_ANNOTATION = 'quartermaster.dev/simulated-gpu-utilization';
/** The condition a platform stop sets on a TrainingJob. */
export const STOPPED_CONDITION = 'Stopped';

/** GPU indices a workload holds on one node. */
export interface HeldGpus {
  node: string;
  gpus: number[];
}

/**
 * The GPUs a workload holds now, per node (sorted): a Running TrainingJob's `status.workers[]`,
 * a ModelDeployment's `status.replicaPlacements[]`. Entries without GPU indices are skipped.
 *
 * Example: `gpusHeldBy(job)` → `[{node: 'gpu-1', gpus: [0, 1, 2, 3]}]`
 */
export function gpusHeldBy(obj: ApiObject): HeldGpus[] {
  const status = (obj.status ?? {}) as Record<string, any>;
  let entries: unknown;
  if (obj.kind === 'TrainingJob') entries = status.phase === 'Running' ? status.workers : undefined;
  else if (obj.kind === 'ModelDeployment') entries = status.replicaPlacements;
  if (!Array.isArray(entries)) return [];
  const byNode = new Map<string, Set<number>>();
  for (const e of entries as Array<Record<string, unknown>>) {
    if (typeof e?.node !== 'string' || !Array.isArray(e.gpus)) continue;
    const set = byNode.get(e.node) ?? new Set<number>();
    for (const g of e.gpus) if (Number.isInteger(g)) set.add(g as number);
    if (set.size > 0) byNode.set(e.node, set);
  }
  return [...byNode.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([node, set]) => ({ node, gpus: [...set].sort((a, b) => a - b) }));
}

/** A stable key for a placement: a new key starts a new sample history. `gpu-1:0,1;gpu-2:3` */
export function heldGpusKey(held: readonly HeldGpus[]): string {
  return held.map((h) => `${h.node}:${h.gpus.join(',')}`).join(';');
}

/** The sample's `gpu` name for GPU `index` on `node`. */
export function gpuSampleName(node: string, index: number): string {
  return `${node}/${index}`;
}

/** Whether the platform stopped this workload (STOPPED_ANNOTATION set, not empty, not "false"). */
export function isStoppedByPlatform(obj: ApiObject): boolean {
  const value = obj.metadata.annotations?.[STOPPED_ANNOTATION]?.trim();
  return value !== undefined && value !== '' && value.toLowerCase() !== 'false';
}

export interface IdleObservation {
  verdict: IdleVerdict;
  /** Some reading of this observation was at or above the threshold. */
  busy: boolean;
  /** When the workload will be idle if every reading stays below the threshold (undefined while busy). */
  idleAtMs?: number;
}

/**
 * Sample histories per workload for `detectIdleGpus`. A new placement (another attempt, replicas
 * moved) starts the history over. Only what can still matter is kept: readings after the last busy
 * one, and of those the stretch's first, its highest and the last window's worth.
 *
 * Example:
 * ```ts
 * const tracker = new IdleGpuTracker();
 * const seen = tracker.observe('TrainingJob/team-a/big', heldGpusKey(held), samples, policy, nowMs);
 * if (seen.verdict.idle) …
 * tracker.retain(new Set(['TrainingJob/team-a/big']));   // forget workloads no longer holding GPUs
 * ```
 */
export class IdleGpuTracker {
  private readonly histories = new Map<string, { placement: string; samples: GpuUtilizationSample[] }>();

  observe(key: string, placement: string, samples: readonly GpuUtilizationSample[], policy: IdlePolicy, nowMs: number): IdleObservation {
    let history = this.histories.get(key);
    if (!history || history.placement !== placement) {
      history = { placement, samples: [] };
      this.histories.set(key, history);
    }
    history.samples.push(...samples);
    const verdict = detectIdleGpus(history.samples, policy, nowMs);
    history.samples = prune(history.samples, policy, nowMs);
    return {
      verdict,
      busy: samples.some((s) => s.utilizationPercent >= policy.thresholdPercent),
      ...(verdict.belowSinceMs !== undefined ? { idleAtMs: verdict.belowSinceMs + policy.windowMs } : {}),
    };
  }

  /** Drops the histories of workloads not in `keys`. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of [...this.histories.keys()]) if (!keys.has(key)) this.histories.delete(key);
  }

  get size(): number {
    return this.histories.size;
  }
}

function prune(samples: GpuUtilizationSample[], policy: IdlePolicy, nowMs: number): GpuUtilizationSample[] {
  const sorted = samples.filter((s) => s.timeMs <= nowMs).sort((a, b) => a.timeMs - b.timeMs);
  let lastBusy = -1;
  sorted.forEach((s, i) => { if (s.utilizationPercent >= policy.thresholdPercent) lastBusy = i; });
  // Readings up to the last busy one cannot start the current stretch; keep the busy one itself
  // when it is the newest (it says "not idle" until the next reading).
  const stretch = lastBusy === sorted.length - 1 ? sorted.slice(lastBusy) : sorted.slice(lastBusy + 1);
  if (stretch.length <= 2) return stretch;
  const first = stretch[0];
  const highest = stretch.reduce((m, s) => (s.utilizationPercent > m.utilizationPercent ? s : m), first);
  const recentFromMs = nowMs - policy.windowMs;
  return stretch.filter((s) => s === first || s === highest || s.timeMs >= recentFromMs);
}

/** What the observation of one workload found. */
export type IdleFinding =
  | { type: 'idle'; verdict: IdleVerdict }
  /** A reading at or above the threshold. */
  | { type: 'busy'; maxPercent: number }
  /** Readings below the threshold, but not for a whole window yet. */
  | { type: 'observing' }
  /** Its GPUs give no readings (virtual GPUs, no nvidia-smi, another host): idle detection is off. */
  | { type: 'notSampled'; why: string };

export interface IdleDecision {
  /** The `IdleGpus` condition to write (undefined: the stored one is right). */
  condition?: Condition;
  /** Record a Warning `IdleGpus` event with this message (once per episode). */
  warning?: string;
  /** The namespace's policy says Stop. */
  stop?: boolean;
}

/**
 * What a finding means for a workload, given its stored `IdleGpus` condition (the episode's
 * memory: a warning is recorded only when the condition is not already True, so a restart
 * does not repeat it). A busy reading ends the episode (condition False).
 *
 * Example: `idleDecision(job, {type: 'idle', verdict}, policy, nowMs)` →
 * `{condition: {type: 'IdleGpus', status: 'True', …}, warning: 'GPUs below 10% …', stop: false}`
 */
export function idleDecision(obj: ApiObject, finding: IdleFinding, policy: IdlePolicy, nowMs: number): IdleDecision {
  const current = conditionOf(obj, IDLE_GPU_REASON);
  const at = new Date(nowMs).toISOString();
  switch (finding.type) {
    case 'idle': {
      if (current?.status === 'True') return {};
      const message = idleGpuMessage(finding.verdict, policy, nowMs);
      const action = policy.action ?? 'Warn';
      const warning = action === 'Stop' ? `${message}; idle policy Stop: ${obj.kind === 'TrainingJob' ? 'stopping (checkpoint first)' : 'scaling to the minimum'}` : message;
      return {
        condition: { type: IDLE_GPU_REASON, status: 'True', reason: IDLE_GPU_REASON, message, lastTransitionTime: at },
        warning,
        ...(action === 'Stop' ? { stop: true } : {}),
      };
    }
    case 'busy':
      if (current?.status !== 'True') return {};
      return { condition: { type: IDLE_GPU_REASON, status: 'False', reason: 'Busy', message: `GPU utilization reached ${finding.maxPercent}% (threshold ${policy.thresholdPercent}%)`, lastTransitionTime: at } };
    case 'observing':
      return {};
    case 'notSampled':
      if (current?.status === 'Unknown' && current.message === finding.why) return {};
      return { condition: { type: IDLE_GPU_REASON, status: 'Unknown', reason: 'NotSampled', message: finding.why, lastTransitionTime: at } };
  }
}

/**
 * The message a platform stop for idle GPUs carries (condition `Stopped`, event, pendingReason).
 * Example: `Stopped: idle GPUs below 10% utilization (max 2%) for 24h (window 24h; …); resume: …`
 */
export function idleStopMessage(verdict: IdleVerdict, policy: IdlePolicy, nowMs: number): string {
  return `Stopped: idle ${idleGpuMessage(verdict, policy, nowMs)}; checkpointed and not requeued — `
    + `to resume, remove annotation ${STOPPED_ANNOTATION} (or set it to "false")`;
}

/**
 * A TrainingJob's status once stopped by the platform: back to Pending with no workers (the
 * training runtime then stops the running attempt with the preemption protocol — notice,
 * checkpoint, grace — and does not restart it), conditions `Stopped`, `Running` False and
 * `Admitted` False, and the message as pendingReason. Write it after STOPPED_ANNOTATION is set,
 * so the scheduler does not queue the job again.
 */
export function stoppedTrainingJobStatus(status: Record<string, any> | undefined, message: string, nowMs: number): Record<string, any> {
  const next: Record<string, any> = { ...(status ?? {}), phase: 'Pending', workers: [], pendingReason: message };
  delete next.queuePosition;
  delete next.estimatedStartTime;
  delete next.expectedEndTime;
  let conditions = setCondition(next.conditions, { type: STOPPED_CONDITION, status: 'True', reason: IDLE_GPU_REASON, message }, nowMs);
  conditions = setCondition(conditions, { type: 'Running', status: 'False', reason: STOPPED_CONDITION, message }, nowMs);
  conditions = setCondition(conditions, { type: 'Admitted', status: 'False', reason: STOPPED_CONDITION, message }, nowMs);
  next.conditions = conditions;
  return next;
}

/**
 * The status after the user resumed a stopped job (removed STOPPED_ANNOTATION): `Stopped` and
 * `IdleGpus` False with reason Resumed, pendingReason cleared for the scheduler to fill in.
 * Undefined when there is nothing to change.
 */
export function resumedStatus(obj: ApiObject, nowMs: number): Record<string, any> | undefined {
  if (isStoppedByPlatform(obj) || conditionOf(obj, STOPPED_CONDITION)?.status !== 'True') return undefined;
  const next: Record<string, any> = { ...(obj.status ?? {}) };
  const message = `${STOPPED_ANNOTATION} was removed; queued again`;
  let conditions = setCondition(next.conditions, { type: STOPPED_CONDITION, status: 'False', reason: 'Resumed', message }, nowMs);
  if (conditionOf(obj, IDLE_GPU_REASON)?.status === 'True') {
    conditions = setCondition(conditions, { type: IDLE_GPU_REASON, status: 'False', reason: 'Resumed', message }, nowMs);
  }
  next.conditions = conditions;
  if (typeof next.pendingReason === 'string' && next.pendingReason.startsWith('Stopped:')) delete next.pendingReason;
  return next;
}

/**
 * The replicas an idle ModelDeployment is scaled to: the `minReplicas` (default 1) of a
 * HorizontalPodAutoscaler in its namespace whose scaleTargetRef names it, else 1; never more
 * than it has now.
 */
export function idleMinReplicas(deployment: ApiObject, hpas: readonly ApiObject[]): number {
  const ns = deployment.metadata.namespace;
  const hpa = hpas.find((h) => h.metadata.namespace === ns
    && (h.spec as any)?.scaleTargetRef?.kind === 'ModelDeployment' && (h.spec as any)?.scaleTargetRef?.name === deployment.metadata.name);
  const min = hpa ? Number((hpa.spec as any)?.minReplicas ?? 1) : 1;
  const current = Number((deployment.spec as any)?.replicas ?? 1);
  return Math.min(current, Number.isInteger(min) && min >= 0 ? min : 1);
}

/** A status's condition of `type`, if any. */
export function conditionOf(obj: ApiObject, type: string): Condition | undefined {
  const list = (obj.status as Record<string, any> | undefined)?.conditions;
  return Array.isArray(list) ? (list as Condition[]).find((c) => c.type === type) : undefined;
}
