export * from './types.js';
export { computeHpaDecision } from './hpa-decision.js';
export { hpaMetricSpecs, hpaTolerances, resolveBehavior, resolveHpaOptions, HPA_DEFAULT_METRIC, HPA_DEFAULT_OPTIONS } from './hpa-spec.js';
