/**
 * Rolling-update arithmetic with Kubernetes' exact rounding (deployment/util):
 * maxSurge rounds percentages UP, maxUnavailable rounds them DOWN, and when both come out 0
 * maxUnavailable becomes 1 so a rollout can always move.
 *
 * Example:
 * ```ts
 * resolveFenceposts('25%', '25%', 10); // { maxSurge: 3, maxUnavailable: 2 }
 * resolveFenceposts(0, '10%', 5);      // { maxSurge: 0, maxUnavailable: 1 }  (0 and 0 → 1)
 * ```
 */
import { QmError } from '@qm/api';

export type IntOrPercent = number | string;

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/**
 * `value` as an absolute count of `total` (Kubernetes GetScaledValueFromIntOrPercent):
 * an integer is itself; "N%" is N% of total, rounded up or down as asked.
 * Throws QmError Invalid naming `field` for anything else.
 */
export function scaledValue(value: IntOrPercent | undefined, total: number, roundUp: boolean, field: string): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0) return value;
  } else {
    const m = PERCENT.exec(value.trim());
    if (m) {
      const scaled = (Number(m[1]) * total) / 100;
      // Guard float noise (e.g. 29% of 100 = 28.999…) before rounding.
      const nearest = Math.round(scaled);
      if (Math.abs(scaled - nearest) < 1e-9) return nearest;
      return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
    }
  }
  throw new QmError('Invalid', `${field} must be a non-negative integer or a percentage such as "25%", got ${JSON.stringify(value)}`, {
    causes: [{ field, reason: 'FieldValueInvalid', message: 'must be a non-negative integer or a percentage such as "25%"' }],
  });
}

export interface Fenceposts {
  /** Pods allowed above the desired count during a rollout. */
  maxSurge: number;
  /** Pods allowed below the desired count being available during a rollout. */
  maxUnavailable: number;
}

/**
 * Kubernetes ResolveFenceposts plus MaxUnavailable's cap: surge rounds up, unavailable rounds
 * down, 0/0 becomes 0/1, and maxUnavailable never exceeds `replicas` (0 when replicas is 0).
 */
export function resolveFenceposts(maxSurge: IntOrPercent | undefined, maxUnavailable: IntOrPercent | undefined, replicas: number): Fenceposts {
  const surge = scaledValue(maxSurge, replicas, true, 'spec.strategy.rollingUpdate.maxSurge');
  let unavailable = scaledValue(maxUnavailable, replicas, false, 'spec.strategy.rollingUpdate.maxUnavailable');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  if (replicas === 0) unavailable = 0;
  else if (unavailable > replicas) unavailable = replicas;
  return { maxSurge: surge, maxUnavailable: unavailable };
}

/**
 * How many pods of the new revision there should be (Kubernetes NewRSNewReplicas for RollingUpdate):
 * grow toward `replicas` without exceeding `replicas + maxSurge` pods in all.
 */
export function newRevisionTarget(replicas: number, maxSurge: number, allPods: number, newPods: number): number {
  const maxTotal = replicas + maxSurge;
  if (allPods >= maxTotal) return newPods;
  const scaleUp = Math.min(maxTotal - allPods, replicas - newPods);
  return newPods + Math.max(0, scaleUp);
}

/**
 * How many old-revision pods may go now (Kubernetes reconcileOldReplicaSets' bound):
 * all pods − (replicas − maxUnavailable) − new pods not yet available. ≤ 0 means none.
 */
export function oldScaleDownBudget(replicas: number, maxUnavailable: number, allPods: number, newPods: number, newAvailable: number): number {
  const minAvailable = replicas - maxUnavailable;
  return allPods - minAvailable - (newPods - newAvailable);
}
