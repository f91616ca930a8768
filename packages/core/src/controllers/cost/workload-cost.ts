/**
 * A workload's pod intervals, read from its status, and what they cost: the bridge between the
 * objects (TrainingJob attempts, ModelDeployment replica placements) and pure metering.
 *
 * TrainingJob: one interval per worker per attempt, from the attempt's `startTime` to its
 * `endTime` (an open attempt runs to `nowMs`). Which node each worker used comes from
 * `status.workers` for the attempt they belong to (the latest); earlier attempts record only
 * their node list, so their workers are spread over it in rank order (worker i on nodes[i mod n]),
 * which is exact whenever an attempt's nodes are alike (one pool, one price).
 *
 * ModelDeployment: one interval per placed replica, from its `startTime` (else `admittedAt`) to
 * `nowMs`. Replicas that were removed leave no record in the object, so this covers what runs
 * now; live `status.cost` of a deployment is accrued over time instead (see the server's cost loop).
 *
 * Example:
 * ```ts
 * const intervals = trainingJobIntervals(job, nowMs);
 * const cost = workloadCost(intervals, (node) => prices.get(node) ?? goneNode(node), attemptsOf(job, nowMs));
 * cost.usd; cost.lostUSD; cost.priced;
 * ```
 */
import type { ApiObject, CapacityType } from '@qm/api';
import { GPU, toResources, type Resources } from '../../resources/index.js';
import { podIntervalCost, type CostOwner, type PodInterval } from './metering.js';
import type { NodePrice, UnpricedNode } from './node-price.js';
import { lostWorkUSD } from './showback.js';

/** Per-worker requests of a TrainingJob: `spec.resources` plus `gpusPerWorker` GPUs; cpu/memory fall back to `defaults`. */
export function trainingWorkerRequests(spec: Record<string, any> | undefined, defaults: Resources = {}): Resources {
  const request = toResources(spec?.resources, 'spec.resources');
  const gpus = Number(spec?.gpusPerWorker ?? 0);
  if (gpus > 0) request[GPU] = gpus;
  else delete request[GPU];
  for (const [k, v] of Object.entries(defaults)) if (request[k] === undefined) request[k] = v;
  return request;
}

/** Per-replica requests of a ModelDeployment (`spec.resources`, with `defaults` for missing cpu/memory). */
export function replicaRequests(spec: Record<string, any> | undefined, defaults: Resources = {}): Resources {
  const request = toResources(spec?.resources, 'spec.resources');
  for (const [k, v] of Object.entries(defaults)) if (request[k] === undefined) request[k] = v;
  return request;
}

/** Who pays: namespace, kind, name and the queue (status.queue once routed, else spec.queue). */
export function costOwnerOf(obj: ApiObject): CostOwner {
  const queue = obj.status?.queue ?? obj.spec?.queue;
  return {
    namespace: obj.metadata.namespace ?? '', kind: obj.kind, name: obj.metadata.name,
    ...(typeof queue === 'string' && queue !== '' ? { queue } : {}),
  };
}

/** One attempt as metering needs it. */
export interface AttemptWindow {
  index: number;
  startMs: number;
  endMs: number;
  nodes: string[];
  lostWorkSeconds?: number;
}

/** The attempts of a TrainingJob with a start, closed at `nowMs` when still open. */
export function attemptWindows(job: ApiObject, nowMs: number): AttemptWindow[] {
  const out: AttemptWindow[] = [];
  for (const a of (job.status?.attempts ?? []) as Array<Record<string, any>>) {
    const startMs = Date.parse(a?.startTime ?? '');
    if (!Number.isFinite(startMs)) continue;
    const ended = Date.parse(a.endTime ?? '');
    const endMs = Number.isFinite(ended) ? ended : Math.max(startMs, nowMs);
    out.push({
      index: Number(a.index ?? out.length), startMs, endMs,
      nodes: Array.isArray(a.nodes) ? a.nodes.filter((n: unknown): n is string => typeof n === 'string') : [],
      ...(typeof a.lostWorkSeconds === 'number' ? { lostWorkSeconds: a.lostWorkSeconds } : {}),
    });
  }
  return out.sort((a, b) => a.index - b.index);
}

/** Node name used for a worker whose node nobody recorded (charged as unpriced). */
export const UNKNOWN_NODE = '(unknown)';

/** The pod intervals of a TrainingJob (see the module comment), each tagged `pod: name-a<attempt>-w<rank>`. */
export function trainingJobIntervals(job: ApiObject, nowMs: number, defaults: Resources = {}): PodInterval[] {
  const requests = trainingWorkerRequests(job.spec, defaults);
  const owner = costOwnerOf(job);
  const workers = Math.max(1, Number(job.spec?.workers ?? 1));
  const attempts = attemptWindows(job, nowMs);
  const latest = attempts[attempts.length - 1];
  const placed = ((job.status?.workers ?? []) as Array<Record<string, any>>)
    .filter((w) => typeof w?.node === 'string' && typeof w.rank === 'number')
    .sort((a, b) => a.rank - b.rank);
  const out: PodInterval[] = [];
  for (const a of attempts) {
    const useStatus = a === latest && placed.length === workers && placed.every((w) => a.nodes.length === 0 || a.nodes.includes(w.node));
    for (let rank = 0; rank < workers; rank++) {
      const node = useStatus ? placed[rank].node as string : a.nodes.length > 0 ? a.nodes[rank % a.nodes.length] : UNKNOWN_NODE;
      out.push({ owner, pod: `${job.metadata.name}-a${a.index}-w${rank}`, node, startMs: a.startMs, endMs: a.endMs, requests: { ...requests } });
    }
  }
  return out;
}

/** The intervals of a ModelDeployment's placed replicas, from their start (not before `sinceMs`) to `nowMs`. */
export function deploymentIntervals(md: ApiObject, nowMs: number, defaults: Resources = {}): PodInterval[] {
  const requests = replicaRequests(md.spec, defaults);
  const owner = costOwnerOf(md);
  const out: PodInterval[] = [];
  for (const p of (md.status?.replicaPlacements ?? []) as Array<Record<string, any>>) {
    if (typeof p?.node !== 'string' || p.node === '') continue;
    const startMs = Date.parse(p.startTime ?? p.admittedAt ?? '');
    if (!Number.isFinite(startMs) || startMs > nowMs) continue;
    out.push({ owner, pod: `${md.metadata.name}-r${p.index}`, node: p.node, startMs, endMs: nowMs, requests: { ...requests } });
  }
  return out;
}

/** The price of a node that is not (or no longer) in the cluster: unpriced, saying so. */
export function missingNodePrice(node: string): UnpricedNode {
  return {
    node, priced: false, capacityType: 'on-demand', capacity: { gpus: 0, cpuCores: 0, memoryGiB: 0 },
    reason: node === UNKNOWN_NODE ? 'unpriced: the node this ran on was not recorded' : `unpriced: node ${node} is not in the cluster (any more)`,
  };
}

/** What a workload cost, as `status.cost` and showback report it. */
export interface WorkloadCost {
  gpuHours: number;
  cpuCoreHours: number;
  memoryGiBHours: number;
  usd: number;
  spotUSD: number;
  onDemandUSD: number;
  /** USD spent on work later lost to preemption or interruption (training only). */
  lostUSD: number;
  /** False when some of it ran on an unpriced node: `usd` then covers only the priced part. */
  priced: boolean;
  unpricedGpuHours: number;
  /** Why, for the first unpriced node. */
  unpricedReason?: string;
}

/**
 * Sums pod intervals at their nodes' prices (podIntervalCost: no overcommit scaling, which only
 * matters when measured usage exceeds a node). `attempts` adds lostUSD: each attempt's cost ×
 * lostWorkSeconds / its run time.
 */
export function workloadCost(intervals: readonly PodInterval[], priceOf: (node: string) => NodePrice, attempts: readonly AttemptWindow[] = []): WorkloadCost {
  const cost: WorkloadCost = { gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0, usd: 0, spotUSD: 0, onDemandUSD: 0, lostUSD: 0, priced: true, unpricedGpuHours: 0 };
  const perAttempt = new Map<string, number>();
  for (const interval of intervals) {
    const price = priceOf(interval.node);
    const c = podIntervalCost(interval, price);
    cost.gpuHours += c.gpuHours;
    cost.cpuCoreHours += c.cpuCoreHours;
    cost.memoryGiBHours += c.memoryGiBHours;
    cost.usd += c.usd;
    addByCapacity(cost, c.capacityType, c.usd);
    if (!price.priced) {
      cost.priced = false;
      cost.unpricedGpuHours += c.gpuHours;
      cost.unpricedReason ??= price.reason;
    }
    const key = `${interval.startMs}:${interval.endMs}`;
    perAttempt.set(key, (perAttempt.get(key) ?? 0) + c.usd);
  }
  cost.lostUSD = lostWorkUSD(attempts.map((a) => ({
    runSeconds: (a.endMs - a.startMs) / 1000, usd: perAttempt.get(`${a.startMs}:${a.endMs}`) ?? 0,
    ...(a.lostWorkSeconds !== undefined ? { lostWorkSeconds: a.lostWorkSeconds } : {}),
  })));
  return cost;
}

function addByCapacity(cost: WorkloadCost, capacityType: CapacityType, usd: number): void {
  if (capacityType === 'spot') cost.spotUSD += usd;
  else cost.onDemandUSD += usd;
}

/** Rounds to micro-dollars / micro-hours so stored numbers are stable and readable. */
export function roundCost(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The `status.cost` object of a workload: gpuHours, usd, lostUSD, spotUSD, onDemandUSD, priced
 * (and unpricedGpuHours + unpricedReason when not priced). Never a silent zero: an unpriced node
 * shows up as `priced: false`.
 */
export function costStatusOf(cost: WorkloadCost): Record<string, number | boolean | string> {
  return {
    gpuHours: roundCost(cost.gpuHours),
    usd: roundCost(cost.usd),
    lostUSD: roundCost(cost.lostUSD),
    spotUSD: roundCost(cost.spotUSD),
    onDemandUSD: roundCost(cost.onDemandUSD),
    priced: cost.priced,
    ...(cost.priced ? {} : { unpricedGpuHours: roundCost(cost.unpricedGpuHours), unpricedReason: cost.unpricedReason ?? 'unpriced' }),
  };
}
