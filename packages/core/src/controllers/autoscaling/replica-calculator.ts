/**
 * Kubernetes' HPA replica calculator (pkg/controller/podautoscaler/replica_calculator.go), as pure
 * functions over a snapshot. Values are integer milli-units (bigint), and every division and
 * rounding is the one Kubernetes does, so the same inputs give the same replica counts.
 *
 * The rules, in short:
 * - pods being deleted or Failed are ignored; Pending pods count as unready;
 * - for `cpu`, a pod is also unready while it starts up (see `groupPods`);
 * - with no missing or unready pods: `ceil(ratio × readyPods)`, unless the ratio is within tolerance;
 * - otherwise the gaps are filled conservatively (missing pods use 100 % of request / the target on
 *   a scale-down and 0 on a scale-up; unready pods use 0 on a scale-up) and the ratio recomputed;
 *   a change of direction or a change within tolerance keeps the current count.
 *
 * Example:
 * ```ts
 * const r = resourceUtilizationReplicas({ currentReplicas: 3, targetUtilization: 30, resource: 'cpu', pods, metrics, tolerances, nowMs, timing });
 * if (r.ok) r.value.replicas; // 5
 * ```
 */
import type { HpaPod } from './types.js';

/** A computation that may fail with Kubernetes' error message. */
export type Calc<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Calc<T> => ({ ok: true, value });
const fail = <T>(error: string): Calc<T> => ({ ok: false, error });

export interface Tolerances {
  scaleDown: number;
  scaleUp: number;
}

/** `1 - down ≤ ratio ≤ 1 + up`: the change is too small to act on. */
export function isWithinTolerance(t: Tolerances, usageRatio: number): boolean {
  return 1 - t.scaleDown <= usageRatio && usageRatio <= 1 + t.scaleUp;
}

/** One pod's metric in milli-units. */
export interface PodMetric {
  valueMilli: bigint;
  timestampMs: number;
  windowMs: number;
}

export type PodMetrics = Map<string, PodMetric>;

export interface ReadinessTiming {
  cpuInitializationPeriodMs: number;
  delayOfInitialReadinessStatusMs: number;
}

export interface PodGroups {
  readyPodCount: number;
  unready: Set<string>;
  missing: Set<string>;
  ignored: Set<string>;
}

const MAX_INT32 = 2147483647;

/**
 * Sorts pods as Kubernetes' `groupPods` does. For `cpu` a pod with a metric is unready when it has
 * no Ready condition or start time; or, within the CPU initialization period after start, when it is
 * not ready or its sample does not cover a full window since the last readiness change; or, after
 * that period, when it is not ready and has never been ready (its readiness last changed within
 * the initial readiness delay after start).
 */
export function groupPods(pods: readonly HpaPod[], metrics: PodMetrics, resource: string | undefined, timing: ReadinessTiming, nowMs: number): PodGroups {
  const groups: PodGroups = { readyPodCount: 0, unready: new Set(), missing: new Set(), ignored: new Set() };
  for (const pod of pods) {
    if (pod.deleting || pod.phase === 'Failed') {
      groups.ignored.add(pod.name);
      continue;
    }
    if (pod.phase === 'Pending') {
      groups.unready.add(pod.name);
      continue;
    }
    const metric = metrics.get(pod.name);
    if (!metric) {
      groups.missing.add(pod.name);
      continue;
    }
    if (resource === 'cpu') {
      let unready: boolean;
      if (pod.readyTransitionMs === undefined || pod.startTimeMs === undefined) {
        unready = true;
      } else if (pod.startTimeMs + timing.cpuInitializationPeriodMs > nowMs) {
        unready = !pod.ready || metric.timestampMs < pod.readyTransitionMs + metric.windowMs;
      } else {
        unready = !pod.ready && pod.startTimeMs + timing.delayOfInitialReadinessStatusMs > pod.readyTransitionMs;
      }
      if (unready) {
        groups.unready.add(pod.name);
        continue;
      }
    }
    groups.readyPodCount++;
  }
  return groups;
}

function without(metrics: PodMetrics, ...sets: Set<string>[]): PodMetrics {
  const out: PodMetrics = new Map(metrics);
  for (const s of sets) for (const name of s) out.delete(name);
  return out;
}

/** Per-pod requests of `resource` in milli-units; a pod lacking the request is an error. */
export function calculateRequests(pods: readonly HpaPod[], resource: string, toMilli: (v: string | number) => bigint, container?: string): Calc<Map<string, bigint>> {
  const requests = new Map<string, bigint>();
  for (const pod of pods) {
    if (container !== undefined) {
      const list = pod.containerRequests?.[container];
      if (!list) return fail(`container ${container} not found in Pod ${pod.name}`);
      const v = list[resource];
      if (v === undefined) return fail(`missing request for ${resource} in container ${container} of Pod ${pod.name}`);
      requests.set(pod.name, toMilli(v));
    } else {
      const v = pod.requests[resource];
      if (v === undefined) return fail(`missing request for ${resource} in Pod ${pod.name}`);
      requests.set(pod.name, toMilli(v));
    }
  }
  return ok(requests);
}

interface UtilizationRatio {
  ratio: number;
  utilization: number;
  rawAverageMilli: bigint;
}

/** Kubernetes' GetResourceUtilizationRatio: whole-percent utilization over pods that have a request. */
function utilizationRatio(metrics: PodMetrics, requests: Map<string, bigint>, targetUtilization: number): Calc<UtilizationRatio> {
  let metricsTotal = 0n;
  let requestsTotal = 0n;
  let entries = 0n;
  for (const [pod, metric] of metrics) {
    const request = requests.get(pod);
    if (request === undefined) continue; // a metric for a pod we do not know: ignored
    metricsTotal += metric.valueMilli;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0n) return fail('no metrics returned matched known pods');
  // Integer percent, truncated, and the ratio is taken from that integer: as Kubernetes does.
  const utilization = Number((metricsTotal * 100n) / requestsTotal);
  return ok({ ratio: utilization / targetUtilization, utilization, rawAverageMilli: metricsTotal / entries });
}

/** Kubernetes' GetMetricUsageRatio: integer average over every sample, over the target. */
function usageRatio(metrics: PodMetrics, targetMilli: bigint): { ratio: number; usageMilli: bigint } {
  let total = 0n;
  for (const m of metrics.values()) total += m.valueMilli;
  const usageMilli = total / BigInt(metrics.size);
  return { ratio: Number(usageMilli) / Number(targetMilli), usageMilli };
}

function ceilReplicas(x: number): number {
  return x > MAX_INT32 ? MAX_INT32 : Math.ceil(x);
}

/** The re-check after filling gaps: within tolerance or a flipped direction keeps the current count. */
function keepsCurrent(t: Tolerances, before: number, after: number): boolean {
  return isWithinTolerance(t, after) || (before < 1 && after > 1) || (before > 1 && after < 1);
}

export interface ResourceUtilizationArgs {
  currentReplicas: number;
  targetUtilization: number;
  resource: string;
  container?: string;
  pods: readonly HpaPod[];
  metrics: PodMetrics;
  tolerances: Tolerances;
  nowMs: number;
  timing: ReadinessTiming;
  toMilli: (v: string | number) => bigint;
}

export interface ResourceUtilizationResult {
  replicas: number;
  /** Average utilization in whole percent of request. */
  utilization: number;
  /** Average usage per pod, milli-units. */
  rawAverageMilli: bigint;
}

/** GetResourceReplicas: a Resource metric with an `averageUtilization` target. */
export function resourceUtilizationReplicas(a: ResourceUtilizationArgs): Calc<ResourceUtilizationResult> {
  if (a.pods.length === 0) return fail('no pods returned by selector while calculating replica count');
  const groups = groupPods(a.pods, a.metrics, a.resource, a.timing, a.nowMs);
  const metrics = without(a.metrics, groups.ignored, groups.unready);
  if (metrics.size === 0) return fail('did not receive metrics for targeted pods (pods might be unready)');
  const requests = calculateRequests(a.pods, a.resource, a.toMilli, a.container);
  if (!requests.ok) return requests;
  const first = utilizationRatio(metrics, requests.value, a.targetUtilization);
  if (!first.ok) return first;
  const { ratio, utilization, rawAverageMilli } = first.value;
  const keep = ok({ replicas: a.currentReplicas, utilization, rawAverageMilli });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (isWithinTolerance(a.tolerances, ratio)) return keep;
    return ok({ replicas: ceilReplicas(ratio * groups.readyPodCount), utilization, rawAverageMilli });
  }
  if (groups.missing.size > 0) {
    // Scale-down: a pod without a metric uses all of its request (or the target, above 100 %).
    // Scale-up: it uses nothing. Either way the estimate leans away from acting.
    const fallback = BigInt(Math.max(100, a.targetUtilization));
    for (const pod of groups.missing) {
      if (ratio < 1) metrics.set(pod, { valueMilli: (requests.value.get(pod)! * fallback) / 100n, timestampMs: a.nowMs, windowMs: 0 });
      else if (ratio > 1) metrics.set(pod, { valueMilli: 0n, timestampMs: a.nowMs, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) {
    for (const pod of groups.unready) metrics.set(pod, { valueMilli: 0n, timestampMs: a.nowMs, windowMs: 0 });
  }
  const second = utilizationRatio(metrics, requests.value, a.targetUtilization);
  if (!second.ok) return second;
  const newRatio = second.value.ratio;
  if (keepsCurrent(a.tolerances, ratio, newRatio)) return keep;
  const newReplicas = ceilReplicas(newRatio * metrics.size);
  if ((newRatio < 1 && newReplicas > a.currentReplicas) || (newRatio > 1 && newReplicas < a.currentReplicas)) return keep;
  return ok({ replicas: newReplicas, utilization, rawAverageMilli });
}

export interface PlainMetricArgs {
  currentReplicas: number;
  targetMilli: bigint;
  /** `cpu` applies the CPU readiness rules (Resource AverageValue); undefined for Pods metrics. */
  resource?: string;
  pods: readonly HpaPod[];
  metrics: PodMetrics;
  tolerances: Tolerances;
  nowMs: number;
  timing: ReadinessTiming;
}

export interface PlainMetricResult {
  replicas: number;
  /** Average per pod, milli-units. */
  usageMilli: bigint;
}

/** calcPlainMetricReplicas: Pods metrics and Resource metrics with an `averageValue` target. */
export function plainMetricReplicas(a: PlainMetricArgs): Calc<PlainMetricResult> {
  if (a.pods.length === 0) return fail('no pods returned by selector while calculating replica count');
  const groups = groupPods(a.pods, a.metrics, a.resource, a.timing, a.nowMs);
  const metrics = without(a.metrics, groups.ignored, groups.unready);
  if (metrics.size === 0) return fail('did not receive metrics for targeted pods (pods might be unready)');
  const { ratio, usageMilli } = usageRatio(metrics, a.targetMilli);
  const keep = ok({ replicas: a.currentReplicas, usageMilli });

  const scaleUpWithUnready = groups.unready.size > 0 && ratio > 1;
  if (!scaleUpWithUnready && groups.missing.size === 0) {
    if (isWithinTolerance(a.tolerances, ratio)) return keep;
    return ok({ replicas: ceilReplicas(ratio * groups.readyPodCount), usageMilli });
  }
  if (groups.missing.size > 0) {
    // Scale-down: a pod without a metric is assumed to be exactly at target; scale-up: at zero.
    for (const pod of groups.missing) {
      if (ratio < 1) metrics.set(pod, { valueMilli: a.targetMilli, timestampMs: a.nowMs, windowMs: 0 });
      else if (ratio > 1) metrics.set(pod, { valueMilli: 0n, timestampMs: a.nowMs, windowMs: 0 });
    }
  }
  if (scaleUpWithUnready) {
    for (const pod of groups.unready) metrics.set(pod, { valueMilli: 0n, timestampMs: a.nowMs, windowMs: 0 });
  }
  const newRatio = usageRatio(metrics, a.targetMilli).ratio;
  if (keepsCurrent(a.tolerances, ratio, newRatio)) return keep;
  const newReplicas = ceilReplicas(newRatio * metrics.size);
  if ((newRatio < 1 && newReplicas > a.currentReplicas) || (newRatio > 1 && newReplicas < a.currentReplicas)) return keep;
  return ok({ replicas: newReplicas, usageMilli });
}

/** Running and Ready pods (Object and External Value targets scale from these). */
export function readyPodCount(pods: readonly HpaPod[]): Calc<number> {
  if (pods.length === 0) return fail('no pods returned by selector while calculating replica count');
  return ok(pods.filter((p) => p.phase === 'Running' && p.ready).length);
}

/**
 * getUsageRatioReplicaCount: for a whole-target value (Object/External `Value`). From zero
 * replicas it scales to `ceil(ratio)` without tolerance, to allow scaling from zero.
 */
export function usageRatioReplicaCount(currentReplicas: number, ratio: number, tolerances: Tolerances, pods: readonly HpaPod[]): Calc<number> {
  if (currentReplicas === 0) return ok(Math.ceil(ratio));
  if (isWithinTolerance(tolerances, ratio)) return ok(currentReplicas);
  const ready = readyPodCount(pods);
  if (!ready.ok) return fail(`unable to calculate ready pods: ${ready.error}`);
  return ok(ceilReplicas(ratio * ready.value));
}

export interface ValueTargetResult {
  replicas: number;
  /** The whole value (Value targets) or the per-replica average, rounded up (AverageValue targets). */
  usageMilli: bigint;
}

/** GetObjectMetricReplicas / GetExternalMetricReplicas: a `Value` target on one total. */
export function valueTargetReplicas(currentReplicas: number, usageMilli: bigint, targetMilli: bigint, tolerances: Tolerances, pods: readonly HpaPod[]): Calc<ValueTargetResult> {
  const ratio = Number(usageMilli) / Number(targetMilli);
  const replicas = usageRatioReplicaCount(currentReplicas, ratio, tolerances, pods);
  if (!replicas.ok) return replicas;
  return ok({ replicas: replicas.value, usageMilli });
}

/**
 * GetObjectPerPodMetricReplicas / GetExternalPerPodMetricReplicas: an `AverageValue` target on one
 * total, against the replicas that exist (status replicas), without looking at readiness.
 */
export function averageValueTargetReplicas(statusReplicas: number, usageMilli: bigint, targetMilli: bigint, tolerances: Tolerances): ValueTargetResult {
  const usage = Number(usageMilli);
  const target = Number(targetMilli);
  let replicas = statusReplicas;
  const ratio = usage / (target * statusReplicas);
  if (!isWithinTolerance(tolerances, ratio)) replicas = ceilReplicas(usage / target);
  // Reported per replica, rounded up; with no replicas the total is reported as is.
  const perReplica = statusReplicas > 0 ? BigInt(Math.ceil(usage / statusReplicas)) : usageMilli;
  return { replicas, usageMilli: perReplica };
}
