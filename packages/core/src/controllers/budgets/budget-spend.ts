/**
 * What a budget's target spent in the current period and what it is spending now: the inputs of
 * evaluateBudget, from pod intervals at their nodes' prices. Intervals are clipped to
 * [periodStartMs, nowMs]; the ones marked running also feed the forecast at their current
 * USD/hour (until their expected end, when known).
 *
 * Example:
 * ```ts
 * const { spentUSD, running } = budgetSpend(intervals, priceOf, spec.target, period.startMs, nowMs);
 * const e = evaluateBudget({ spec, previous: budget.status, nowMs, spentUSD, running });
 * ```
 */
import type { BudgetSpec } from '@qm/api';
import { podHourlyUSD, podIntervalCost, type PodInterval } from '../cost/metering.js';
import type { NodePrice } from '../cost/node-price.js';
import type { RunningSpend } from './evaluate-budget.js';

export interface BudgetInterval {
  interval: PodInterval;
  /** Still holding its capacity now. */
  running: boolean;
  /** When the workload is expected to finish, if known. */
  untilMs?: number;
}

export function budgetSpend(intervals: readonly BudgetInterval[], priceOf: (node: string) => NodePrice, target: BudgetSpec['target'], periodStartMs: number, nowMs: number): { spentUSD: number; running: RunningSpend[] } {
  let spentUSD = 0;
  const running: RunningSpend[] = [];
  for (const { interval, running: isRunning, untilMs } of intervals) {
    const owner = interval.owner;
    const covered = target.namespace !== undefined ? owner.namespace === target.namespace : target.queue !== undefined && owner.queue === target.queue;
    if (!covered) continue;
    const price = priceOf(interval.node);
    const startMs = Math.max(interval.startMs, periodStartMs);
    const endMs = Math.min(interval.endMs, nowMs);
    if (endMs > startMs) spentUSD += podIntervalCost({ ...interval, startMs, endMs }, price).usd;
    if (isRunning) running.push({ usdPerHour: podHourlyUSD(interval.requests, price, interval.usage), ...(untilMs !== undefined ? { untilMs } : {}) });
  }
  return { spentUSD, running };
}
