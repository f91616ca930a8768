import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateObject, type Budget, type BudgetSpec } from '@qm/api';
import { budgetPeriodBounds } from './budget-period.js';
import { evaluateBudget } from './evaluate-budget.js';
import { blockingBudget, budgetAdmissionError } from './budget-admission.js';

const H = 3_600_000;
const spec = (over: Partial<BudgetSpec> = {}): BudgetSpec => ({
  target: { namespace: 'team-a' }, period: 'Monthly', amountUSD: 1000,
  thresholds: [{ percent: 80, type: 'Actual' }, { percent: 100, type: 'Actual' }, { percent: 100, type: 'Forecasted' }], ...over,
});

test('budgetPeriodBounds: UTC days, ISO weeks from Monday, calendar months', () => {
  const cases: Array<[string, BudgetSpec['period'], number, number, number]> = [
    ['daily mid-day', 'Daily', Date.UTC(2024, 1, 29, 13, 5), Date.UTC(2024, 1, 29), Date.UTC(2024, 2, 1)],
    ['weekly on a Thursday', 'Weekly', Date.UTC(2024, 6, 4, 15), Date.UTC(2024, 6, 1), Date.UTC(2024, 6, 8)],
    ['weekly on a Sunday belongs to the week before', 'Weekly', Date.UTC(2024, 6, 7, 23, 59), Date.UTC(2024, 6, 1), Date.UTC(2024, 6, 8)],
    ['weekly exactly at Monday 00:00', 'Weekly', Date.UTC(2024, 6, 8), Date.UTC(2024, 6, 8), Date.UTC(2024, 6, 15)],
    ['monthly in a leap February', 'Monthly', Date.UTC(2024, 1, 10), Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1)],
    ['monthly in December rolls the year', 'Monthly', Date.UTC(2024, 11, 31, 23), Date.UTC(2024, 11, 1), Date.UTC(2025, 0, 1)],
  ];
  for (const [name, period, now, start, end] of cases) assert.deepEqual(budgetPeriodBounds(period, now), { startMs: start, endMs: end }, name);
});

test('forecast = spent + running rate × hours to the period end (or to the expected finish)', () => {
  const now = Date.UTC(2024, 5, 30, 0); // 24 h before July
  const e = evaluateBudget({ spec: spec(), nowMs: now, spentUSD: 100, running: [{ usdPerHour: 10 }, { usdPerHour: 5, untilMs: now + 2 * H }, { usdPerHour: 99, untilMs: now - H }] });
  assert.equal(e.forecastUSD, 100 + 240 + 10);
  assert.equal(e.status.periodStart, '2024-06-01T00:00:00Z');
  assert.equal(e.status.periodEnd, '2024-07-01T00:00:00Z');
});

test('thresholds fire once per period, and again in the next period', () => {
  const s = spec();
  const t0 = Date.UTC(2024, 5, 20);
  const steps: Array<[string, number, number, number, string[], boolean]> = [
    // name, now, spent, running $/h, newly fired, blocking
    ['below everything', t0, 100, 0, [], false],
    ['forecast crosses 100 %', t0 + H, 500, 10, ['100/Forecasted'], true],
    ['actual crosses 80 %', t0 + 2 * H, 810, 10, ['80/Actual'], true],
    ['still above: nothing new', t0 + 3 * H, 850, 10, [], true],
    ['next month starts clean', Date.UTC(2024, 6, 1, 1), 5, 0, [], false],
  ];
  let previous: Budget['status'];
  for (const [name, now, spent, rate, fired, blocking] of steps) {
    const e = evaluateBudget({ spec: { ...s, action: 'BlockNewWorkloads' }, previous, nowMs: now, spentUSD: spent, running: rate ? [{ usdPerHour: rate }] : [] });
    assert.deepEqual(e.newlyTriggered.map((t) => `${t.percent}/${t.type}`), fired, name);
    assert.equal(e.blocking, blocking, name);
    previous = e.status;
  }
  assert.deepEqual(previous?.triggered, [], 'the new period has no triggered thresholds yet');
});

test('blocking needs action BlockNewWorkloads; spend at the amount blocks even without a 100 % threshold', () => {
  const now = Date.UTC(2024, 5, 20);
  assert.equal(evaluateBudget({ spec: spec({ thresholds: [] }), nowMs: now, spentUSD: 2000 }).blocking, false, 'Notify never blocks');
  assert.equal(evaluateBudget({ spec: spec({ thresholds: [], action: 'BlockNewWorkloads' }), nowMs: now, spentUSD: 1000 }).blocking, true);
  assert.equal(evaluateBudget({ spec: spec({ thresholds: [{ percent: 80 }], action: 'BlockNewWorkloads' }), nowMs: now, spentUSD: 900 }).blocking, false, '80 % alone does not block');
});

test('admission: a blocking budget refuses new workloads of its target with an error naming it; stale periods do not block', () => {
  const now = Date.UTC(2024, 5, 20);
  const budget = (name: string, target: BudgetSpec['target'], periodEnd: string): Budget => ({
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Budget', metadata: { name, namespace: 'team-a' },
    spec: spec({ target, action: 'BlockNewWorkloads' }), status: { blocking: true, periodEnd, spentUSD: 1010, forecastUSD: 1200 },
  });
  const budgets = [budget('by-queue', { queue: 'gpu-q' }, '2024-07-01T00:00:00Z'), budget('stale', { namespace: 'team-b' }, '2024-06-01T00:00:00Z')];
  assert.equal(blockingBudget(budgets, { namespace: 'team-a', queue: 'gpu-q' }, now)?.metadata.name, 'by-queue');
  assert.equal(blockingBudget(budgets, { namespace: 'team-a', queue: 'other' }, now), undefined);
  assert.equal(blockingBudget(budgets, { namespace: 'team-b' }, now), undefined, 'status from an earlier period');
  const err = budgetAdmissionError(budgets[0]);
  assert.equal(err.code, 'Forbidden');
  assert.match(err.message, /budget team-a\/by-queue blocks new workloads: spent \$1010\.00, forecast \$1200\.00 of \$1000\.00/);
});

test('the Budget schema refuses thresholds out of (0, 1000] %, naming the field', () => {
  const obj = (percent: number) => ({
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Budget', metadata: { name: 'b', namespace: 'team-a' },
    spec: { target: { namespace: 'team-a' }, period: 'Monthly', amountUSD: 10, thresholds: [{ percent: 50 }, { percent, type: 'Actual' }] },
  });
  for (const bad of [0, -5, 1001]) {
    const r = validateObject(obj(bad));
    assert.equal(r.ok, false, `percent ${bad}`);
    if (!r.ok) assert.ok(r.causes.some((c) => c.field === 'spec.thresholds[1].percent'), JSON.stringify(r.causes));
  }
  assert.equal(validateObject(obj(100)).ok, true);
});
