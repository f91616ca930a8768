// Budgets: period bounds, evaluation (spent, forecast, thresholds once per period, blocking), admission checks.
export { budgetPeriodBounds, type PeriodBounds } from './budget-period.js';
export { evaluateBudget, thresholdEvent, type BudgetEvaluation, type BudgetEvaluationInput, type RunningSpend, type TriggeredThreshold } from './evaluate-budget.js';
export { budgetCovers, blockingBudget, budgetAdmissionError, type BudgetTarget } from './budget-admission.js';
export { budgetSpend, type BudgetInterval } from './budget-spend.js';
