// The serving controller's public surface (its condition helper stays internal so it cannot
// clash with other controllers' exports from @qm/core).
export * from './types.js';
export { reconcileModelDeployment, DEFAULT_PROGRESS_DEADLINE_SECONDS, DEFAULT_MAX_SURGE, DEFAULT_MAX_UNAVAILABLE } from './reconcile.js';
export { templateRevision, TEMPLATE_FIELDS } from './revision.js';
export { resolveFenceposts, scaledValue, newRevisionTarget, oldScaleDownBudget, type Fenceposts, type IntOrPercent } from './rollout-math.js';
