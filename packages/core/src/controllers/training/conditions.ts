/**
 * Small helpers for Kubernetes-style conditions on a status: set one (keeping
 * lastTransitionTime when its status did not change) and find the newest true one of some types.
 *
 * Example: `conditions = setCondition(conditions, { type: 'Running', status: 'True', reason: 'Started' }, nowMs)`
 */
import type { Condition } from '@qm/api';

export function setCondition(conditions: readonly Condition[] | undefined, next: Condition, nowMs: number): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const lastTransitionTime = previous && previous.status === next.status && previous.lastTransitionTime
    ? previous.lastTransitionTime
    : new Date(nowMs).toISOString();
  const merged: Condition = { ...next, lastTransitionTime };
  if (index >= 0) list[index] = merged;
  else list.push(merged);
  return list;
}

/** The True condition among `types` with the latest lastTransitionTime (later in the list wins ties). */
export function latestTrueCondition(conditions: readonly Condition[] | undefined, types: readonly string[]): Condition | undefined {
  let best: Condition | undefined;
  let bestMs = -Infinity;
  for (const c of conditions ?? []) {
    if (c.status !== 'True' || !types.includes(c.type)) continue;
    const ms = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : 0;
    if (ms >= bestMs) {
      best = c;
      bestMs = ms;
    }
  }
  return best;
}

/** `Date.parse` that says undefined for absent or bad timestamps instead of NaN. */
export function parseTimeMs(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
