/**
 * Evaluates every Budget every `intervalMs` (default 15 s): spend of its target (namespace or
 * queue) in the current period from the workloads' pod intervals at their nodes' prices, the
 * forecast (spend + running USD/hour × hours to the period end or the workload's expected end),
 * thresholds fired (one Warning event per threshold per period) and `blocking` for
 * `action: BlockNewWorkloads` (the admission plugin in ./budget-admission.ts reads it).
 *
 * Example:
 * ```ts
 * const loop = await startBudgetLoop({ store, clock, recorder });
 * loops.push(loop);
 * await loop.tick(); // tests: evaluate now
 * ```
 */
import type { FastifyBaseLogger } from 'fastify';
import { isQmError, type ApiObject, type Budget } from '@qm/api';
import {
  attemptWindows, budgetPeriodBounds, budgetSpend, deploymentIntervals, evaluateBudget, thresholdEvent, trainingJobIntervals,
  type BudgetInterval, type Clock, type Recorder, type Store,
} from '@qm/core';
import { loadClusterPrices } from './cost-prices.js';
import { startPeriodicLoop } from './periodic-loop.js';
import type { PlatformLoop } from './platform-loop.js';

export const DEFAULT_BUDGET_INTERVAL_MS = 15_000;

export interface BudgetLoopOptions {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  logger?: FastifyBaseLogger;
  intervalMs?: number;
}

export interface BudgetLoop extends PlatformLoop {
  tick(): Promise<void>;
}

export async function startBudgetLoop(opts: BudgetLoopOptions): Promise<BudgetLoop> {
  const intervalMs = opts.intervalMs ?? DEFAULT_BUDGET_INTERVAL_MS;
  return startPeriodicLoop({
    name: 'budgets', intervalMs, runAtStart: true, pass: () => evaluateAll(opts),
    onError: (err) => opts.logger?.error({ err }, 'budget evaluation failed; retrying next tick'),
  });
}

/** One evaluation of every Budget (exported for tests that drive time themselves). */
export async function evaluateAll(opts: Pick<BudgetLoopOptions, 'store' | 'clock' | 'recorder' | 'logger'>): Promise<void> {
  const budgets = (await opts.store.list('Budget')).items as Budget[];
  if (budgets.length === 0) return;
  const nowMs = opts.clock.now();
  const prices = await loadClusterPrices(opts.store);
  const intervals = await workloadIntervals(opts.store, nowMs, prices.defaultsFor);
  for (const budget of budgets) {
    try {
      await evaluateOne(opts, budget, intervals, prices.priceOf, nowMs);
    } catch (err) {
      opts.logger?.warn({ err, budget: budget.metadata.name, namespace: budget.metadata.namespace }, 'evaluating a budget failed');
    }
  }
}

async function evaluateOne(opts: Pick<BudgetLoopOptions, 'store' | 'recorder'>, budget: Budget, intervals: BudgetInterval[], priceOf: Parameters<typeof budgetSpend>[1], nowMs: number): Promise<void> {
  const period = budgetPeriodBounds(budget.spec.period, nowMs);
  const { spentUSD, running } = budgetSpend(intervals, priceOf, budget.spec.target, period.startMs, nowMs);
  const e = evaluateBudget({ spec: budget.spec, previous: budget.status, nowMs, spentUSD, running });
  const status = { ...e.status, spentUSD: round2(e.spentUSD), forecastUSD: round2(e.forecastUSD) };
  if (changed(budget.status, status)) {
    try {
      await opts.store.update({ ...budget, status } as ApiObject, { subresource: 'status' });
    } catch (err) {
      // Edited meanwhile: the next tick evaluates the new version and fires what is still new then.
      if (isQmError(err, 'Conflict') || isQmError(err, 'NotFound')) return;
      throw err;
    }
  }
  // Recorded after the status that remembers them is stored: once per threshold per period.
  for (const t of e.newlyTriggered) {
    const ev = thresholdEvent(t, budget.spec, e);
    opts.recorder.record({ kind: 'Budget', apiVersion: budget.apiVersion, namespace: budget.metadata.namespace, name: budget.metadata.name, uid: budget.metadata.uid }, ev.type, ev.reason, ev.message);
  }
}

/** Every workload's intervals, marking those that still hold capacity. */
export async function workloadIntervals(store: Store, nowMs: number, defaultsFor: (ns: string) => Record<string, number>): Promise<BudgetInterval[]> {
  const out: BudgetInterval[] = [];
  for (const job of (await store.list('TrainingJob')).items) {
    const open = new Set(attemptWindows(job, nowMs).filter((_, i, all) => i === all.length - 1).map((a) => a.startMs));
    const hasOpen = ((job.status?.attempts ?? []) as Array<Record<string, unknown>>).some((a) => a.startTime && !a.endTime);
    const expected = Date.parse(job.status?.expectedEndTime ?? '');
    for (const interval of trainingJobIntervals(job, nowMs, defaultsFor(job.metadata.namespace ?? ''))) {
      const isRunning = hasOpen && open.has(interval.startMs);
      out.push({ interval, running: isRunning, ...(isRunning && Number.isFinite(expected) ? { untilMs: expected } : {}) });
    }
  }
  for (const md of (await store.list('ModelDeployment')).items) {
    for (const interval of deploymentIntervals(md, nowMs, defaultsFor(md.metadata.namespace ?? ''))) out.push({ interval, running: true });
  }
  return out;
}

function changed(before: Budget['status'], after: NonNullable<Budget['status']>): boolean {
  if (!before) return true;
  if (Math.abs((before.spentUSD ?? -1) - (after.spentUSD ?? 0)) >= 0.01) return true;
  if (Math.abs((before.forecastUSD ?? -1) - (after.forecastUSD ?? 0)) >= 0.01) return true;
  return before.periodStart !== after.periodStart || before.blocking !== after.blocking
    || JSON.stringify(before.triggered ?? []) !== JSON.stringify(after.triggered ?? []);
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
