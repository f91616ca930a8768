/**
 * The public contract of the scheduling controller: what the server and the simulator call.
 *
 * Example:
 * ```ts
 * const scheduler = createScheduler({ store, recorder, clock, rng });
 * const result = await scheduler.runPass(); // { admitted: [...], preempted: [...], pending: 3, writes: 5 }
 * scheduler.close();
 * ```
 */
import type { Clock } from '../../ports/clock.js';
import type { Recorder } from '../../ports/recorder.js';
import type { Rng } from '../../ports/rng.js';
import type { Store } from '../../ports/store.js';

export interface SchedulerConfig {
  /** A gang heading its queue this long gets capacity held for it (default 10 min). */
  starvationBoundMs: number;
  /** A workload admitted less than this long ago is not preempted (default 0). */
  minRuntimeBeforePreemptionMs: number;
  /** How many pending workloads per queue get an estimatedStartTime (default 50); bounds cost. */
  estimateHorizon: number;
  /**
   * How often the estimated start times are recomputed (default 10 s; 0 = every pass). The
   * passes between decide without them and keep each pending workload's last estimate: the
   * forecast costs as much as the decisions, and a pass runs on every change.
   */
  estimateIntervalMs: number;
}

export const DEFAULT_SCHEDULER_CONFIG: Readonly<SchedulerConfig> = Object.freeze({
  starvationBoundMs: 10 * 60_000,
  minRuntimeBeforePreemptionMs: 0,
  estimateHorizon: 50,
  estimateIntervalMs: 10_000,
});

export interface SchedulerDeps {
  store: Store;
  recorder: Recorder;
  clock: Clock;
  rng: Rng;
  config?: Partial<SchedulerConfig>;
}

/** One schedulable unit: a whole TrainingJob (gang), or one ModelDeployment replica. */
export interface WorkloadKey {
  kind: 'TrainingJob' | 'ModelDeployment';
  namespace: string;
  name: string;
  /** ModelDeployment replica index. */
  replica?: number;
}

export type PreemptionRule = 'withinQueue' | 'reclaim' | 'fairShare';

export interface SchedulingPassResult {
  admitted: WorkloadKey[];
  preempted: Array<{ victim: WorkloadKey; preemptor: WorkloadKey; rule: PreemptionRule }>;
  /** Workloads still pending after the pass. */
  pending: number;
  /** Status writes the pass made (0 over an unchanged cluster). */
  writes: number;
  /** No timing in core: callers measure. */
  cycleMs?: never;
}

/** A long-lived scheduler with an in-memory mirror of the store (kept current through store.watch), so a pass does not relist. */
export interface Scheduler {
  runPass(): Promise<SchedulingPassResult>;
  close(): void;
}
