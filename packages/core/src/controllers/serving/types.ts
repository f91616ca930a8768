/**
 * Inputs and outputs of the pure ModelDeployment controller (reconcileModelDeployment).
 *
 * The model: each of a deployment's scheduler slots (`status.replicaPlacements[].index`, one
 * per replica, plus `status.surgeReplicas` extra slots during a rolling update) holds at most
 * one replica (a pod). A replica belongs to one revision (a hash of the pod template) and keeps
 * its name for life; the runtime starts its process once its slot has a placement and restarts
 * it on failure. The controller decides which replicas exist and in which slot.
 *
 * Example:
 * ```ts
 * const d = reconcileModelDeployment({ deployment, replicas: runtime.observe(), nowMs, nextSeq, endpoint });
 * // d.create: [{ name: 'chat-1a2b3c4d-7', index: 3, revision: '1a2b3c4d' }], d.remove, d.moves, d.status
 * ```
 */
import type { ApiObject } from '@qm/api';

/**
 * Pending: no process (its slot has no placement yet, or it was preempted);
 * Starting: the process runs and has never been ready; Running: the process runs;
 * Failed: the process exited and waits to be restarted (crash-loop back-off);
 * Terminating: asked to stop (no longer counted as a replica).
 */
export type ServingReplicaPhase = 'Pending' | 'Starting' | 'Running' | 'Failed' | 'Terminating';

/** One replica as the runtime sees it. */
export interface ObservedServingReplica {
  /** Stable for the replica's life; also its gateway route id. */
  name: string;
  /** The scheduler slot it lives in. */
  index: number;
  /** templateRevision() of the spec it was created from. */
  revision: string;
  phase: ServingReplicaPhase;
  /** Passing its readiness probe (receives traffic). */
  ready: boolean;
  /** When the controller created it. */
  createdMs: number;
  restarts: number;
  /** Why it is not ready / last failure, in words (kept free of timings so status stays stable). */
  message?: string;
}

/** A slot's placement as the scheduler writes it into status.replicaPlacements. */
export interface SlotPlacement {
  index: number;
  node: string;
  gpus?: number[];
  admittedAt?: string;
  [key: string]: unknown;
}

export interface ServingReconcileInput {
  deployment: ApiObject;
  replicas: readonly ObservedServingReplica[];
  nowMs: number;
  /** The next number for a new replica's name (the caller keeps the counter). */
  nextSeq: number;
  /** `status.endpoint` (the gateway URL of this deployment); absent leaves it as it is. */
  endpoint?: string;
}

export type RemoveReason = 'ScaledDown' | 'Superseded' | 'Unhealthy';

export interface ServingDecision {
  /** Replicas to add (Pending until their slot has a placement). */
  create: Array<{ name: string; index: number; revision: string }>;
  /** Replicas to stop and forget once their process exited. */
  remove: Array<{ name: string; reason: RemoveReason }>;
  /** Replicas that change slot (out of the surge range into a free slot); their process keeps running. */
  moves: Array<{ name: string; from: number; to: number }>;
  nextSeq: number;
  /** The full next status (the scheduler's fields kept; replicaPlacements updated for moves). */
  status: Record<string, any>;
  events: Array<{ type: 'Normal' | 'Warning'; reason: string; message: string }>;
}
