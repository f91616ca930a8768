/**
 * Inputs and outputs of the training controller's pure reconcile.
 *
 * Example:
 * ```ts
 * const decision = reconcileTrainingJob({ job, observed: executor.observe(key), nowMs: clock.now() });
 * for (const action of decision.actions) await apply(action);
 * if (decision.status) await store.update({ ...job, status: decision.status }, { subresource: 'status' });
 * ```
 */
import type { ApiObject } from '@qm/api';
import type { AttemptClass, ObservedAttempt, StopRequest, WorkerPlacement } from '../../ports/executor.js';
import type { EventType } from '../../ports/recorder.js';

export interface CheckpointRef {
  path: string;
  step: number;
  timeMs: number;
}

export interface TrainingControllerConfig {
  /** First restart backoff (doubles per failure). Default 10 s. */
  backoffBaseMs: number;
  /** Backoff cap. Default 5 min. */
  backoffMaxMs: number;
  /** spec.terminationGracePeriodSeconds when absent. Default 30 s. */
  defaultGracePeriodMs: number;
  /** On a spot notice the grace is (time left − this margin) when shorter. Default 10 s. */
  interruptionMarginMs: number;
  /** spec.maxRestarts when absent. Default 3. */
  defaultMaxRestarts: number;
  /** The runtime can only run commands (the local process runtime): a job with an image and no command fails. Default true. */
  requireCommand: boolean;
}

export const DEFAULT_TRAINING_CONFIG: TrainingControllerConfig = {
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
  defaultGracePeriodMs: 30_000,
  interruptionMarginMs: 10_000,
  defaultMaxRestarts: 3,
  requireCommand: true,
};

export interface TrainingReconcileInput {
  /** The TrainingJob as stored (spec, status, metadata.deletionTimestamp). */
  job: ApiObject;
  /** The executor's unreleased attempt of this job, if any. */
  observed?: ObservedAttempt;
  nowMs: number;
  /** Newest committed checkpoint in the job's checkpoint dir (from the catalog). */
  latestCheckpoint?: CheckpointRef;
  /** Nodes under a spot-interruption notice: node name → when the node goes away (epoch ms). */
  interruptedNodes?: ReadonlyMap<string, number>;
  /** GPUs held by live workers: node → GPU index → holder ("ns/name"). Another job's holds block a start. */
  busyGpus?: ReadonlyMap<string, ReadonlyMap<number, string>>;
  config?: Partial<TrainingControllerConfig>;
}

export type TrainingAction =
  /** Start every rank of attempt `attempt` at `workers`, resuming from `resumeFrom`. */
  | { type: 'start'; attempt: number; workers: WorkerPlacement[]; resumeFrom?: { path: string; step: number } }
  /** Notice → grace → kill for the current attempt. */
  | { type: 'stop'; request: StopRequest }
  /** The ended attempt is recorded in status: the executor may forget it. */
  | { type: 'release'; attempt: number }
  /** ttlSecondsAfterFinished passed: delete the job. */
  | { type: 'delete' };

export interface TrainingEvent {
  type: EventType;
  reason: string;
  message: string;
}

export interface TrainingDecision {
  actions: TrainingAction[];
  /** The whole new status when it changed; undefined = nothing to write. */
  status?: Record<string, any>;
  events: TrainingEvent[];
  /** Reconcile again after this long even if nothing else happens (backoff end, deadline, ttl, GPUs busy). */
  requeueAfterMs?: number;
}

/** One entry of status.attempts[] as this controller writes it (the api schema is open: extra fields are fine). */
export interface AttemptRecord {
  index: number;
  admittedAt?: string;
  startTime?: string;
  endTime?: string;
  /** The api's coarse reason (Failed covers UserError and InfraFault; Deleted is Cancelled). */
  endReason?: 'Preempted' | 'Interrupted' | 'Failed' | 'Succeeded' | 'DeadlineExceeded' | 'Deleted';
  class?: AttemptClass;
  message?: string;
  nodes?: string[];
  /** The first non-zero exit code, if any. */
  exitCode?: number;
  /** Per rank: exit code, or null when killed by a signal / lost. */
  exitCodes?: Array<number | null>;
  restoredFromStep?: number;
  lostWorkSeconds?: number;
}
