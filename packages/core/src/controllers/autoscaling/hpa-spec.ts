/**
 * Reading an HPA spec the way Kubernetes' defaulting and controller flags leave it: the default
 * metric (cpu at 80 %), `behavior` with its defaults filled in, per-direction tolerances, and the
 * controller options.
 *
 * Example:
 * ```ts
 * hpaMetricSpecs({ scaleTargetRef, maxReplicas: 4 });
 * // [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]
 * ```
 */
import { HPA_DEFAULT_SCALE_UP, QmError, quantityToMilli, type HorizontalPodAutoscalerSpec, type HPAScalingRules, type MetricSpec } from '@qm/api';
import type { ScalingRules } from './normalize.js';
import type { Tolerances } from './replica-calculator.js';
import type { HpaControllerOptions, ResolvedHpaOptions } from './types.js';

export const HPA_DEFAULT_OPTIONS: Readonly<ResolvedHpaOptions> = Object.freeze({
  tolerance: 0.1,
  cpuInitializationPeriodMs: 5 * 60_000,
  delayOfInitialReadinessStatusMs: 30_000,
  downscaleStabilizationWindowMs: 5 * 60_000,
});

/** The metric used when `spec.metrics` is absent or empty (Kubernetes' default). */
export const HPA_DEFAULT_METRIC: MetricSpec = Object.freeze({
  type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
}) as MetricSpec;

/** The metrics the HPA evaluates, in order; `HpaDecisionInput.metrics` follows this order. */
export function hpaMetricSpecs(spec: HorizontalPodAutoscalerSpec): MetricSpec[] {
  return spec.metrics && spec.metrics.length > 0 ? spec.metrics : [HPA_DEFAULT_METRIC];
}

function invalid(field: string, message: string): QmError {
  return new QmError('Invalid', `${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] });
}

function checkDuration(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw invalid(field, `must be a non-negative number of milliseconds, got ${String(v)}`);
}

/** Options with Kubernetes' defaults; bad values throw QmError('Invalid') naming the option. */
export function resolveHpaOptions(options: HpaControllerOptions = {}): ResolvedHpaOptions {
  const out: ResolvedHpaOptions = { ...HPA_DEFAULT_OPTIONS };
  for (const key of Object.keys(out) as (keyof ResolvedHpaOptions)[]) {
    const v = options[key];
    if (v === undefined) continue;
    checkDuration(`options.${key}`, v);
    out[key] = v;
  }
  return out;
}

/** A quantity as a float (Kubernetes' AsApproximateFloat64). */
function approximate(field: string, v: string | number): number {
  try {
    return quantityToMilli(v) / 1000;
  } catch (err) {
    throw invalid(field, err instanceof Error ? err.message : String(err));
  }
}

/** Per-direction tolerances: the controller's, overridden by `behavior.scaleUp/scaleDown.tolerance`. */
export function hpaTolerances(spec: HorizontalPodAutoscalerSpec, defaultTolerance: number): Tolerances {
  const t: Tolerances = { scaleDown: defaultTolerance, scaleUp: defaultTolerance };
  const down = spec.behavior?.scaleDown?.tolerance;
  const up = spec.behavior?.scaleUp?.tolerance;
  if (down !== undefined) t.scaleDown = approximate('spec.behavior.scaleDown.tolerance', down);
  if (up !== undefined) t.scaleUp = approximate('spec.behavior.scaleUp.tolerance', up);
  return t;
}

function fillRules(from: HPAScalingRules | undefined, defaults: ScalingRules): ScalingRules {
  return {
    stabilizationWindowSeconds: from?.stabilizationWindowSeconds ?? defaults.stabilizationWindowSeconds,
    selectPolicy: from?.selectPolicy ?? defaults.selectPolicy,
    policies: (from?.policies ?? defaults.policies).map((p) => ({ ...p })),
  };
}

/**
 * `behavior` with Kubernetes' defaults, or undefined when the spec has none (then the legacy
 * limits apply). A scale-down window left unset takes the controller's downscale window.
 */
export function resolveBehavior(spec: HorizontalPodAutoscalerSpec, downscaleWindowMs: number): { scaleUp: ScalingRules; scaleDown: ScalingRules } | undefined {
  if (!spec.behavior) return undefined;
  return {
    scaleUp: fillRules(spec.behavior.scaleUp, {
      stabilizationWindowSeconds: HPA_DEFAULT_SCALE_UP.stabilizationWindowSeconds,
      selectPolicy: HPA_DEFAULT_SCALE_UP.selectPolicy,
      policies: HPA_DEFAULT_SCALE_UP.policies,
    }),
    scaleDown: fillRules(spec.behavior.scaleDown, {
      stabilizationWindowSeconds: Math.floor(downscaleWindowMs / 1000),
      selectPolicy: 'Max',
      policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
    }),
  };
}
