/**
 * The live HorizontalPodAutoscaler controller: every sync period (`--hpa-sync-period`, default
 * 15 s as Kubernetes) it runs @qm/core's computeHpaDecision for each autoscaling/v2 HPA whose
 * scaleTargetRef is a ModelDeployment, writes the target's spec.replicas on a rescale (the
 * serving controller and the scheduler do the rest) and the HPA's status every sync.
 *
 * Metrics come from an `HpaMetricsSource` (the serving runtime satisfies it: its replicas and
 * their real cpu usage, the gateway's per-replica and per-deployment stats) and, for External
 * metrics, from an in-memory `ExternalMetricsRegistry`; a metric nobody provides is an invalid
 * metric with Kubernetes' condition (and so never scales down).
 *
 * Example:
 * ```ts
 * const hpa = await startHpaLoop({ store, clock, recorder, source: servingRuntimeAsSource, syncPeriodMs: 1000 });
 * loops.push(hpa);
 * await hpa.tick(); // tests: sync now
 * ```
 */
import { DEFAULT_NAMESPACE, isQmError, quantityToMilli, type ApiObject, type HorizontalPodAutoscalerSpec } from '@qm/api';
import {
  computeHpaDecision, hpaMetricSpecs, type Clock, type HpaControllerOptions, type HpaHistory, type HpaMetricReading, type HpaPod, type Recorder, type Store,
} from '@qm/core';
import { DEFAULT_RATE_WINDOW_MS } from '@qm/gateway';
import type { PlatformLoop } from './platform-loop.js';
import { startPeriodicLoop } from './periodic-loop.js';

export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;

/** One running replica of a ModelDeployment, as the serving runtime reports it. */
export interface HpaReplicaInfo {
  /** Also the pod name the metrics are keyed by. */
  id: string;
  ready: boolean;
  startTimeMs?: number;
  readyTransitionMs?: number;
  /** Real cpu usage (millicores) over the last window, if measured. */
  cpuMillis?: number;
}

/** What the HPA reads; the serving runtime (replicas, cpu) plus its gateway (request stats) satisfy it. */
export interface HpaMetricsSource {
  replicas(namespace: string, name: string): HpaReplicaInfo[];
  /** A per-replica metric (e.g. http_requests_per_second) by replica id; undefined when unknown. */
  podMetric(namespace: string, name: string, metric: string): Map<string, number> | undefined;
  /** A deployment-wide metric (Object metrics on the ModelDeployment); undefined when unknown. */
  deploymentMetric(namespace: string, name: string, metric: string): number | undefined;
  /** The window per-replica rates average over (the gateway's --gateway-rate-window); the gateway's default when absent. */
  readonly metricWindowMs?: number;
}

/** External metric values set through the API (or by tests), keyed by metric name. */
export class ExternalMetricsRegistry {
  private readonly values = new Map<string, { values: number[]; timestampMs: number }>();

  set(name: string, values: number[], timestampMs: number): void {
    if (!values.every((v) => Number.isFinite(v))) throw new Error(`external metric ${name}: values must be finite numbers`);
    this.values.set(name, { values: [...values], timestampMs });
  }

  get(name: string): { values: number[]; timestampMs: number } | undefined {
    return this.values.get(name);
  }
}

export interface HpaLoopOptions {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  source: HpaMetricsSource;
  external?: ExternalMetricsRegistry;
  syncPeriodMs?: number;
  options?: HpaControllerOptions;
  logger?: { error(obj: unknown, msg: string): void };
}

export interface HpaLoop extends PlatformLoop {
  /** Syncs every HPA now (tests). */
  tick(): Promise<void>;
}

const milliQ = (v: number) => `${Math.round(v * 1000)}m`;

function readings(spec: HorizontalPodAutoscalerSpec, ns: string, name: string, replicas: HpaReplicaInfo[], o: HpaLoopOptions, nowMs: number): HpaMetricReading[] {
  return hpaMetricSpecs(spec).map((m): HpaMetricReading => {
    switch (m.type) {
      case 'Pods': {
        const metric = m.pods?.metric.name ?? '';
        const per = o.source.podMetric(ns, name, metric);
        if (!per) return { kind: 'error', message: `the gateway has no per-replica metric ${metric}` };
        const samples = replicas.filter((r) => per.has(r.id)).map((r) => ({ pod: r.id, value: milliQ(per.get(r.id)!), timestampMs: nowMs, windowMs: o.source.metricWindowMs ?? DEFAULT_RATE_WINDOW_MS }));
        return { kind: 'pods', samples };
      }
      case 'Resource': {
        if (m.resource?.name !== 'cpu') return { kind: 'error', message: `only cpu usage is measured, not ${m.resource?.name}` };
        const samples = replicas.filter((r) => r.cpuMillis !== undefined).map((r) => ({ pod: r.id, value: `${Math.round(r.cpuMillis!)}m`, timestampMs: nowMs }));
        return { kind: 'pods', samples };
      }
      case 'Object': {
        const target = m.object?.describedObject;
        if (target?.kind !== 'ModelDeployment') return { kind: 'error', message: `object metrics are served only for ModelDeployments, not ${target?.kind}` };
        const v = o.source.deploymentMetric(ns, target.name, m.object!.metric.name);
        return v === undefined ? { kind: 'error', message: `the gateway has no metric ${m.object!.metric.name} for ModelDeployment ${ns}/${target.name}` } : { kind: 'object', value: milliQ(v), timestampMs: nowMs };
      }
      case 'External': {
        const metricName = m.external?.metric.name ?? '';
        const v = o.external?.get(metricName);
        return v ? { kind: 'external', values: v.values.map(milliQ), timestampMs: v.timestampMs } : { kind: 'error', message: `external metric ${metricName} has no value (nothing has set it)` };
      }
      default:
        return { kind: 'error', message: `${m.type} metrics are not supported` };
    }
  });
}

function podsOf(md: ApiObject, replicas: HpaReplicaInfo[]): HpaPod[] {
  const requests: Record<string, string | number> = {};
  const cpu = md.spec?.resources?.cpu;
  if (cpu !== undefined) {
    try {
      quantityToMilli(cpu);
      requests.cpu = cpu;
    } catch { /* an unreadable request counts as missing: Utilization then fails with Kubernetes' message */ }
  }
  const pods: HpaPod[] = replicas.map((r) => ({
    name: r.id, phase: 'Running', ready: r.ready, startTimeMs: r.startTimeMs, readyTransitionMs: r.readyTransitionMs, requests,
  }));
  // Replicas wanted but not running yet are Pending pods (they count as unready on a scale-up).
  const wanted = typeof md.spec?.replicas === 'number' ? md.spec.replicas : 1;
  for (let i = replicas.length; i < wanted; i++) pods.push({ name: `${md.metadata.name}-pending-${i}`, phase: 'Pending', ready: false, requests });
  return pods;
}

export async function startHpaLoop(o: HpaLoopOptions): Promise<HpaLoop> {
  const periodMs = o.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
  if (!(Number.isFinite(periodMs) && periodMs > 0)) throw new Error(`--hpa-sync-period must be > 0, got ${periodMs} ms`);
  const histories = new Map<string, HpaHistory>();
  const lastWarnings = new Map<string, Set<string>>();

  const syncOne = async (hpa: ApiObject): Promise<void> => {
    const nowMs = o.clock.now();
    const ns = hpa.metadata.namespace ?? DEFAULT_NAMESPACE;
    const key = `${ns}/${hpa.metadata.name}`;
    const ref = { kind: 'HorizontalPodAutoscaler', namespace: ns, name: hpa.metadata.name };
    const spec = hpa.spec as HorizontalPodAutoscalerSpec;
    const warn = (events: Array<{ reason: string; message: string }>) => {
      const before = lastWarnings.get(key) ?? new Set<string>();
      const now = new Set(events.map((e) => `${e.reason}: ${e.message}`));
      for (const e of events) if (!before.has(`${e.reason}: ${e.message}`)) o.recorder.record(ref, 'Warning', e.reason, e.message);
      lastWarnings.set(key, now);
    };
    let md: ApiObject | undefined;
    if (spec.scaleTargetRef?.kind === 'ModelDeployment') md = await o.store.get('ModelDeployment', ns, spec.scaleTargetRef.name);
    if (!md) {
      const message = `the HPA controller was unable to get the target's current scale: ${spec.scaleTargetRef?.kind} ${ns}/${spec.scaleTargetRef?.name} not found (only ModelDeployment targets are scaled)`;
      warn([{ reason: 'FailedGetScale', message }]);
      await writeStatus(o.store, hpa, { ...hpa.status, conditions: [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message, lastTransitionTime: new Date(nowMs).toISOString() }] });
      return;
    }
    const replicas = o.source.replicas(ns, md.metadata.name);
    const current = typeof md.spec?.replicas === 'number' ? md.spec.replicas : 1;
    const decision = computeHpaDecision({
      hpa: { metadata: hpa.metadata, spec, status: hpa.status }, currentReplicas: current, statusReplicas: replicas.length,
      pods: podsOf(md, replicas), metrics: readings(spec, ns, md.metadata.name, replicas, o, nowMs), history: histories.get(key), nowMs, options: o.options,
    });
    histories.set(key, decision.history);
    warn(decision.events.filter((e) => e.type === 'Warning'));
    if (decision.rescale) {
      await scaleTarget(o.store, ns, md.metadata.name, decision.desiredReplicas);
      const why = decision.events.find((e) => e.reason === 'SuccessfulRescale')?.message ?? `New size: ${decision.desiredReplicas}`;
      o.recorder.record(ref, 'Normal', 'SuccessfulRescale', why);
      o.recorder.record({ kind: 'ModelDeployment', namespace: ns, name: md.metadata.name }, 'Normal', decision.desiredReplicas > current ? 'ScaledUp' : 'ScaledDown',
        `HPA ${hpa.metadata.name} scaled ${current} → ${decision.desiredReplicas} replicas (${why})`);
    }
    await writeStatus(o.store, hpa, decision.status as Record<string, unknown>);
  };

  const syncAll = async (): Promise<void> => {
    const { items } = await o.store.list('HorizontalPodAutoscaler');
    for (const hpa of items) {
      try {
        await syncOne(hpa);
      } catch (err) {
        o.logger?.error({ err, hpa: `${hpa.metadata.namespace}/${hpa.metadata.name}` }, 'HPA sync failed; retrying next period');
      }
    }
  };
  return startPeriodicLoop({
    name: 'hpa', intervalMs: periodMs, runAtStart: false, pass: syncAll,
    onError: (err) => o.logger?.error({ err }, 'HPA sync failed'),
  });
}

/** spec.replicas of the target, re-read and retried on a write conflict (the serving controller writes it too). */
async function scaleTarget(store: Store, ns: string, name: string, replicas: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const fresh = await store.get('ModelDeployment', ns, name);
    if (!fresh) return; // deleted meanwhile: nothing to scale
    try {
      await store.update({ ...fresh, spec: { ...fresh.spec, replicas } });
      return;
    } catch (err) {
      if (!isQmError(err, 'Conflict') || attempt >= 4) throw err;
    }
  }
}

async function writeStatus(store: Store, hpa: ApiObject, status: Record<string, unknown>): Promise<void> {
  const { resourceVersion: _rv, ...metadata } = hpa.metadata;
  try {
    await store.update({ ...hpa, metadata, status }, { subresource: 'status' });
  } catch (err) {
    if (!isQmError(err, 'NotFound')) throw err;
  }
}
