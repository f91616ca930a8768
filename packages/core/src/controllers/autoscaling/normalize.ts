/**
 * From the metrics' proposal to the replica count the HPA applies, as Kubernetes' horizontal
 * controller does it (normalizeDesiredReplicas / normalizeDesiredReplicasWithBehaviors):
 *
 * - without `behavior`: the highest recommendation of the downscale stabilization window, then
 *   `minReplicas`, `maxReplicas` and the legacy scale-up cap `max(2 × current, 4)`;
 * - with `behavior`: the lowest recommendation of the scale-up window and the highest of the
 *   scale-down window bound the change, then the `Pods`/`Percent` policies over their periods
 *   (selectPolicy Max, Min or Disabled) and min/max replicas.
 *
 * Each function returns the new recommendation log / scale events instead of mutating them.
 *
 * Example:
 * ```ts
 * const r = normalizeWithBehaviors({ currentReplicas: 10, desiredReplicas: 50, minReplicas: 1, maxReplicas: 1000,
 *   scaleUp, scaleDown, recommendations: [], scaleEvents: { up: [], down: [] }, nowMs });
 * r.desiredReplicas; // 20 with the default scale-up rules (100 % per 15 s)
 * r.limitedReason;   // 'ScaleUpLimit'
 * ```
 */
import type { HPAScalingPolicy } from '@qm/api';
import type { HpaRecommendation, HpaScaleEvent } from './types.js';

/** `behavior.scaleUp` / `scaleDown` with Kubernetes' defaults filled in. */
export interface ScalingRules {
  stabilizationWindowSeconds: number;
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: HPAScalingPolicy[];
}

export interface ScaleEvents {
  up: HpaScaleEvent[];
  down: HpaScaleEvent[];
}

export interface NormalizeResult {
  desiredReplicas: number;
  /** AbleToScale (status True): ReadyForNewScale, ScaleUpStabilized or ScaleDownStabilized. */
  ableReason: string;
  ableMessage: string;
  /** ScalingLimited: True unless the reason is DesiredWithinRange. */
  limited: boolean;
  limitedReason: string;
  limitedMessage: string;
  recommendations: HpaRecommendation[];
}

const READY = { reason: 'ReadyForNewScale', message: 'recommended size matches current size' };
const DOWN_STABILIZED = {
  reason: 'ScaleDownStabilized',
  message: 'recent recommendations were higher than current one, applying the highest recent recommendation',
};
const UP_STABILIZED = {
  reason: 'ScaleUpStabilized',
  message: 'recent recommendations were lower than current one, applying the lowest recent recommendation',
};
const WITHIN = { reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' };
const TOO_FEW = { reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' };
const TOO_MANY = { reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' };
const UP_LIMIT = { reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' };
const DOWN_LIMIT = { reason: 'ScaleDownLimit', message: 'the desired replica count is decreasing faster than the maximum scale rate' };

/** Legacy (no `behavior`) scale-up cap: at most double, and at least 4. */
export function legacyScaleUpLimit(currentReplicas: number): number {
  return Math.floor(Math.max(2 * currentReplicas, 4));
}

/** Records `desired` at `nowMs`, reusing the slot of the last entry `isOld` says is obsolete. */
function recordRecommendation(log: readonly HpaRecommendation[], desired: number, nowMs: number, isOld: (r: HpaRecommendation) => boolean): HpaRecommendation[] {
  const out = log.map((r) => ({ ...r }));
  let oldIndex = -1;
  out.forEach((r, i) => { if (isOld(r)) oldIndex = i; });
  const entry = { replicas: desired, timestampMs: nowMs };
  if (oldIndex >= 0) out[oldIndex] = entry;
  else out.push(entry);
  return out;
}

/** stabilizeRecommendation: the highest recommendation within the downscale window (no behavior). */
export function stabilizeLegacy(log: readonly HpaRecommendation[], desired: number, windowMs: number, nowMs: number): { replicas: number; recommendations: HpaRecommendation[] } {
  const cutoff = nowMs - windowMs;
  let max = desired;
  for (const r of log) if (r.timestampMs >= cutoff && r.replicas > max) max = r.replicas;
  return { replicas: max, recommendations: recordRecommendation(log, desired, nowMs, (r) => r.timestampMs < cutoff) };
}

/** convertDesiredReplicasWithRules: min/max replicas and the legacy scale-up cap. */
export function limitLegacy(currentReplicas: number, desired: number, minReplicas: number, maxReplicas: number): { replicas: number; reason: string; message: string } {
  const upLimit = legacyScaleUpLimit(currentReplicas);
  const [maxAllowed, maxWhy] = maxReplicas > upLimit ? [upLimit, UP_LIMIT] : [maxReplicas, TOO_MANY];
  if (desired < minReplicas) return { replicas: minReplicas, ...TOO_FEW };
  if (desired > maxAllowed) return { replicas: maxAllowed, ...maxWhy };
  return { replicas: desired, ...WITHIN };
}

export interface LegacyArgs {
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  downscaleWindowMs: number;
  recommendations: readonly HpaRecommendation[];
  nowMs: number;
}

/** normalizeDesiredReplicas: the whole path without `behavior`. */
export function normalizeLegacy(a: LegacyArgs): NormalizeResult {
  const stabilized = stabilizeLegacy(a.recommendations, a.desiredReplicas, a.downscaleWindowMs, a.nowMs);
  const able = stabilized.replicas !== a.desiredReplicas ? DOWN_STABILIZED : READY;
  const limit = limitLegacy(a.currentReplicas, stabilized.replicas, a.minReplicas, a.maxReplicas);
  return {
    desiredReplicas: limit.replicas,
    ableReason: able.reason, ableMessage: able.message,
    limited: limit.replicas !== stabilized.replicas, limitedReason: limit.reason, limitedMessage: limit.message,
    recommendations: stabilized.recommendations,
  };
}

/**
 * stabilizeRecommendationWithBehaviors: the recommendation is kept between the lowest of the
 * scale-up window and the highest of the scale-down window (starting from the current count).
 */
export function stabilizeWithBehaviors(
  log: readonly HpaRecommendation[], currentReplicas: number, desired: number,
  scaleUp: ScalingRules, scaleDown: ScalingRules, nowMs: number,
): { replicas: number; reason: string; message: string; recommendations: HpaRecommendation[] } {
  const upCutoff = nowMs - scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = nowMs - scaleDown.stabilizationWindowSeconds * 1000;
  let upRecommendation = desired;
  let downRecommendation = desired;
  for (const r of log) {
    if (r.timestampMs > upCutoff) upRecommendation = Math.min(r.replicas, upRecommendation);
    if (r.timestampMs > downCutoff) downRecommendation = Math.max(r.replicas, downRecommendation);
  }
  let replicas = currentReplicas;
  if (replicas < upRecommendation) replicas = upRecommendation;
  if (replicas > downRecommendation) replicas = downRecommendation;
  const why = desired >= currentReplicas ? UP_STABILIZED : DOWN_STABILIZED;
  return {
    replicas, ...why,
    recommendations: recordRecommendation(log, desired, nowMs, (r) => r.timestampMs < upCutoff && r.timestampMs < downCutoff),
  };
}

/** getReplicasChangePerPeriod: replicas changed by the events of the last `periodSeconds`. */
export function replicasChangePerPeriod(periodSeconds: number, events: readonly HpaScaleEvent[], nowMs: number): number {
  const cutoff = nowMs - periodSeconds * 1000;
  let change = 0;
  for (const e of events) if (e.timestampMs > cutoff) change += e.replicaChange;
  return change;
}

/** The most replicas the scale-up policies allow now (each measured from its period's start). */
export function scaleUpLimitWithRules(currentReplicas: number, events: ScaleEvents, rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMin = rules.selectPolicy === 'Min';
  let result = pickMin ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  for (const p of rules.policies) {
    const periodStart = currentReplicas - replicasChangePerPeriod(p.periodSeconds, events.up, nowMs)
      + replicasChangePerPeriod(p.periodSeconds, events.down, nowMs);
    // Rounded up, so that a small percentage can still add a replica.
    const proposed = p.type === 'Pods' ? periodStart + p.value : Math.ceil(periodStart * (1 + p.value / 100));
    result = pickMin ? Math.min(result, proposed) : Math.max(result, proposed);
  }
  return result;
}

/** The fewest replicas the scale-down policies allow now. */
export function scaleDownLimitWithRules(currentReplicas: number, events: ScaleEvents, rules: ScalingRules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled') return currentReplicas;
  const pickMin = rules.selectPolicy === 'Min'; // the smallest change, i.e. the highest count
  let result = pickMin ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  for (const p of rules.policies) {
    const periodStart = currentReplicas - replicasChangePerPeriod(p.periodSeconds, events.up, nowMs)
      + replicasChangePerPeriod(p.periodSeconds, events.down, nowMs);
    // Truncated toward zero, as Go's int32 conversion.
    const proposed = p.type === 'Pods' ? periodStart - p.value : Math.trunc(periodStart * (1 - p.value / 100));
    result = pickMin ? Math.max(result, proposed) : Math.min(result, proposed);
  }
  return result;
}

export interface BehaviorLimitArgs {
  currentReplicas: number;
  desiredReplicas: number;
  minReplicas: number;
  maxReplicas: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
  scaleEvents: ScaleEvents;
  nowMs: number;
}

/** convertDesiredReplicasWithBehaviorRate: the policies' rate limits and min/max replicas. */
export function limitWithBehaviors(a: BehaviorLimitArgs): { replicas: number; reason: string; message: string } {
  if (a.desiredReplicas > a.currentReplicas) {
    // Never below the current count, even when recent events used up the period's allowance.
    const upLimit = Math.max(scaleUpLimitWithRules(a.currentReplicas, a.scaleEvents, a.scaleUp, a.nowMs), a.currentReplicas);
    const [maxAllowed, why] = a.maxReplicas > upLimit ? [upLimit, UP_LIMIT] : [a.maxReplicas, TOO_MANY];
    if (a.desiredReplicas > maxAllowed) return { replicas: maxAllowed, ...why };
  } else if (a.desiredReplicas < a.currentReplicas) {
    const downLimit = Math.min(scaleDownLimitWithRules(a.currentReplicas, a.scaleEvents, a.scaleDown, a.nowMs), a.currentReplicas);
    const [minAllowed, why] = a.minReplicas < downLimit ? [downLimit, DOWN_LIMIT] : [a.minReplicas, TOO_FEW];
    if (a.desiredReplicas < minAllowed) return { replicas: minAllowed, ...why };
  }
  return { replicas: a.desiredReplicas, ...WITHIN };
}

export interface BehaviorArgs extends BehaviorLimitArgs {
  recommendations: readonly HpaRecommendation[];
}

/** normalizeDesiredReplicasWithBehaviors: the whole path with `behavior`. */
export function normalizeWithBehaviors(a: BehaviorArgs): NormalizeResult {
  const stabilized = stabilizeWithBehaviors(a.recommendations, a.currentReplicas, a.desiredReplicas, a.scaleUp, a.scaleDown, a.nowMs);
  const able = stabilized.replicas !== a.desiredReplicas ? stabilized : READY;
  const limit = limitWithBehaviors({ ...a, desiredReplicas: stabilized.replicas });
  return {
    desiredReplicas: limit.replicas,
    ableReason: able.reason, ableMessage: able.message,
    limited: limit.replicas !== stabilized.replicas, limitedReason: limit.reason, limitedMessage: limit.message,
    recommendations: stabilized.recommendations,
  };
}

function longestPeriodSeconds(rules: ScalingRules): number {
  let longest = 0;
  for (const p of rules.policies) if (p.periodSeconds > longest) longest = p.periodSeconds;
  return longest;
}

/**
 * storeScaleEvent: after a rescale with `behavior`, remembers the change for that direction's
 * policies. Events older than the direction's longest period are marked outdated and the last
 * of them is overwritten (Kubernetes' bounded log).
 */
export function storeScaleEvent(events: ScaleEvents, rules: { scaleUp: ScalingRules; scaleDown: ScalingRules }, prevReplicas: number, newReplicas: number, nowMs: number): ScaleEvents {
  const up = newReplicas > prevReplicas;
  const list = (up ? events.up : events.down).map((e) => ({ ...e }));
  const cutoff = nowMs - longestPeriodSeconds(up ? rules.scaleUp : rules.scaleDown) * 1000;
  let oldIndex = -1;
  list.forEach((e, i) => {
    if (e.timestampMs < cutoff) e.outdated = true;
    if (e.outdated) oldIndex = i;
  });
  const entry: HpaScaleEvent = { replicaChange: Math.abs(newReplicas - prevReplicas), timestampMs: nowMs, outdated: false };
  if (oldIndex >= 0) list[oldIndex] = entry;
  else list.push(entry);
  return up ? { up: list, down: events.down.map((e) => ({ ...e })) } : { up: events.up.map((e) => ({ ...e })), down: list };
}
