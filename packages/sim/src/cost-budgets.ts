/**
 * Budgets in virtual time: after every instant the loop settles, each Budget of the scenario is
 * evaluated with @qm/core's budgetSpend + evaluateBudget (as the live budget loop does), its
 * status written and one event recorded per threshold crossed (BudgetThresholdReached /
 * BudgetForecastThresholdReached). Nothing ticks: `nextWakeMs()` says when the next Actual
 * threshold will be reached at the current spend rate (a forecast changes only when what runs
 * changes, i.e. at an event), so the loop wakes exactly then. A submission whose namespace or
 * queue is blocked by a `BlockNewWorkloads` budget is refused, as admission would (`refusal`).
 *
 * Example:
 * ```ts
 * const budgets = new SimBudgets({ store, clock, recorder, costs, mirror });
 * await budgets.evaluate();
 * const wake = budgets.nextWakeMs(); // schedule a wake-up then
 * ```
 */
import { isQmError, type ApiObject, type Budget } from '@qm/api';
import { blockingBudget, budgetAdmissionError, budgetPeriodBounds, budgetSpend, evaluateBudget, thresholdEvent, type Clock, type Recorder, type Store } from '@qm/core';
import type { ClusterMirror } from './cluster-mirror.js';
import type { CostLedger } from './cost-ledger.js';

const HOUR_MS = 3_600_000;

export interface SimBudgetDeps {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  costs: CostLedger;
  mirror: ClusterMirror;
}

export class SimBudgets {
  private wakeMs: number | undefined;

  constructor(private readonly deps: SimBudgetDeps) {}

  /** Evaluates every budget now; records events for thresholds newly crossed. */
  async evaluate(): Promise<void> {
    const budgets = (await this.deps.store.list('Budget')).items as Budget[];
    this.wakeMs = undefined;
    if (budgets.length === 0) return;
    const now = this.deps.clock.now();
    const intervals = this.deps.costs.budgetIntervals(now);
    const priceOf = (node: string) => this.deps.costs.priceOf(node);
    for (const budget of budgets) {
      const period = budgetPeriodBounds(budget.spec.period, now);
      const { spentUSD, running } = budgetSpend(intervals, priceOf, budget.spec.target, period.startMs, now);
      const e = evaluateBudget({ spec: budget.spec, previous: budget.status, nowMs: now, spentUSD, running });
      try {
        await this.deps.store.update({ ...budget, status: e.status } as ApiObject, { subresource: 'status' });
      } catch (err) {
        if (!isQmError(err, 'NotFound')) throw err;
        continue;
      }
      for (const t of e.newlyTriggered) {
        const ev = thresholdEvent(t, budget.spec, e);
        this.deps.recorder.record({ kind: 'Budget', namespace: budget.metadata.namespace, name: budget.metadata.name }, ev.type, ev.reason, ev.message);
      }
      // When the next Actual threshold is reached at today's rate (or the period rolls over).
      const rate = running.reduce((s, r) => s + r.usdPerHour, 0);
      const fired = new Set(e.triggered.map((t) => `${t.percent}/${t.type}`));
      for (const th of budget.spec.thresholds ?? []) {
        if ((th.type ?? 'Actual') !== 'Actual' || fired.has(`${th.percent}/Actual`) || rate <= 0) continue;
        const at = now + Math.ceil(((budget.spec.amountUSD * th.percent) / 100 - spentUSD) / rate * HOUR_MS);
        if (at > now) this.wakeMs = Math.min(this.wakeMs ?? Infinity, at);
      }
      if (rate > 0) this.wakeMs = Math.min(this.wakeMs ?? Infinity, period.endMs);
    }
  }

  /** When a threshold will next be crossed with nothing else changing; undefined = never. */
  nextWakeMs(): number | undefined {
    return this.wakeMs;
  }

  /** The error that refuses this workload now (a blocking BlockNewWorkloads budget covers it), if any. */
  async refusal(obj: ApiObject): Promise<Error | undefined> {
    if (obj.kind !== 'TrainingJob' && obj.kind !== 'ModelDeployment') return undefined;
    const budgets = (await this.deps.store.list('Budget')).items as Budget[];
    const queue = this.deps.mirror.queueFor(obj);
    const blocker = blockingBudget(budgets, { namespace: obj.metadata.namespace ?? '', ...(queue ? { queue } : {}) }, this.deps.clock.now());
    return blocker ? budgetAdmissionError(blocker) : undefined;
  }
}
