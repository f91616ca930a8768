/**
 * HPA conditions as Kubernetes sets them: one per type, appended in first-set order, and
 * `lastTransitionTime` moves only when the status changes.
 *
 * Example:
 * ```ts
 * setHpaCondition(conditions, 'AbleToScale', 'True', 'SucceededRescale', 'the HPA controller was able to update the target scale to 4', nowMs);
 * ```
 */
import type { HorizontalPodAutoscalerStatus } from '@qm/api';

export type HpaCondition = NonNullable<HorizontalPodAutoscalerStatus['conditions']>[number];
export type HpaConditionType = 'AbleToScale' | 'ScalingActive' | 'ScalingLimited';

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Sets (in place) the condition of `type`; returns the list for chaining. */
export function setHpaCondition(
  list: HpaCondition[], type: HpaConditionType, status: 'True' | 'False', reason: string, message: string, nowMs: number,
): HpaCondition[] {
  let cond = list.find((c) => c.type === type);
  if (!cond) {
    cond = { type, status: 'Unknown' };
    list.push(cond);
    cond.lastTransitionTime = isoTime(nowMs);
  } else if (cond.status !== status) {
    cond.lastTransitionTime = isoTime(nowMs);
  }
  cond.status = status;
  cond.reason = reason;
  cond.message = message;
  return list;
}
