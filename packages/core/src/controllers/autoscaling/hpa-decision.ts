/**
 * One sync of an `autoscaling/v2` HorizontalPodAutoscaler, as Kubernetes' horizontal controller
 * (reconcileAutoscaler) does it, as a pure function of a snapshot:
 *
 * 1. a target at zero replicas is not autoscaled (ScalingDisabled); one outside
 *    [minReplicas, maxReplicas] is brought back inside;
 * 2. otherwise every metric proposes a replica count and the highest wins; when every metric
 *    failed, or some failed and the rest would scale down, nothing changes (ScalingActive=False);
 * 3. the proposal is stabilized and limited (normalize.ts), and applied when it differs.
 *
 * State between syncs lives in the returned `history`; conditions and `lastScaleTime` carry over
 * from `hpa.status`.
 *
 * Example:
 * ```ts
 * const d = computeHpaDecision({ hpa, currentReplicas: 3, pods, metrics, history, nowMs });
 * d.desiredReplicas; // 5
 * d.status.conditions; // AbleToScale/SucceededRescale, ScalingActive/ValidMetricFound, ScalingLimited/DesiredWithinRange
 * ```
 */
import { QmError } from '@qm/api';
import { isoTime, setHpaCondition, type HpaCondition } from './conditions.js';
import { hpaMetricSpecs, hpaTolerances, resolveBehavior, resolveHpaOptions } from './hpa-spec.js';
import { proposeForMetric, type MetricContext, type MetricStatus } from './metric-proposals.js';
import { normalizeLegacy, normalizeWithBehaviors, storeScaleEvent } from './normalize.js';
import type { HpaDecision, HpaDecisionInput, HpaEvent, HpaHistory } from './types.js';

const PHASES = new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);

function invalid(field: string, message: string): QmError {
  return new QmError('Invalid', `${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] });
}

function checkCount(field: string, v: unknown, min = 0): void {
  if (!Number.isInteger(v) || (v as number) < min) throw invalid(field, `must be an integer ≥ ${min}, got ${String(v)}`);
}

function checkTime(field: string, v: unknown): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(field, `must be a finite epoch-ms number, got ${String(v)}`);
}

function checkInput(input: HpaDecisionInput): void {
  checkTime('nowMs', input.nowMs);
  checkCount('currentReplicas', input.currentReplicas);
  if (input.statusReplicas !== undefined) checkCount('statusReplicas', input.statusReplicas);
  const spec = input.hpa?.spec;
  if (!spec || typeof spec !== 'object') throw invalid('hpa.spec', 'is required');
  checkCount('hpa.spec.maxReplicas', spec.maxReplicas, 1);
  if (spec.minReplicas !== undefined) checkCount('hpa.spec.minReplicas', spec.minReplicas);
  if (!Array.isArray(input.pods)) throw invalid('pods', 'must be an array');
  input.pods.forEach((p, i) => {
    if (typeof p?.name !== 'string' || p.name === '') throw invalid(`pods[${i}].name`, 'must be a non-empty string');
    if (!PHASES.has(p.phase)) throw invalid(`pods[${i}].phase`, `must be one of ${[...PHASES].join(', ')}, got ${String(p.phase)}`);
    if (typeof p.ready !== 'boolean') throw invalid(`pods[${i}].ready`, 'must be a boolean');
    if (p.startTimeMs !== undefined) checkTime(`pods[${i}].startTimeMs`, p.startTimeMs);
    if (p.readyTransitionMs !== undefined) checkTime(`pods[${i}].readyTransitionMs`, p.readyTransitionMs);
    if (!p.requests || typeof p.requests !== 'object') throw invalid(`pods[${i}].requests`, 'must be a resource list');
  });
  if (!Array.isArray(input.metrics)) throw invalid('metrics', 'must be an array');
  const h = input.history;
  if (h !== undefined) {
    if (!Array.isArray(h.recommendations)) throw invalid('history.recommendations', 'must be an array');
    if (!Array.isArray(h.scaleEvents?.up) || !Array.isArray(h.scaleEvents?.down)) throw invalid('history.scaleEvents', 'must have arrays up and down');
  }
}

function copyHistory(h: HpaHistory | undefined, currentReplicas: number, nowMs: number): HpaHistory {
  // First sync: the current size is the first recommendation (recordInitialRecommendation), so
  // a scale-down waits out the stabilization window after the HPA appears.
  if (!h) return { recommendations: [{ replicas: currentReplicas, timestampMs: nowMs }], scaleEvents: { up: [], down: [] } };
  return {
    recommendations: h.recommendations.map((r) => ({ ...r })),
    scaleEvents: { up: h.scaleEvents.up.map((e) => ({ ...e })), down: h.scaleEvents.down.map((e) => ({ ...e })) },
  };
}

interface MetricsOutcome {
  /** -1: do not scale (every metric invalid, or some invalid on a scale-down). */
  replicas: number;
  metricName: string;
  statuses: MetricStatus[];
  error?: string;
}

/** computeReplicasForMetrics: the highest proposal, and the invalid-metric rules. */
function computeReplicasForMetrics(input: HpaDecisionInput, ctx: MetricContext, conditions: HpaCondition[], events: HpaEvent[]): MetricsOutcome {
  const specs = hpaMetricSpecs(input.hpa.spec);
  const statuses: MetricStatus[] = [];
  let replicas = 0;
  let metricName = '';
  let invalidCount = 0;
  let firstInvalid: { error: string; condition: { reason: string; message: string } } | undefined;
  specs.forEach((spec, i) => {
    const p = proposeForMetric(spec, input.metrics[i], ctx);
    if (!p.ok) {
      events.push(p.event);
      if (!firstInvalid) firstInvalid = p;
      invalidCount++;
      return;
    }
    statuses.push(p.status);
    if (replicas === 0 || p.replicas > replicas) {
      replicas = p.replicas;
      metricName = p.metricName;
    }
  });
  const error = firstInvalid
    ? `invalid metrics (${invalidCount} invalid out of ${specs.length}), first error is: ${firstInvalid.error}`
    : undefined;
  // Never scale down while a metric is unreadable: the missing one might want more.
  if (firstInvalid && (invalidCount >= specs.length || replicas < ctx.specReplicas)) {
    setHpaCondition(conditions, 'ScalingActive', 'False', firstInvalid.condition.reason, firstInvalid.condition.message, ctx.nowMs);
    return { replicas: -1, metricName: '', statuses, error };
  }
  setHpaCondition(conditions, 'ScalingActive', 'True', 'ValidMetricFound',
    `the HPA was able to successfully calculate a replica count from ${metricName}`, ctx.nowMs);
  return { replicas, metricName, statuses, error };
}

/**
 * Decides the HPA's replica count and status for one sync. Bad input (not metric failures,
 * which are outcomes) throws QmError('Invalid') naming the field.
 */
export function computeHpaDecision(input: HpaDecisionInput): HpaDecision {
  checkInput(input);
  const { hpa, currentReplicas, nowMs } = input;
  const spec = hpa.spec;
  const options = resolveHpaOptions(input.options);
  const minReplicas = spec.minReplicas ?? 1;
  const behavior = resolveBehavior(spec, options.downscaleStabilizationWindowMs);
  const conditions: HpaCondition[] = (hpa.status?.conditions ?? []).map((c) => ({ ...c }));
  const events: HpaEvent[] = [];
  let history = copyHistory(input.history, currentReplicas, nowMs);

  setHpaCondition(conditions, 'AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale", nowMs);

  let desired = 0;
  let rescale = true;
  let rescaleReason = '';
  let metricStatuses: MetricStatus[] | undefined;
  let error: string | undefined;

  if (currentReplicas === 0 && minReplicas !== 0) {
    rescale = false;
    setHpaCondition(conditions, 'ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero', nowMs);
  } else if (currentReplicas > spec.maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desired = spec.maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desired = minReplicas;
  } else {
    const ctx: MetricContext = {
      namespace: hpa.metadata?.namespace ?? 'default',
      specReplicas: currentReplicas,
      statusReplicas: input.statusReplicas ?? currentReplicas,
      pods: input.pods,
      tolerances: hpaTolerances(spec, options.tolerance),
      timing: { cpuInitializationPeriodMs: options.cpuInitializationPeriodMs, delayOfInitialReadinessStatusMs: options.delayOfInitialReadinessStatusMs },
      nowMs,
    };
    const outcome = computeReplicasForMetrics(input, ctx, conditions, events);
    error = outcome.error;
    metricStatuses = outcome.statuses;
    if (outcome.replicas === -1) {
      events.push({ type: 'Warning', reason: 'FailedComputeMetricsReplicas', message: outcome.error ?? 'no metric gave a replica count' });
      return {
        desiredReplicas: currentReplicas,
        rescale: false,
        status: {
          ...statusBase(input),
          currentReplicas,
          // Kubernetes leaves the last desired count in place when it cannot compute a new one.
          desiredReplicas: hpa.status?.desiredReplicas ?? currentReplicas,
          currentMetrics: metricStatuses,
          conditions,
        },
        history, events, error,
      };
    }
    desired = outcome.replicas;
    if (desired > currentReplicas) rescaleReason = `${outcome.metricName} above target`;
    if (desired < currentReplicas) rescaleReason = 'All metrics below target';
    const normalized = behavior
      ? normalizeWithBehaviors({
        currentReplicas, desiredReplicas: desired, minReplicas, maxReplicas: spec.maxReplicas,
        scaleUp: behavior.scaleUp, scaleDown: behavior.scaleDown, scaleEvents: history.scaleEvents,
        recommendations: history.recommendations, nowMs,
      })
      : normalizeLegacy({
        currentReplicas, desiredReplicas: desired, minReplicas, maxReplicas: spec.maxReplicas,
        downscaleWindowMs: options.downscaleStabilizationWindowMs, recommendations: history.recommendations, nowMs,
      });
    history = { ...history, recommendations: normalized.recommendations };
    setHpaCondition(conditions, 'AbleToScale', 'True', normalized.ableReason, normalized.ableMessage, nowMs);
    setHpaCondition(conditions, 'ScalingLimited', normalized.limited ? 'True' : 'False', normalized.limitedReason, normalized.limitedMessage, nowMs);
    desired = normalized.desiredReplicas;
    rescale = desired !== currentReplicas;
  }

  if (rescale) {
    setHpaCondition(conditions, 'AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desired}`, nowMs);
    events.push({ type: 'Normal', reason: 'SuccessfulRescale', message: `New size: ${desired}; reason: ${rescaleReason}` });
    // Scale events feed the behavior policies only; without behavior Kubernetes keeps none.
    if (behavior) history = { ...history, scaleEvents: storeScaleEvent(history.scaleEvents, behavior, currentReplicas, desired, nowMs) };
  } else {
    desired = currentReplicas;
  }

  const lastScaleTime = rescale ? isoTime(nowMs) : hpa.status?.lastScaleTime;
  return {
    desiredReplicas: desired,
    rescale,
    status: {
      ...statusBase(input),
      ...(lastScaleTime !== undefined ? { lastScaleTime } : {}),
      currentReplicas,
      desiredReplicas: desired,
      ...(metricStatuses !== undefined ? { currentMetrics: metricStatuses } : {}),
      conditions,
    },
    history,
    events,
    ...(error !== undefined ? { error } : {}),
  };
}

function statusBase(input: HpaDecisionInput): { observedGeneration?: number; lastScaleTime?: string } {
  const out: { observedGeneration?: number; lastScaleTime?: string } = {};
  const generation = input.hpa.metadata?.generation;
  if (generation !== undefined) out.observedGeneration = generation;
  if (input.hpa.status?.lastScaleTime !== undefined) out.lastScaleTime = input.hpa.status.lastScaleTime;
  return out;
}
