/**
 * Pure metering: what a pod's stay on a node cost, and one node's cost over a window split into
 * what each pod is charged plus idle (unallocated) capacity, so that
 * Σ pod charges + idle = node price × hours present, exactly (see reconcileMeters).
 *
 * Charging rule (OpenCost's): GPUs allocated × GPU rate, plus CPU and memory at
 * max(request, measured usage) × rate, at the rates of the node the pod ran on (spot or
 * on-demand). If usage above requests makes the pods on a node claim more CPU or memory than the
 * node has, their claims on that resource are scaled down in proportion for that time, so nobody
 * pays for more than the machine; idle is then zero for that resource.
 *
 * Example:
 * ```ts
 * const meter = meterNode(price, [{ owner, node: 'gpu-1', startMs: 0, endMs: 3_600_000, requests: { 'nvidia.com/gpu': 2 } }],
 *   { startMs: 0, endMs: 3_600_000 });
 * meter.charges[0].usd + meter.idle.usd === meter.nodeUSD; // up to float rounding
 * ```
 */
import type { CapacityType } from '@qm/api';
import { CPU, GPU, MEMORY, MIG_PREFIX, type Resources } from '../../resources/index.js';
import type { NodePrice } from './node-price.js';

const HOUR_MS = 3_600_000;
const GIB = 2 ** 30;

/** Who a charge belongs to. `kind`/`name` are the workload (TrainingJob, ModelDeployment, …). */
export interface CostOwner {
  namespace: string;
  kind: string;
  name: string;
  queue?: string;
}

/** One pod's stay on one node. `usage` is the measured average over the interval, when known. */
export interface PodInterval {
  owner: CostOwner;
  pod?: string;
  node: string;
  startMs: number;
  endMs: number;
  /** Base units (see core resources): cpu millicores, memory bytes, GPUs and MIG slices as counts. */
  requests: Resources;
  usage?: { cpuMillis?: number; memoryBytes?: number };
}

export interface ResourceHours {
  gpuHours: number;
  cpuCoreHours: number;
  memoryGiBHours: number;
}

export interface CostBreakdown extends ResourceHours {
  gpuUSD: number;
  cpuUSD: number;
  memoryUSD: number;
  usd: number;
}

/** A pod interval's cost. On an unpriced node `priced` is false and every USD field is 0 (hours still count). */
export interface PodCharge extends CostBreakdown {
  owner: CostOwner;
  pod?: string;
  node: string;
  capacityType: CapacityType;
  priced: boolean;
  startMs: number;
  endMs: number;
}

export interface NodeMeter {
  node: string;
  capacityType: CapacityType;
  priced: boolean;
  /** Why the node is unpriced (absent when priced). */
  unpricedReason?: string;
  /** Hours the node was present within the window. */
  hours: number;
  /** Node price × hours present. */
  nodeUSD: number;
  charges: PodCharge[];
  /** Capacity nobody held, and price no resource accounts for (a node whose capacity is unknown). */
  idle: CostBreakdown & { unattributedUSD: number };
}

export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/** What a pod is charged for, per unit of time: GPUs (MIG `Ng.*` slices as N/7 GPU), CPU cores and GiB at max(request, usage). */
export function chargedAmounts(requests: Resources, usage?: PodInterval['usage']): { gpus: number; cpuCores: number; memoryGiB: number } {
  let gpus = requests[GPU] ?? 0;
  for (const [name, count] of Object.entries(requests)) {
    const slice = name.startsWith(MIG_PREFIX) ? /^(\d+)g\./.exec(name.slice(MIG_PREFIX.length)) : null;
    if (slice) gpus += (count * Number(slice[1])) / 7;
  }
  const cpuMillis = Math.max(requests[CPU] ?? 0, usage?.cpuMillis ?? 0);
  const memoryBytes = Math.max(requests[MEMORY] ?? 0, usage?.memoryBytes ?? 0);
  return { gpus, cpuCores: cpuMillis / 1000, memoryGiB: memoryBytes / GIB };
}

/** USD per hour a pod accrues on a node right now (0 on an unpriced node). Used for live status and forecasts. */
export function podHourlyUSD(requests: Resources, price: NodePrice, usage?: PodInterval['usage']): number {
  if (!price.priced) return 0;
  const a = chargedAmounts(requests, usage);
  return a.gpus * price.rates.gpuHour + a.cpuCores * price.rates.cpuCoreHour + a.memoryGiB * price.rates.memoryGiBHour;
}

/** One pod interval's cost on its own (no overcommit scaling): what live `status.cost` accrues. */
export function podIntervalCost(interval: PodInterval, price: NodePrice): PodCharge {
  const hours = Math.max(0, interval.endMs - interval.startMs) / HOUR_MS;
  const a = chargedAmounts(interval.requests, interval.usage);
  const rates = price.priced ? price.rates : { gpuHour: 0, cpuCoreHour: 0, memoryGiBHour: 0 };
  const charge = emptyCharge(interval, price);
  charge.gpuHours = a.gpus * hours;
  charge.cpuCoreHours = a.cpuCores * hours;
  charge.memoryGiBHours = a.memoryGiB * hours;
  charge.gpuUSD = charge.gpuHours * rates.gpuHour;
  charge.cpuUSD = charge.cpuCoreHours * rates.cpuCoreHour;
  charge.memoryUSD = charge.memoryGiBHours * rates.memoryGiBHour;
  charge.usd = charge.gpuUSD + charge.cpuUSD + charge.memoryUSD;
  return charge;
}

/**
 * Meters one node over `window`: each pod interval on it (clipped to the window and to when the
 * node was `present`), and the idle remainder. Intervals on other nodes are ignored.
 */
export function meterNode(price: NodePrice, intervals: readonly PodInterval[], window: TimeWindow, present: TimeWindow = window): NodeMeter {
  const from = Math.max(window.startMs, present.startMs);
  const to = Math.max(from, Math.min(window.endMs, present.endMs));
  const hours = (to - from) / HOUR_MS;
  const cap = price.capacity;
  const rates = price.priced ? price.rates : { gpuHour: 0, cpuCoreHour: 0, memoryGiBHour: 0 };
  const pods = intervals
    .filter((i) => i.node === price.node)
    .map((i) => ({ interval: i, startMs: Math.max(i.startMs, from), endMs: Math.min(i.endMs, to), amounts: chargedAmounts(i.requests, i.usage) }))
    .filter((p) => p.endMs > p.startMs);
  const charges = pods.map((p) => ({ ...emptyCharge(p.interval, price), startMs: p.startMs, endMs: p.endMs }));
  const idle = { ...zeroBreakdown(), unattributedUSD: 0 };

  // Sweep the window in slices between consecutive pod starts/ends; within a slice the set of pods is fixed.
  const cuts = [...new Set([from, to, ...pods.flatMap((p) => [p.startMs, p.endMs])])].sort((a, b) => a - b);
  for (let s = 0; s + 1 < cuts.length; s++) {
    const [a, b] = [cuts[s], cuts[s + 1]];
    const dtHours = (b - a) / HOUR_MS;
    const active = pods.map((p, index) => ({ p, index })).filter(({ p }) => p.startMs <= a && p.endMs >= b);
    const sum = { gpus: 0, cpuCores: 0, memoryGiB: 0 };
    for (const { p } of active) {
      sum.gpus += p.amounts.gpus;
      sum.cpuCores += p.amounts.cpuCores;
      sum.memoryGiB += p.amounts.memoryGiB;
    }
    const scale = {
      gpus: sum.gpus > cap.gpus ? cap.gpus / sum.gpus : 1,
      cpuCores: sum.cpuCores > cap.cpuCores ? cap.cpuCores / sum.cpuCores : 1,
      memoryGiB: sum.memoryGiB > cap.memoryGiB ? cap.memoryGiB / sum.memoryGiB : 1,
    };
    for (const { p, index } of active) {
      const c = charges[index];
      c.gpuHours += p.amounts.gpus * dtHours;
      c.cpuCoreHours += p.amounts.cpuCores * dtHours;
      c.memoryGiBHours += p.amounts.memoryGiB * dtHours;
      c.gpuUSD += p.amounts.gpus * scale.gpus * rates.gpuHour * dtHours;
      c.cpuUSD += p.amounts.cpuCores * scale.cpuCores * rates.cpuCoreHour * dtHours;
      c.memoryUSD += p.amounts.memoryGiB * scale.memoryGiB * rates.memoryGiBHour * dtHours;
    }
    const free = {
      gpus: Math.max(0, cap.gpus - sum.gpus),
      cpuCores: Math.max(0, cap.cpuCores - sum.cpuCores),
      memoryGiB: Math.max(0, cap.memoryGiB - sum.memoryGiB),
    };
    idle.gpuHours += free.gpus * dtHours;
    idle.cpuCoreHours += free.cpuCores * dtHours;
    idle.memoryGiBHours += free.memoryGiB * dtHours;
    idle.gpuUSD += free.gpus * rates.gpuHour * dtHours;
    idle.cpuUSD += free.cpuCores * rates.cpuCoreHour * dtHours;
    idle.memoryUSD += free.memoryGiB * rates.memoryGiBHour * dtHours;
  }
  for (const c of charges) c.usd = c.gpuUSD + c.cpuUSD + c.memoryUSD;
  const nodeUSD = price.priced ? price.usdPerHour * hours : 0;
  const capacityUSD = (cap.gpus * rates.gpuHour + cap.cpuCores * rates.cpuCoreHour + cap.memoryGiB * rates.memoryGiBHour) * hours;
  // Price no resource carries (e.g. a priced node whose capacity is unknown) is idle too.
  idle.unattributedUSD = Math.max(0, nodeUSD - capacityUSD);
  idle.usd = idle.gpuUSD + idle.cpuUSD + idle.memoryUSD + idle.unattributedUSD;
  return {
    node: price.node, capacityType: price.capacityType, priced: price.priced,
    ...(price.priced ? {} : { unpricedReason: price.reason }),
    hours, nodeUSD, charges, idle,
  };
}

export interface Reconciliation {
  nodeUSD: number;
  chargedUSD: number;
  idleUSD: number;
  /** nodeUSD − (chargedUSD + idleUSD): zero up to float rounding. */
  differenceUSD: number;
  unpricedNodes: string[];
}

/** Totals over many node meters: what the nodes cost, what pods were charged, what stayed idle. */
export function reconcileMeters(meters: readonly NodeMeter[]): Reconciliation {
  let nodeUSD = 0;
  let chargedUSD = 0;
  let idleUSD = 0;
  for (const m of meters) {
    nodeUSD += m.nodeUSD;
    idleUSD += m.idle.usd;
    for (const c of m.charges) chargedUSD += c.usd;
  }
  return {
    nodeUSD, chargedUSD, idleUSD, differenceUSD: nodeUSD - chargedUSD - idleUSD,
    unpricedNodes: meters.filter((m) => !m.priced).map((m) => m.node).sort(),
  };
}

function zeroBreakdown(): CostBreakdown {
  return { gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0, gpuUSD: 0, cpuUSD: 0, memoryUSD: 0, usd: 0 };
}

function emptyCharge(interval: PodInterval, price: NodePrice): PodCharge {
  return {
    ...zeroBreakdown(),
    owner: interval.owner,
    ...(interval.pod !== undefined ? { pod: interval.pod } : {}),
    node: interval.node,
    capacityType: price.capacityType,
    priced: price.priced,
    startMs: interval.startMs,
    endMs: interval.endMs,
  };
}
