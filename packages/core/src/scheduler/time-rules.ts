/**
 * When does the passing of time alone change a cycle's answer? A cycle depends on `now` only
 * through a few rules: retryAfter, the starvation bound (and the "waiting 12m" text of a held
 * gang), a queue's reclaim delay, the minimum runtime before preemption, and work lost since a
 * checkpoint or start that lies in the future. Until the earliest of those moments, a cycle over
 * the same inputs gives the same decisions, so the controller may skip it.
 *
 * Example:
 * ```ts
 * const dueMs = nextTimeRuleDueMs(input, result, nowMs, config); // Infinity when no rule is pending
 * if (nothingChanged && clock.now() < dueMs) return; // same answer as the last cycle
 * ```
 */
import type { SchedulerConfig } from '../controllers/scheduling/types.js';
import type { CycleInput, CycleResult } from './types.js';

/** The hold text rounds minutes (or tenths of hours): it can change at most every half minute. */
const HOLD_TEXT_STEP_MS = 30_000;
export const HELD_MARK = 'capacity is held for it';

/** The earliest time after `nowMs` at which a time-based rule could change the cycle's result. */
export function nextTimeRuleDueMs(input: CycleInput, result: CycleResult, nowMs: number, config: SchedulerConfig): number {
  let due = Infinity;
  const at = (t: number | undefined): void => {
    if (t !== undefined && t > nowMs && t < due) due = t;
  };
  const reclaimDelay = new Map<string, number>();
  for (const q of input.queues) if (q.reclaimDelayMs > 0) reclaimDelay.set(q.name, q.reclaimDelayMs);
  for (const p of result.pending) {
    const w = p.workload;
    at(w.retryAfterMs);
    at(w.pendingSinceMs + config.starvationBoundMs);
    const delay = w.queue === undefined ? undefined : reclaimDelay.get(w.queue);
    if (delay !== undefined) at(w.pendingSinceMs + delay);
    if (p.reason.includes(HELD_MARK)) {
      const waited = nowMs - w.pendingSinceMs;
      at(w.pendingSinceMs + (Math.floor(waited / HOLD_TEXT_STEP_MS) + 1) * HOLD_TEXT_STEP_MS);
    }
  }
  for (const w of input.workloads) {
    const a = w.admitted;
    if (!a) continue;
    const started = a.startedMs ?? a.admittedMs;
    if (config.minRuntimeBeforePreemptionMs > 0) at(started + config.minRuntimeBeforePreemptionMs);
    at(started);
    at(a.lastCheckpointMs);
  }
  for (const a of result.admitted) if (config.minRuntimeBeforePreemptionMs > 0) at(nowMs + config.minRuntimeBeforePreemptionMs);
  return due;
}
