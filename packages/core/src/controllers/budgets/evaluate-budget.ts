/**
 * Evaluates a Budget for the period containing `nowMs`: what was spent, the forecast to the
 * period end, which thresholds fired (each at most once per period) and whether
 * `BlockNewWorkloads` is in force. Pure: the caller meters the spend and lists what is running.
 *
 * Forecast = spent so far + Σ over running workloads of their current USD/hour × the hours from
 * now until the earlier of the period end and the workload's expected end (when known). It
 * assumes what runs now keeps running at today's rate and nothing new starts.
 *
 * Blocking (action BlockNewWorkloads only): from the moment spend reaches `amountUSD`, or any
 * threshold of 100 % or more (Actual or Forecasted) has fired in this period, until the period
 * ends. Running workloads are never stopped by a budget.
 *
 * Example:
 * ```ts
 * const e = evaluateBudget({ spec, previous: budget.status, nowMs, spentUSD: 850, running: [{ usdPerHour: 2 }] });
 * e.newlyTriggered; // [{ percent: 80, type: 'Actual', … }] → record one event each
 * e.status;         // write to budget.status
 * ```
 */
import type { BudgetSpec, BudgetStatus, BudgetThresholdType } from '@qm/api';
import { budgetPeriodBounds } from './budget-period.js';

const HOUR_MS = 3_600_000;

/** A workload running now, charged at `usdPerHour`; `untilMs` is when it is expected to finish, if known. */
export interface RunningSpend {
  usdPerHour: number;
  untilMs?: number;
}

export interface BudgetEvaluationInput {
  spec: BudgetSpec;
  /** The budget's current status (its `triggered` list is carried over within the same period). */
  previous?: BudgetStatus;
  nowMs: number;
  /** USD spent by the budget's target since the period started. */
  spentUSD: number;
  running?: readonly RunningSpend[];
}

export interface TriggeredThreshold {
  percent: number;
  type: BudgetThresholdType;
  /** RFC 3339 time it fired. */
  time: string;
}

export interface BudgetEvaluation {
  periodStartMs: number;
  periodEndMs: number;
  spentUSD: number;
  forecastUSD: number;
  /** Every threshold fired in this period, oldest first. */
  triggered: TriggeredThreshold[];
  /** Those that fired in this evaluation: record one event for each. */
  newlyTriggered: TriggeredThreshold[];
  blocking: boolean;
  /** The status to write. */
  status: BudgetStatus;
}

export function evaluateBudget(input: BudgetEvaluationInput): BudgetEvaluation {
  const { spec, nowMs } = input;
  const { startMs, endMs } = budgetPeriodBounds(spec.period, nowMs);
  const spentUSD = Math.max(0, input.spentUSD);
  let projected = 0;
  for (const r of input.running ?? []) {
    const until = Math.min(endMs, r.untilMs ?? endMs);
    if (until > nowMs && r.usdPerHour > 0) projected += (r.usdPerHour * (until - nowMs)) / HOUR_MS;
  }
  const forecastUSD = spentUSD + projected;
  const periodStart = iso(startMs);
  const samePeriod = input.previous?.periodStart !== undefined && Date.parse(input.previous.periodStart) === startMs;
  const triggered: TriggeredThreshold[] = samePeriod
    ? (input.previous?.triggered ?? []).map((t) => ({ percent: t.percent, type: t.type, time: t.time ?? periodStart }))
    : [];
  const newlyTriggered: TriggeredThreshold[] = [];
  for (const threshold of spec.thresholds ?? []) {
    const type = threshold.type ?? 'Actual';
    if (triggered.some((t) => t.percent === threshold.percent && t.type === type)) continue;
    const value = type === 'Actual' ? spentUSD : forecastUSD;
    if (value > 0 && value >= (spec.amountUSD * threshold.percent) / 100) {
      const fired = { percent: threshold.percent, type, time: iso(nowMs) };
      triggered.push(fired);
      newlyTriggered.push(fired);
    }
  }
  const blocking = spec.action === 'BlockNewWorkloads'
    && (spentUSD >= spec.amountUSD || triggered.some((t) => t.percent >= 100));
  return {
    periodStartMs: startMs, periodEndMs: endMs, spentUSD, forecastUSD, triggered, newlyTriggered, blocking,
    status: { ...input.previous, periodStart, periodEnd: iso(endMs), spentUSD, forecastUSD, triggered, blocking },
  };
}

/** The event to record for a threshold that fired. */
export function thresholdEvent(t: TriggeredThreshold, spec: BudgetSpec, e: Pick<BudgetEvaluation, 'spentUSD' | 'forecastUSD'>): { reason: string; type: 'Warning'; message: string } {
  const value = t.type === 'Actual' ? `spent ${usd(e.spentUSD)}` : `forecast ${usd(e.forecastUSD)}`;
  return {
    reason: t.type === 'Actual' ? 'BudgetThresholdReached' : 'BudgetForecastThresholdReached',
    type: 'Warning',
    message: `${t.type} ${t.percent}% of ${usd(spec.amountUSD)} (${spec.period}) reached: ${value}`,
  };
}

export function usd(x: number): string {
  return `$${x.toFixed(2)}`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}
