/**
 * Admission's view of budgets: which budgets cover a new workload, and the error that refuses it
 * while one of them blocks. Reads only `status.blocking` and `status.periodEnd` (written by the
 * budget controller via evaluateBudget), so a status left over from an earlier period never blocks.
 *
 * Example:
 * ```ts
 * const blocker = blockingBudget(budgets, { namespace: 'team-a', queue: 'team-a' }, nowMs);
 * if (blocker) throw budgetAdmissionError(blocker);
 * ```
 */
import { QmError, type Budget, type BudgetSpec } from '@qm/api';
import { usd } from './evaluate-budget.js';

export interface BudgetTarget {
  namespace: string;
  queue?: string;
}

/** Whether the budget's target is this namespace or this queue. */
export function budgetCovers(spec: BudgetSpec, target: BudgetTarget): boolean {
  if (spec.target.namespace !== undefined) return spec.target.namespace === target.namespace;
  return spec.target.queue !== undefined && spec.target.queue === target.queue;
}

/** The first (by namespace/name) budget that covers the target and blocks new workloads now, if any. */
export function blockingBudget(budgets: readonly Budget[], target: BudgetTarget, nowMs: number): Budget | undefined {
  return [...budgets]
    .sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`))
    .find((b) => b.spec.action === 'BlockNewWorkloads' && b.status?.blocking === true
      && b.status.periodEnd !== undefined && Date.parse(b.status.periodEnd) > nowMs
      && budgetCovers(b.spec, target));
}

/** The 403 that refuses a workload, naming the budget. */
export function budgetAdmissionError(budget: Budget): QmError {
  const name = budget.metadata.namespace ? `${budget.metadata.namespace}/${budget.metadata.name}` : budget.metadata.name;
  const s = budget.status ?? {};
  const spent = s.spentUSD !== undefined ? `spent ${usd(s.spentUSD)}` : 'spend unknown';
  const forecast = s.forecastUSD !== undefined ? `, forecast ${usd(s.forecastUSD)}` : '';
  return new QmError('Forbidden',
    `budget ${name} blocks new workloads: ${spent}${forecast} of ${usd(budget.spec.amountUSD)} this ${budget.spec.period.toLowerCase()} period (until ${s.periodEnd ?? 'the period ends'}); running workloads are not affected`,
    { name: budget.metadata.name, kind: 'budgets', group: 'ml.quartermaster.dev' });
}
