/**
 * Live metering: every `intervalMs` (default 15 s), and right after a TrainingJob or
 * ModelDeployment changes phase, writes `status.cost` of each workload that holds or held
 * capacity: `{gpuHours, usd, lostUSD, spotUSD, onDemandUSD, priced}` (+ `unpricedGpuHours`,
 * `unpricedReason` when some of it ran on a node with no price — never a silent zero).
 *
 * - TrainingJob: computed from scratch each time from `status.attempts[]` (start/end times,
 *   nodes) at the nodes' prices, so the numbers after completion are exact and a restart loses
 *   nothing. `lostUSD` is each attempt's cost × lostWorkSeconds / its run time.
 * - ModelDeployment: replicas leave no history in the object, so cost is accrued: each tick adds
 *   the placed replicas' cost since `status.cost.accruedAt` (kept in the status, so a restart
 *   resumes where the last write left off). With `requestCounts` (the serving gateway's counts),
 *   `requests` accrues the same way and `usdPer1kRequests` = usd × 1000 / requests.
 *
 * A status is written only when USD or GPU-hours moved by a cent / a hundredth of an hour, the
 * phase changed, or the workload no longer runs and its stored numbers are not the final ones.
 * Prometheus: `qm_cost_usd_total{namespace,queue}` and `qm_gpu_hours_total{namespace,queue}`
 * grow by what each tick adds (seeded with the stored cost of the workloads seen at start).
 *
 * Example:
 * ```ts
 * const loop = await startCostLoop({ store, clock, registry: metrics.registry, intervalMs: 15_000 });
 * loops.push(loop);
 * await loop.tick(); // tests: meter now
 * ```
 */
import type { FastifyBaseLogger } from 'fastify';
import { Counter, type Registry } from 'prom-client';
import { isQmError, type ApiObject } from '@qm/api';
import {
  attemptWindows, costOwnerOf, costStatusOf, deploymentIntervals, podIntervalCost, roundCost, trainingJobIntervals, usdPer1kRequests, workloadCost,
  type Clock, type Store, type WatchHandle, type WorkloadCost,
} from '@qm/core';
import { loadClusterPrices, type ClusterPrices } from './cost-prices.js';
import type { PlatformLoop } from './platform-loop.js';

export const DEFAULT_COST_INTERVAL_MS = 15_000;
const CENT = 0.01;
const KINDS = ['TrainingJob', 'ModelDeployment'] as const;

export interface CostLoopOptions {
  store: Store;
  clock: Clock;
  logger?: FastifyBaseLogger;
  registry?: Registry;
  /** How often to meter (default 15 s). */
  intervalMs?: number;
  /**
   * Requests the serving gateway has sent to `namespace/name`'s replicas since it started, never
   * decreasing (see gatewayRequestCounter). Absent: ModelDeployments get no request figures.
   */
  requestCounts?: (namespace: string, name: string) => number;
}

export interface CostLoop extends PlatformLoop {
  /** Meters every workload now (passes never overlap; a call during one waits for the next). */
  tick(): Promise<void>;
}

interface Seen {
  phase?: string;
  usd: number;
  gpuHours: number;
}

export async function startCostLoop(opts: CostLoopOptions): Promise<CostLoop> {
  const intervalMs = opts.intervalMs ?? DEFAULT_COST_INTERVAL_MS;
  const metrics = opts.registry ? costMetrics(opts.registry) : undefined;
  /** kind/ns/name → what was last written (phase) and counted in the metrics. */
  const seen = new Map<string, Seen>();
  /** kind/ns/name → the gateway count already in the stored status.cost.requests (0 after a restart: the gateway's count restarts too). */
  const requestBase = new Map<string, number>();
  let stopped = false;
  let running: Promise<void> | undefined;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let soon: NodeJS.Timeout | undefined;

  const pass = async (): Promise<void> => {
    const prices = await loadClusterPrices(opts.store);
    for (const kind of KINDS) {
      const listed = await opts.store.list(kind);
      for (const obj of listed.items) {
        if (stopped) return;
        try {
          await meterOne(obj, prices);
        } catch (err) {
          opts.logger?.warn({ err, kind, name: obj.metadata.name, namespace: obj.metadata.namespace }, 'metering a workload failed; retrying next tick');
        }
      }
    }
  };

  const meterOne = async (listed: ApiObject, prices: ClusterPrices): Promise<void> => {
    let obj = listed;
    for (let attempt = 0; attempt < 4; attempt++) {
      const now = opts.clock.now();
      const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      const requests = obj.kind === 'ModelDeployment' && opts.requestCounts
        ? { count: opts.requestCounts(obj.metadata.namespace ?? '', obj.metadata.name), base: requestBase.get(key) ?? 0 }
        : undefined;
      const next = obj.kind === 'TrainingJob' ? trainingCost(obj, prices, now) : deploymentCost(obj, prices, now, requests);
      if (!next) return;
      const phase = phaseOf(obj);
      const prev = seen.get(key);
      count(obj, prev, next.status);
      if (!shouldWrite(obj.status?.cost, next.status, next.final, prev?.phase !== phase)) {
        seen.set(key, { phase, usd: num(next.status.usd), gpuHours: num(next.status.gpuHours) });
        return;
      }
      const { resourceVersion, ...metadata } = obj.metadata;
      try {
        await opts.store.update({ ...obj, metadata: { ...metadata, resourceVersion }, status: { ...obj.status, cost: next.status } }, { subresource: 'status' });
        seen.set(key, { phase, usd: num(next.status.usd), gpuHours: num(next.status.gpuHours) });
        if (requests) requestBase.set(key, requests.count);
        return;
      } catch (err) {
        if (!isQmError(err, 'Conflict')) throw err;
        const fresh = await opts.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
        if (!fresh) return;
        obj = fresh;
      }
    }
  };

  /** Adds to the counters what this workload accrued since it was last seen. */
  const count = (obj: ApiObject, prev: Seen | undefined, status: Record<string, unknown>): void => {
    if (!metrics) return;
    const owner = costOwnerOf(obj);
    const labels = { namespace: owner.namespace, queue: owner.queue ?? '' };
    const dUsd = num(status.usd) - (prev?.usd ?? 0);
    const dGpu = num(status.gpuHours) - (prev?.gpuHours ?? 0);
    if (dUsd > 0) metrics.usd.inc(labels, dUsd);
    if (dGpu > 0) metrics.gpuHours.inc(labels, dGpu);
  };

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await pass();
        } catch (err) {
          opts.logger?.error({ err }, 'cost metering pass failed; retrying next tick');
        }
      } while (again && !stopped);
      running = undefined;
    })();
    return running;
  };

  const arm = (): void => {
    if (stopped) return;
    timer = setTimeout(() => { void tick().finally(arm); }, intervalMs);
    timer.unref();
  };

  // A phase change (start, preemption, completion) is metered at once, not at the next tick.
  const phases = new Map<string, string | undefined>();
  let watch: WatchHandle | undefined = await opts.store.watch({}, (event) => {
    const obj = event.object;
    if (obj.kind !== 'TrainingJob' && obj.kind !== 'ModelDeployment') return;
    const key = `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
    if (event.type === 'DELETED') {
      phases.delete(key);
      // A deployment created again under this name starts from the gateway's count as it is then.
      if (opts.requestCounts && obj.kind === 'ModelDeployment') requestBase.set(key, opts.requestCounts(obj.metadata.namespace ?? '', obj.metadata.name));
      return;
    }
    const phase = phaseOf(obj);
    if (phases.has(key) && phases.get(key) === phase) return;
    phases.set(key, phase);
    if (soon || stopped) return;
    soon = setTimeout(() => { soon = undefined; void tick(); }, 50);
    soon.unref();
  });
  void tick();
  arm();

  return {
    name: 'cost',
    tick,
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      if (soon) clearTimeout(soon);
      watch?.close();
      watch = undefined;
      await running;
    },
  };
}

interface NextCost {
  status: Record<string, unknown>;
  /** The workload holds nothing any more: these are its final numbers. */
  final: boolean;
}

function trainingCost(job: ApiObject, prices: ClusterPrices, nowMs: number): NextCost | undefined {
  const attempts = attemptWindows(job, nowMs);
  if (attempts.length === 0) return undefined;
  const defaults = prices.defaultsFor(job.metadata.namespace ?? '');
  const cost = workloadCost(trainingJobIntervals(job, nowMs, defaults), prices.priceOf, attempts);
  const open = ((job.status?.attempts ?? []) as Array<Record<string, unknown>>).some((a) => a.startTime && !a.endTime);
  return { status: costStatusOf(cost), final: !open };
}

/** The gateway's count for a deployment now, and the part of it already in status.cost.requests. */
interface RequestCount {
  count: number;
  base: number;
}

function deploymentCost(md: ApiObject, prices: ClusterPrices, nowMs: number, requests?: RequestCount): NextCost | undefined {
  const prev = (md.status?.cost ?? {}) as Record<string, any>;
  const intervals = deploymentIntervals(md, nowMs, prices.defaultsFor(md.metadata.namespace ?? ''));
  if (intervals.length === 0 && prev.usd === undefined) return undefined;
  const accruedAt = Date.parse(prev.accruedAt ?? '');
  const from = Number.isFinite(accruedAt) ? accruedAt : -Infinity;
  const add: WorkloadCost = { gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0, usd: 0, spotUSD: 0, onDemandUSD: 0, lostUSD: 0, priced: true, unpricedGpuHours: 0 };
  for (const i of intervals) {
    const startMs = Math.max(i.startMs, from);
    if (startMs >= nowMs) continue;
    const price = prices.priceOf(i.node);
    const c = podIntervalCost({ ...i, startMs }, price);
    add.gpuHours += c.gpuHours;
    add.usd += c.usd;
    if (c.capacityType === 'spot') add.spotUSD += c.usd;
    else add.onDemandUSD += c.usd;
    if (!price.priced) {
      add.priced = false;
      add.unpricedGpuHours += c.gpuHours;
      add.unpricedReason ??= price.reason;
    }
  }
  const priced = add.priced && prev.priced !== false;
  const status: Record<string, unknown> = {
    gpuHours: roundCost(num(prev.gpuHours) + add.gpuHours),
    usd: roundCost(num(prev.usd) + add.usd),
    lostUSD: 0,
    spotUSD: roundCost(num(prev.spotUSD) + add.spotUSD),
    onDemandUSD: roundCost(num(prev.onDemandUSD) + add.onDemandUSD),
    priced,
    accruedAt: new Date(nowMs).toISOString(),
  };
  if (!priced) {
    status.unpricedGpuHours = roundCost(num(prev.unpricedGpuHours) + add.unpricedGpuHours);
    status.unpricedReason = add.unpricedReason ?? prev.unpricedReason ?? 'unpriced';
  }
  if (requests || prev.requests !== undefined) {
    const total = num(prev.requests) + (requests ? Math.max(0, requests.count - requests.base) : 0);
    status.requests = total;
    const per1k = usdPer1kRequests(status.usd as number, total);
    if (per1k !== undefined) status.usdPer1kRequests = roundCost(per1k);
  }
  return { status, final: intervals.length === 0 };
}

/**
 * Write when the numbers moved by a cent (or 0.01 GPU-hour), the phase changed, or — for a
 * workload that holds nothing — when the stored numbers differ at all from the final ones.
 */
export function shouldWrite(stored: Record<string, unknown> | undefined, next: Record<string, unknown>, final: boolean, phaseChanged: boolean): boolean {
  if (!stored) return true;
  const moved = (field: string, by: number) => Math.abs(num(next[field]) - num(stored[field])) >= by;
  if (final) {
    return ['gpuHours', 'usd', 'lostUSD', 'spotUSD', 'onDemandUSD', 'priced', 'unpricedGpuHours', 'requests'].some((f) => next[f] !== stored[f]);
  }
  if (stored.priced !== next.priced) return true;
  // Requests: a 1 % move (at least one request) is news; every single request would flood watches.
  return phaseChanged || moved('usd', CENT) || moved('gpuHours', CENT) || moved('lostUSD', CENT)
    || moved('requests', Math.max(1, 0.01 * num(stored.requests)));
}

/** Per-replica counts as the gateway reports them (`gateway.stats('ns/name')`). */
export type GatewayStatsSource = (deploymentKey: string) => { replicas: ReadonlyArray<{ id: string; requestsTotal: number }> } | undefined;

/**
 * Turns the gateway's per-replica `requestsTotal` (which vanish with their replica) into one
 * never-decreasing count per deployment, for startCostLoop's `requestCounts`: each call adds what
 * every replica served since the previous call. Requests a replica served after the last call
 * and before it left are not seen (at most one metering interval's worth of that replica).
 *
 * Example:
 * ```ts
 * startCostLoop({ store, clock, requestCounts: gatewayRequestCounter((key) => serving.gateway.stats(key)) });
 * ```
 */
export function gatewayRequestCounter(stats: GatewayStatsSource): (namespace: string, name: string) => number {
  const state = new Map<string, { total: number; replicas: Map<string, number> }>();
  return (namespace, name) => {
    const key = `${namespace}/${name}`;
    let s = state.get(key);
    if (!s) state.set(key, s = { total: 0, replicas: new Map() });
    const now = stats(key);
    if (!now) return s.total;
    const replicas = new Map<string, number>();
    for (const r of now.replicas) {
      const last = s.replicas.get(r.id) ?? 0;
      // A smaller count means the replica left and joined again under the same id: it restarted from 0.
      s.total += r.requestsTotal >= last ? r.requestsTotal - last : r.requestsTotal;
      replicas.set(r.id, r.requestsTotal);
    }
    s.replicas = replicas;
    return s.total;
  };
}

function phaseOf(obj: ApiObject): string | undefined {
  if (obj.kind === 'ModelDeployment') return `${(obj.status?.replicaPlacements ?? []).length}`;
  return obj.status?.phase;
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function costMetrics(registry: Registry) {
  const existing = registry.getSingleMetric('qm_cost_usd_total');
  if (existing) registry.removeSingleMetric('qm_cost_usd_total');
  if (registry.getSingleMetric('qm_gpu_hours_total')) registry.removeSingleMetric('qm_gpu_hours_total');
  return {
    usd: new Counter({
      name: 'qm_cost_usd_total', help: 'USD accrued by workloads (priced nodes only), by namespace and queue.',
      labelNames: ['namespace', 'queue'] as const, registers: [registry],
    }),
    gpuHours: new Counter({
      name: 'qm_gpu_hours_total', help: 'GPU-hours held by workloads, by namespace and queue.',
      labelNames: ['namespace', 'queue'] as const, registers: [registry],
    }),
  };
}
