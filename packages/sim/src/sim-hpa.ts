/**
 * The HorizontalPodAutoscaler controller in virtual time: every sync period it runs @qm/core's
 * computeHpaDecision (the same function the live loop runs) for each autoscaling/v2 HPA whose
 * scaleTargetRef is a ModelDeployment, with the metrics the simulated serving runtime produces:
 *
 * - Pods `http_requests_per_second`: requests/s each ready replica serves (capped at
 *   spec.simulation.requestsPerSecondPerReplica); `in_flight_requests`: served rate × latency;
 * - Resource `cpu`: the replica's cpu request × its utilization (offered share ÷ capacity);
 * - Object on the ModelDeployment itself: the deployment-wide values (offered requests/s, in flight);
 * - anything else (External, other names) is an unreadable metric, as a missing adapter is live.
 *
 * Replicas not yet ready report no samples (the gateway has nothing for them), so Kubernetes'
 * missing/unready-pod rules apply. A rescale writes the target's spec.replicas (the scheduler
 * places or drops replicas in the pass that follows) and records ScaledUp/ScaledDown on the
 * ModelDeployment; the HPA's status is written every sync.
 *
 * Example:
 * ```ts
 * const hpa = new SimHpa({ store, clock, recorder, deployments });
 * await hpa.sync(); // true when some target was rescaled (run a scheduling pass)
 * ```
 */
import { DEFAULT_NAMESPACE, isQmError, quantityToMilli, type ApiObject, type HorizontalPodAutoscalerSpec } from '@qm/api';
import {
  computeHpaDecision, hpaMetricSpecs, type Clock, type HpaControllerOptions, type HpaHistory, type HpaMetricReading, type HpaPod, type Recorder, type Store,
} from '@qm/core';
import { deploymentKey, type DeploymentRecord, type DeploymentTracker } from './deployment-tracker.js';
import { replicaLoad } from './serving-model.js';

/** Kubernetes' default `--horizontal-pod-autoscaler-sync-period`. */
export const DEFAULT_HPA_SYNC_PERIOD_MS = 15_000;

/** The per-replica metrics the simulated gateway reports (the live gateway's names). */
export const SIM_POD_METRICS = ['http_requests_per_second', 'in_flight_requests'] as const;

export interface SimHpaDeps {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  deployments: DeploymentTracker;
  options?: HpaControllerOptions;
}

export interface SimHpaSyncResult {
  /** Some target's spec.replicas changed. */
  rescaled: boolean;
}

/** A quantity string from a float, in milli-units (exact enough, always parseable). */
function milliQuantity(v: number): string {
  return `${Math.round(v * 1000)}m`;
}

function requestCpuMilli(obj: ApiObject): number | undefined {
  const cpu = obj.spec?.resources?.cpu;
  if (cpu === undefined) return undefined;
  try {
    return quantityToMilli(cpu);
  } catch {
    return undefined;
  }
}

/** The HPA's view of the target's replicas: placed ones Running (ready after startup), the rest Pending. */
export function simHpaPods(rec: DeploymentRecord, replicas: ReturnType<DeploymentTracker['replicas']>, nowMs: number): HpaPod[] {
  const requests: Record<string, string | number> = rec.obj.spec?.resources?.cpu !== undefined ? { cpu: rec.obj.spec.resources.cpu } : {};
  const byIndex = new Map(replicas.map((r) => [r.index, r]));
  const wanted = typeof rec.obj.spec?.replicas === 'number' ? rec.obj.spec.replicas : 1;
  const pods: HpaPod[] = [];
  for (let i = 0; i < Math.max(wanted, ...replicas.map((r) => r.index + 1)); i++) {
    const r = byIndex.get(i);
    const name = `${rec.name}-${i}`;
    if (!r) {
      if (i < wanted) pods.push({ name, phase: 'Pending', ready: false, requests });
      continue;
    }
    const ready = nowMs >= r.readyAtMs;
    pods.push({ name, phase: 'Running', ready, startTimeMs: r.sinceMs, readyTransitionMs: ready ? r.readyAtMs : r.sinceMs, requests });
  }
  return pods;
}

/** What the simulated metrics pipeline returns for each of the HPA's metrics (same order). */
export function simHpaReadings(spec: HorizontalPodAutoscalerSpec, rec: DeploymentRecord, replicas: ReturnType<DeploymentTracker['replicas']>, nowMs: number): HpaMetricReading[] {
  const ready = replicas.filter((r) => nowMs >= r.readyAtMs);
  const load = replicaLoad(rec.offeredRps ?? 0, ready.length, rec.profile);
  const perReplica: Record<string, number> = {
    http_requests_per_second: load.servedPerReplicaRps,
    in_flight_requests: load.inFlightPerReplica,
  };
  const samples = (value: number) => ready.map((r) => ({ pod: `${rec.name}-${r.index}`, value: milliQuantity(value), timestampMs: nowMs, windowMs: 30_000 }));
  return hpaMetricSpecs(spec).map((m): HpaMetricReading => {
    switch (m.type) {
      case 'Pods': {
        const name = m.pods?.metric.name ?? '';
        if (!(name in perReplica)) return { kind: 'error', message: `the simulated gateway has no per-replica metric ${name} (it has ${SIM_POD_METRICS.join(', ')})` };
        return { kind: 'pods', samples: samples(perReplica[name]) };
      }
      case 'Resource': {
        if (m.resource?.name !== 'cpu') return { kind: 'error', message: `the simulator measures only cpu, not ${m.resource?.name}` };
        const requestMilli = requestCpuMilli(rec.obj);
        // Without a request, usage is reported as if 1 core were requested; Utilization then fails as live (missing request).
        const cpuCores = ((requestMilli ?? 1000) / 1000) * load.utilization;
        return { kind: 'pods', samples: samples(cpuCores) };
      }
      case 'Object': {
        const target = m.object?.describedObject;
        if (target?.kind !== 'ModelDeployment' || target.name !== rec.name) {
          return { kind: 'error', message: `the simulator has object metrics only for the target ModelDeployment ${rec.name}` };
        }
        const name = m.object?.metric.name ?? '';
        const total: Record<string, number> = { http_requests_per_second: rec.offeredRps ?? 0, in_flight_requests: load.inFlightPerReplica * ready.length };
        if (!(name in total)) return { kind: 'error', message: `the simulated gateway has no deployment metric ${name}` };
        return { kind: 'object', value: milliQuantity(total[name]), timestampMs: nowMs };
      }
      default:
        return { kind: 'error', message: `no ${m.type} metrics source in the simulator` };
    }
  });
}

export class SimHpa {
  private readonly histories = new Map<string, HpaHistory>();
  /** The Warnings of each HPA's last sync: one that repeats every sync is recorded once, not every 15 s. */
  private readonly lastWarnings = new Map<string, Set<string>>();

  constructor(private readonly deps: SimHpaDeps) {}

  /** Whether any HPA exists (the loop ticks only then). */
  async any(): Promise<boolean> {
    return (await this.deps.store.list('HorizontalPodAutoscaler')).items.length > 0;
  }

  /** One sync of every HPA, in namespace/name order. */
  async sync(): Promise<SimHpaSyncResult> {
    const { items } = await this.deps.store.list('HorizontalPodAutoscaler');
    const sorted = [...items].sort((a, b) => key(a).localeCompare(key(b)));
    let rescaled = false;
    const seen = new Set<string>();
    for (const hpa of sorted) {
      seen.add(key(hpa));
      const out = await this.syncOne(hpa);
      rescaled ||= out.rescaled;
    }
    for (const k of [...this.histories.keys()]) if (!seen.has(k)) this.histories.delete(k);
    return { rescaled };
  }

  private async syncOne(hpa: ApiObject): Promise<SimHpaSyncResult> {
    const nowMs = this.deps.clock.now();
    const ns = hpa.metadata.namespace ?? DEFAULT_NAMESPACE;
    const spec = hpa.spec as HorizontalPodAutoscalerSpec;
    const ref = spec.scaleTargetRef;
    const hpaRef = { kind: 'HorizontalPodAutoscaler', namespace: ns, name: hpa.metadata.name };
    const rec = ref?.kind === 'ModelDeployment' ? this.deps.deployments.get(deploymentKey(ns, ref.name)) : undefined;
    if (!rec) {
      const message = ref?.kind === 'ModelDeployment'
        ? `the HPA controller was unable to get the target's current scale: ModelDeployment ${ns}/${ref.name} not found`
        : `the HPA controller was unable to get the target's current scale: kind ${String(ref?.kind)} is not scalable here (only ModelDeployment)`;
      this.warnings(hpaRef, [{ reason: 'FailedGetScale', message }]);
      await this.writeStatus(hpa, {
        ...hpa.status,
        conditions: [{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message, lastTransitionTime: new Date(nowMs).toISOString() }],
      });
      return { rescaled: false };
    }
    const replicas = this.deps.deployments.replicas(rec);
    const current = typeof rec.obj.spec?.replicas === 'number' ? rec.obj.spec.replicas : 1;
    const history = this.histories.get(key(hpa));
    const decision = computeHpaDecision({
      hpa: { metadata: hpa.metadata, spec, status: hpa.status },
      currentReplicas: current,
      statusReplicas: replicas.length,
      pods: simHpaPods(rec, replicas, nowMs),
      metrics: simHpaReadings(spec, rec, replicas, nowMs),
      history,
      nowMs,
      options: this.deps.options,
    });
    this.histories.set(key(hpa), decision.history);
    this.warnings(hpaRef, decision.events.filter((e) => e.type === 'Warning'));
    await this.writeStatus(hpa, decision.status);
    if (decision.rescale) {
      await this.scaleTarget(rec, decision.desiredReplicas);
      const up = decision.desiredReplicas > current;
      const why = decision.events.find((e) => e.reason === 'SuccessfulRescale')?.message ?? `New size: ${decision.desiredReplicas}`;
      this.deps.recorder.record({ kind: 'ModelDeployment', namespace: ns, name: rec.name }, 'Normal', up ? 'ScaledUp' : 'ScaledDown',
        `HPA ${hpa.metadata.name} scaled ${current} → ${decision.desiredReplicas} replicas (${why})`);
    }
    return { rescaled: decision.rescale };
  }

  /** Records the Warnings that the previous sync of this HPA did not already have. */
  private warnings(ref: { kind: string; namespace: string; name: string }, events: Array<{ reason: string; message: string }>): void {
    const k = `${ref.namespace}/${ref.name}`;
    const before = this.lastWarnings.get(k) ?? new Set<string>();
    const now = new Set<string>();
    for (const e of events) {
      const text = `${e.reason}: ${e.message}`;
      now.add(text);
      if (!before.has(text)) this.deps.recorder.record(ref, 'Warning', e.reason, e.message);
    }
    this.lastWarnings.set(k, now);
  }

  private async scaleTarget(rec: DeploymentRecord, replicas: number): Promise<void> {
    const obj = rec.obj;
    const { resourceVersion: _rv, ...metadata } = obj.metadata;
    await this.deps.store.update({ ...obj, metadata, spec: { ...obj.spec, replicas } });
  }

  private async writeStatus(hpa: ApiObject, status: Record<string, unknown>): Promise<void> {
    const { resourceVersion: _rv, ...metadata } = hpa.metadata;
    try {
      await this.deps.store.update({ ...hpa, metadata, status }, { subresource: 'status' });
    } catch (err) {
      if (!isQmError(err, 'NotFound')) throw err;
    }
  }
}

function key(obj: ApiObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}
