/**
 * One replica proposal per metric (Kubernetes' computeReplicasForMetric and the
 * computeStatusFor*Metric functions): reads the target, runs the replica calculator on what the
 * metric source returned, and builds the metric's status, or the ScalingActive=False condition
 * and Warning event that a failing metric produces.
 *
 * Example:
 * ```ts
 * const p = proposeForMetric(spec.metrics[0], reading, ctx);
 * if (p.ok) p.replicas; else p.condition.reason; // e.g. 'FailedGetPodsMetric'
 * ```
 */
import { formatQuantity, parseQuantity, quantityFromMilli, type HorizontalPodAutoscalerStatus, type LabelSelector, type MetricSpec, type MetricTarget, type QuantityInput } from '@qm/api';
import {
  averageValueTargetReplicas, plainMetricReplicas, resourceUtilizationReplicas, valueTargetReplicas,
  type Calc, type PodMetrics, type ReadinessTiming, type Tolerances,
} from './replica-calculator.js';
import type { HpaEvent, HpaMetricReading, HpaPod } from './types.js';

export type MetricStatus = NonNullable<HorizontalPodAutoscalerStatus['currentMetrics']>[number];

/** `current` of a metric status. */
export interface MetricValueStatus {
  value?: string;
  averageValue?: string;
  averageUtilization?: number;
}

export interface MetricContext {
  namespace: string;
  specReplicas: number;
  statusReplicas: number;
  pods: readonly HpaPod[];
  tolerances: Tolerances;
  timing: ReadinessTiming;
  nowMs: number;
}

export type MetricProposal =
  | { ok: true; replicas: number; metricName: string; status: MetricStatus }
  | {
    ok: false;
    /** The error as computeReplicasForMetric returns it (used in "invalid metrics …"). */
    error: string;
    condition: { reason: string; message: string };
    event: HpaEvent;
  };

const DEFAULT_WINDOW_MS = 60_000;

/** Exact milli-units of a quantity (rounded up below 1m, like Kubernetes' MilliValue). */
function milli(v: QuantityInput): bigint {
  return parseQuantity(v).milli;
}

function milliString(v: bigint): string {
  return formatQuantity(quantityFromMilli(v));
}

function formatSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) parts.push(`${e.key} ${e.operator}${e.values ? ` (${e.values.join(',')})` : ''}`);
  return parts.join(',');
}

/** A failing metric: the condition, the Warning event and the wrapped error, as Kubernetes words them. */
function failed(reason: string, inner: string, outer: string): MetricProposal {
  return {
    ok: false,
    error: outer,
    condition: { reason, message: `the HPA was unable to compute the replica count: ${inner}` },
    event: { type: 'Warning', reason, message: inner },
  };
}

/** A positive target value in milli-units, or why it is unusable. */
function targetMilli(v: QuantityInput | undefined, what: string): Calc<bigint> {
  if (v === undefined) return { ok: false, error: `no ${what} target was set` };
  let m: bigint;
  try {
    m = milli(v);
  } catch (err) {
    return { ok: false, error: `invalid ${what} target: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (m <= 0n) return { ok: false, error: `invalid ${what} target: must be greater than 0, got ${String(v)}` };
  return { ok: true, value: m };
}

/** Samples as a per-pod map; an empty answer or a bad value is the source's error. */
function podMetrics(reading: HpaMetricReading | undefined, api: string): Calc<PodMetrics> {
  if (!reading) return { ok: false, error: 'no reading was given for this metric' };
  if (reading.kind === 'error') return { ok: false, error: reading.message };
  if (reading.kind !== 'pods') return { ok: false, error: `expected per-pod samples, got a reading of kind ${reading.kind}` };
  if (reading.samples.length === 0) return { ok: false, error: `no metrics returned from ${api}` };
  const out: PodMetrics = new Map();
  for (const s of reading.samples) {
    try {
      out.set(s.pod, { valueMilli: milli(s.value), timestampMs: s.timestampMs, windowMs: s.windowMs ?? DEFAULT_WINDOW_MS });
    } catch (err) {
      return { ok: false, error: `pod ${s.pod}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
  return { ok: true, value: out };
}

/** The total of an Object or External reading. */
function totalValue(reading: HpaMetricReading | undefined, kind: 'object' | 'external'): Calc<bigint> {
  if (!reading) return { ok: false, error: 'no reading was given for this metric' };
  if (reading.kind === 'error') return { ok: false, error: reading.message };
  if (reading.kind !== kind) return { ok: false, error: `expected a reading of kind ${kind}, got ${reading.kind}` };
  try {
    if (reading.kind === 'object') return { ok: true, value: milli(reading.value) };
    if (reading.values.length === 0) return { ok: false, error: 'no metrics returned from external metrics API' };
    let sum = 0n;
    for (const v of reading.values) sum += milli(v);
    return { ok: true, value: sum };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

function resourceProposal(
  name: string, target: MetricTarget, reading: HpaMetricReading | undefined, ctx: MetricContext, container?: string,
): Calc<{ replicas: number; metricName: string; current: MetricValueStatus }> {
  const label = container === undefined ? `${name} resource` : `${name} container resource`;
  if (target.averageValue !== undefined) {
    const t = targetMilli(target.averageValue, 'average value');
    if (!t.ok) return { ok: false, error: `failed to get ${name} usage: ${t.error}` };
    const metrics = podMetrics(reading, 'resource metrics API');
    if (!metrics.ok) return { ok: false, error: `failed to get ${name} usage: unable to get metrics for resource ${name}: ${metrics.error}` };
    const r = plainMetricReplicas({ currentReplicas: ctx.specReplicas, targetMilli: t.value, resource: name, pods: ctx.pods, metrics: metrics.value, tolerances: ctx.tolerances, nowMs: ctx.nowMs, timing: ctx.timing });
    if (!r.ok) return { ok: false, error: `failed to get ${name} usage: ${r.error}` };
    return { ok: true, value: { replicas: r.value.replicas, metricName: label, current: { averageValue: milliString(r.value.usageMilli) } } };
  }
  if (target.averageUtilization === undefined) {
    return { ok: false, error: 'invalid resource metric source: neither an average utilization target nor an average value (usage) target was set' };
  }
  const metrics = podMetrics(reading, 'resource metrics API');
  if (!metrics.ok) return { ok: false, error: `failed to get ${name} utilization: unable to get metrics for resource ${name}: ${metrics.error}` };
  const r = resourceUtilizationReplicas({
    currentReplicas: ctx.specReplicas, targetUtilization: target.averageUtilization, resource: name, container,
    pods: ctx.pods, metrics: metrics.value, tolerances: ctx.tolerances, nowMs: ctx.nowMs, timing: ctx.timing, toMilli: milli,
  });
  if (!r.ok) return { ok: false, error: `failed to get ${name} utilization: ${r.error}` };
  return {
    ok: true,
    value: {
      replicas: r.value.replicas,
      metricName: `${label} utilization (percentage of request)`,
      current: { averageUtilization: r.value.utilization, averageValue: milliString(r.value.rawAverageMilli) },
    },
  };
}

/** The proposal of one metric spec from what its source returned. */
export function proposeForMetric(spec: MetricSpec, reading: HpaMetricReading | undefined, ctx: MetricContext): MetricProposal {
  switch (spec.type) {
    case 'Resource': {
      const src = spec.resource;
      if (!src) return failed('FailedGetResourceMetric', 'resource metric source is missing', 'resource metric source is missing');
      const r = resourceProposal(src.name, src.target, reading, ctx);
      if (!r.ok) return failed('FailedGetResourceMetric', r.error, `failed to get ${src.name} resource metric value: ${r.error}`);
      return { ok: true, replicas: r.value.replicas, metricName: r.value.metricName, status: { type: 'Resource', resource: { name: src.name, current: r.value.current } } };
    }
    case 'ContainerResource': {
      const src = spec.containerResource;
      if (!src) return failed('FailedGetContainerResourceMetric', 'container resource metric source is missing', 'container resource metric source is missing');
      const r = resourceProposal(src.name, src.target, reading, ctx, src.container);
      if (!r.ok) return failed('FailedGetContainerResourceMetric', r.error, `failed to get ${src.name} container metric value: ${r.error}`);
      return {
        ok: true, replicas: r.value.replicas, metricName: r.value.metricName,
        status: { type: 'ContainerResource', containerResource: { name: src.name, container: src.container, current: r.value.current } },
      };
    }
    case 'Pods': {
      const src = spec.pods;
      if (!src) return failed('FailedGetPodsMetric', 'pods metric source is missing', 'pods metric source is missing');
      const t = targetMilli(src.target.averageValue, 'average value');
      const metrics = podMetrics(reading, 'custom metrics API');
      let r: Calc<{ replicas: number; usageMilli: bigint }>;
      if (!t.ok) r = { ok: false, error: t.error };
      else if (!metrics.ok) r = { ok: false, error: `unable to get metric ${src.metric.name}: ${metrics.error}` };
      else r = plainMetricReplicas({ currentReplicas: ctx.specReplicas, targetMilli: t.value, pods: ctx.pods, metrics: metrics.value, tolerances: ctx.tolerances, nowMs: ctx.nowMs, timing: ctx.timing });
      if (!r.ok) return failed('FailedGetPodsMetric', r.error, `failed to get pods metric value: ${r.error}`);
      return {
        ok: true, replicas: r.value.replicas, metricName: `pods metric ${src.metric.name}`,
        status: { type: 'Pods', pods: { metric: { ...src.metric }, current: { averageValue: milliString(r.value.usageMilli) } } },
      };
    }
    case 'Object': {
      const src = spec.object;
      if (!src) return failed('FailedGetObjectMetric', 'object metric source is missing', 'object metric source is missing');
      const where = `${src.describedObject.kind} ${ctx.namespace}/${src.describedObject.name}`;
      const perPod = src.target.type === 'AverageValue' && src.target.averageValue !== undefined;
      if (!perPod && !(src.target.type === 'Value' && src.target.value !== undefined)) {
        const msg = 'invalid object metric source: neither a value target nor an average value target was set';
        return failed('FailedGetObjectMetric', msg, `failed to get object metric value: ${msg}`);
      }
      const t = targetMilli(perPod ? src.target.averageValue : src.target.value, perPod ? 'average value' : 'value');
      const total = totalValue(reading, 'object');
      if (!t.ok || !total.ok) {
        const inner = !t.ok ? t.error : `unable to get metric ${src.metric.name} on ${where}: ${(total as { error: string }).error}`;
        const err = perPod ? `failed to get ${src.metric.name} object metric: ${inner}` : inner;
        return failed('FailedGetObjectMetric', err, `failed to get object metric value: ${err}`);
      }
      const metric = { ...src.metric };
      const describedObject = { ...src.describedObject };
      if (perPod) {
        const r = averageValueTargetReplicas(ctx.statusReplicas, total.value, t.value, ctx.tolerances);
        return {
          ok: true, replicas: r.replicas, metricName: `${src.describedObject.kind} metric ${src.metric.name}`,
          status: { type: 'Object', object: { describedObject, metric, current: { averageValue: milliString(r.usageMilli) } } },
        };
      }
      const r = valueTargetReplicas(ctx.specReplicas, total.value, t.value, ctx.tolerances, ctx.pods);
      if (!r.ok) return failed('FailedGetObjectMetric', r.error, `failed to get object metric value: ${r.error}`);
      return {
        ok: true, replicas: r.value.replicas, metricName: `${src.describedObject.kind} metric ${src.metric.name}`,
        status: { type: 'Object', object: { describedObject, metric, current: { value: milliString(r.value.usageMilli) } } },
      };
    }
    case 'External': {
      const src = spec.external;
      if (!src) return failed('FailedGetExternalMetric', 'external metric source is missing', 'external metric source is missing');
      const name = `external metric ${src.metric.name}(${formatSelector(src.metric.selector)})`;
      // As Kubernetes: an averageValue wins over a value, whatever `type` says.
      const perPod = src.target.averageValue !== undefined;
      if (!perPod && src.target.value === undefined) {
        const msg = 'invalid external metric source: neither a value target nor an average value target was set';
        return failed('FailedGetExternalMetric', msg, `failed to get ${src.metric.name} external metric value: ${msg}`);
      }
      const t = targetMilli(perPod ? src.target.averageValue : src.target.value, perPod ? 'average value' : 'value');
      const total = totalValue(reading, 'external');
      if (!t.ok || !total.ok) {
        const inner = !t.ok ? t.error
          : `unable to get external metric ${ctx.namespace}/${src.metric.name}/${formatSelector(src.metric.selector)}: ${(total as { error: string }).error}`;
        const err = `failed to get ${src.metric.name} external metric: ${inner}`;
        return failed('FailedGetExternalMetric', err, `failed to get ${src.metric.name} external metric value: ${err}`);
      }
      const metric = { ...src.metric };
      if (perPod) {
        const r = averageValueTargetReplicas(ctx.statusReplicas, total.value, t.value, ctx.tolerances);
        return { ok: true, replicas: r.replicas, metricName: name, status: { type: 'External', external: { metric, current: { averageValue: milliString(r.usageMilli) } } } };
      }
      const r = valueTargetReplicas(ctx.specReplicas, total.value, t.value, ctx.tolerances, ctx.pods);
      if (!r.ok) {
        const err = `failed to get ${src.metric.name} external metric: ${r.error}`;
        return failed('FailedGetExternalMetric', err, `failed to get ${src.metric.name} external metric value: ${err}`);
      }
      return { ok: true, replicas: r.value.replicas, metricName: name, status: { type: 'External', external: { metric, current: { value: milliString(r.value.usageMilli) } } } };
    }
    default: {
      const msg = `unknown metric source type "${String((spec as { type?: unknown }).type)}"`;
      return failed('InvalidMetricSourceType', msg, msg);
    }
  }
}
