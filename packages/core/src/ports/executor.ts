/**
 * The Executor port: runs the workers of a TrainingJob attempt somewhere (OS processes on this
 * host, pods on Kubernetes, virtual workers in the simulator) and tells the controller what they
 * are doing. The training controller (core/controllers/training) decides; an Executor only acts
 * and observes.
 *
 * Lifecycle of one attempt: `start` → workers run → either they all exit on their own, or
 * `stop` (notice, grace, kill) → every worker has exited → the controller records the attempt
 * and calls `release`, after which `observe` returns undefined for the job again.
 *
 * Example:
 * ```ts
 * await executor.start({
 *   job: { namespace: 'team-a', name: 'bert', uid: 'u-1' }, attempt: 0,
 *   command: ['python3', 'train.py'], args: [], env: { QM_RUN_ID: 'u-1' },
 *   workers: [{ rank: 0, node: 'gpu-1', gpus: [0, 1] }, { rank: 1, node: 'gpu-1', gpus: [2, 3] }],
 *   checkpointDir: '/data/checkpoints/team-a/bert',
 * });
 * await executor.stop(key, { stopClass: 'Preempted', gracePeriodMs: 30_000, message: 'preempted by team-b/llm' });
 * const observed = executor.observe(key); // { attempt: 0, workers: [...], stop: {...} }
 * ```
 */

/** Which job (a recreated job with the same name has another uid, so it never sees old workers). */
export interface JobKey {
  namespace: string;
  name: string;
  uid: string;
}

/** Why an attempt ended; the training controller derives restarts and backoff from it. */
export type AttemptClass =
  | 'Succeeded'
  /** Stopped by the scheduler for a more important workload. Never uses up maxRestarts. */
  | 'Preempted'
  /** The node is going away (spot notice). Never uses up maxRestarts. */
  | 'Interrupted'
  /** A rank exited with a non-zero code. */
  | 'UserError'
  /** Killed by a signal the job did not ask for, node lost, worker failed to start. */
  | 'InfraFault'
  | 'DeadlineExceeded'
  /** The job was deleted. */
  | 'Cancelled';

export const ATTEMPT_CLASSES: readonly AttemptClass[] = [
  'Succeeded', 'Preempted', 'Interrupted', 'UserError', 'InfraFault', 'DeadlineExceeded', 'Cancelled',
];

/** One worker (rank) of an attempt and where it runs. */
export interface WorkerPlacement {
  rank: number;
  node: string;
  /** Physical GPU indices on the node (becomes CUDA_VISIBLE_DEVICES). */
  gpus: number[];
}

/** Everything needed to start one attempt of a job: the gang of all ranks at once. */
export interface AttemptSpec {
  job: JobKey;
  /** 0 for the first attempt; an executor never runs two attempts of one job at once. */
  attempt: number;
  command: string[];
  args: string[];
  workingDir?: string;
  /** Env shared by every rank (spec.env and the QM_* variables); the executor adds the per-rank ones. */
  env: Record<string, string>;
  workers: WorkerPlacement[];
  checkpointDir: string;
  /** The committed checkpoint this attempt resumes from (QM_RESUME_FROM), if any. */
  resumeFrom?: { path: string; step: number };
}

/** What one worker is doing, as the executor sees it. */
export type ObservedWorkerPhase = 'Starting' | 'Running' | 'Terminating' | 'Exited' | 'Lost';

export interface ObservedWorker extends WorkerPlacement {
  phase: ObservedWorkerPhase;
  pid?: number;
  startedAtMs?: number;
  exitedAtMs?: number;
  /** Exit code when the process exited on its own. */
  exitCode?: number;
  /** Signal name when it was killed (e.g. 'SIGKILL'). */
  signal?: string;
  /** Why it is Lost or could not start (e.g. 'spawn python3 ENOENT'). */
  error?: string;
}

/** A stop the controller asked for (kept by the executor so the attempt's class survives restarts). */
export interface StopRequest {
  stopClass: AttemptClass;
  /** How long ranks get between the notice (preempt file + SIGTERM) and SIGKILL. */
  gracePeriodMs: number;
  message?: string;
}

export interface ObservedAttempt {
  job: JobKey;
  attempt: number;
  startedAtMs: number;
  workers: ObservedWorker[];
  /** Present once stop() was called, with the time it was. */
  stop?: StopRequest & { requestedAtMs: number };
  resumeFrom?: { path: string; step: number };
}

/** True when no worker of the attempt can still run (each Exited or Lost). */
export function attemptEnded(observed: ObservedAttempt): boolean {
  return observed.workers.every((w) => w.phase === 'Exited' || w.phase === 'Lost');
}

export interface Executor {
  /**
   * Starts every rank of an attempt. Refuses (QmError Conflict) when the job already has an
   * unreleased attempt or a GPU is still held by another job's live worker. A worker that fails
   * to start does not throw: it shows up as `Lost` with an `error`, and the controller treats it
   * as an infrastructure fault.
   */
  start(spec: AttemptSpec): Promise<void>;
  /** Notice, grace, then kill for every rank of the job's current attempt. Idempotent: a second call keeps the first class. */
  stop(job: JobKey, request: StopRequest): Promise<void>;
  /** The job's current (unreleased) attempt, or undefined. */
  observe(job: JobKey): ObservedAttempt | undefined;
  /** Every unreleased attempt, including ones of jobs that no longer exist (to clean them up). */
  list(): ObservedAttempt[];
  /** Forgets an ended attempt (its logs stay). No-op when the attempt is still live or unknown. */
  release(job: JobKey, attempt: number): Promise<void>;
  /** GPUs held by live workers: `node → gpu index → job key string (ns/name)`. */
  busyGpus(): Map<string, Map<number, string>>;
  /** Called whenever an observed attempt changes (a worker started, exited, was lost). */
  onChange(listener: (job: JobKey) => void): () => void;
}
