/**
 * What a node costs per hour, and that price split into per-unit rates for GPUs, CPU cores and
 * memory, so pods can be charged for what they hold.
 *
 * Resolution, first match wins: the node's NodePool `spec.pricePerHour` → the catalog's instance
 * type (pool `spec.instanceType` or the node's `node.kubernetes.io/instance-type` label) at the
 * node's capacity type → the catalog's all-in GPU-hour price × GPU count → `priced: false` with a
 * reason. A node is never silently free.
 *
 * Split: host CPU and memory are priced at the book's host rates (OpenCost's defaults; spot rates
 * on spot nodes), at most half of the node price on a GPU node; the GPUs get the rest. A node
 * without GPUs splits its whole price over CPU and memory in proportion to those rates. So
 * gpus × gpuHour + cpuCores × cpuCoreHour + memoryGiB × memoryGiBHour = usdPerHour exactly.
 *
 * Example:
 * ```ts
 * const price = resolveNodePrice(node, buildPriceBook(), pool);
 * if (price.priced) price.rates.gpuHour; // USD per GPU-hour on this node
 * else price.reason;                     // 'no NodePool price, instance type or GPU-model price for …'
 * ```
 */
import { NODE_LABELS, SPOT_TAINT, type CapacityType, type NodeObject, type NodePool } from '@qm/api';
import { CPU, GPU, MEMORY, toAmount, toResources, type Resources } from '../../resources/index.js';
import { canonicalGpuModel, gpuHourPrice, type HostRates, type PriceBook } from './price-book.js';

export const INSTANCE_TYPE_LABEL = 'node.kubernetes.io/instance-type';

/** The most of a GPU node's price that host CPU and memory may take. */
export const MAX_HOST_SHARE_OF_GPU_NODE = 0.5;

export interface NodeCapacity {
  gpus: number;
  cpuCores: number;
  memoryGiB: number;
}

/** USD per unit-hour on one node. */
export interface NodeRates {
  gpuHour: number;
  cpuCoreHour: number;
  memoryGiBHour: number;
}

interface NodePriceBase {
  node: string;
  capacityType: CapacityType;
  gpuModel?: string;
  capacity: NodeCapacity;
}

export interface PricedNode extends NodePriceBase {
  priced: true;
  usdPerHour: number;
  rates: NodeRates;
  source: 'pool' | 'instance' | 'gpu-model';
  /** Where the price came from, in words (e.g. `NodePool a100-spot spec.pricePerHour`). */
  detail: string;
  /** The spot price is an estimate (on-demand × spot fraction), not a listed price. */
  spotIsEstimate?: boolean;
}

export interface UnpricedNode extends NodePriceBase {
  priced: false;
  reason: string;
}

export type NodePrice = PricedNode | UnpricedNode;

/** Resolves a node's price from its pool, the catalog's instance types, then its GPU model. */
export function resolveNodePrice(node: NodeObject, book: PriceBook, pool?: NodePool): NodePrice {
  const name = node.metadata.name;
  const capacityType = nodeCapacityType(node, pool);
  const capacity = nodeCapacity(node, pool);
  const rawModel = node.metadata.labels?.[NODE_LABELS.gpuModel] ?? node.status?.gpus?.find((g) => g.model)?.model ?? pool?.spec.gpuModel;
  const gpuModel = rawModel === undefined ? undefined : canonicalGpuModel(rawModel, Object.keys(book.gpuHour)) ?? rawModel;
  const base = { node: name, capacityType, capacity, ...(gpuModel !== undefined ? { gpuModel } : {}) };
  const priced = (usdPerHour: number, source: PricedNode['source'], detail: string, spotIsEstimate?: boolean): PricedNode => ({
    ...base, priced: true, usdPerHour, rates: splitNodePrice(usdPerHour, capacity, capacityType, book.host), source, detail,
    ...(spotIsEstimate && capacityType === 'spot' ? { spotIsEstimate: true } : {}),
  });

  if (pool?.spec.pricePerHour !== undefined) {
    return priced(pool.spec.pricePerHour, 'pool', `NodePool ${pool.metadata.name} spec.pricePerHour`);
  }
  const instanceType = pool?.spec.instanceType ?? node.metadata.labels?.[INSTANCE_TYPE_LABEL];
  const instance = instanceType !== undefined ? book.instances[instanceType] : undefined;
  if (instance) {
    const hourly = capacityType === 'spot' ? instance.spotPerHour : instance.onDemandPerHour;
    if (hourly !== undefined) return priced(hourly, 'instance', `${instance.name} ${capacityType} (${instance.source})`, instance.spotIsEstimate);
  }
  const perGpu = gpuModel !== undefined ? gpuHourPrice(book, gpuModel) : undefined;
  if (perGpu && capacity.gpus > 0) {
    const each = capacityType === 'spot' ? perGpu.spotPerHour : perGpu.onDemandPerHour;
    return priced(each * capacity.gpus, 'gpu-model', `${capacity.gpus} × ${perGpu.model} ${capacityType} GPU-hour (${perGpu.source})`, perGpu.spotIsEstimate);
  }
  const tried = [
    pool ? `NodePool ${pool.metadata.name} has no spec.pricePerHour` : 'no NodePool',
    instanceType !== undefined ? `instance type ${instanceType} is not in the price catalog` : 'no instance type',
    gpuModel !== undefined ? (capacity.gpus > 0 ? `GPU model ${gpuModel} has no gpuHour price` : `no GPUs counted for ${gpuModel}`) : 'no GPU model',
  ];
  return { ...base, priced: false, reason: `unpriced: ${tried.join('; ')}` };
}

/**
 * Splits a node's hourly price into per-unit rates (see the module comment).
 *
 * Example: `splitNodePrice(10, { gpus: 1, cpuCores: 4, memoryGiB: 16 }, 'on-demand', host)`
 * → cpu 4 × 0.031611 + memory 16 × 0.004237 = 0.194236; gpuHour = 9.805764.
 */
export function splitNodePrice(usdPerHour: number, capacity: NodeCapacity, capacityType: CapacityType, host: HostRates): NodeRates {
  const cpuRate = capacityType === 'spot' ? host.cpuCoreHour.spot : host.cpuCoreHour.onDemand;
  const memRate = capacityType === 'spot' ? host.memoryGiBHour.spot : host.memoryGiBHour.onDemand;
  const hostUSD = capacity.cpuCores * cpuRate + capacity.memoryGiB * memRate;
  if (capacity.gpus > 0) {
    const hostShare = Math.min(hostUSD, usdPerHour * MAX_HOST_SHARE_OF_GPU_NODE);
    const scale = hostUSD > 0 ? hostShare / hostUSD : 0;
    return { gpuHour: (usdPerHour - hostShare) / capacity.gpus, cpuCoreHour: cpuRate * scale, memoryGiBHour: memRate * scale };
  }
  if (hostUSD <= 0) return { gpuHour: 0, cpuCoreHour: 0, memoryGiBHour: 0 };
  const scale = usdPerHour / hostUSD;
  return { gpuHour: 0, cpuCoreHour: cpuRate * scale, memoryGiBHour: memRate * scale };
}

/** `spot` from the capacity-type label, the pool, or the spot taint; otherwise on-demand. */
export function nodeCapacityType(node: NodeObject, pool?: NodePool): CapacityType {
  const label = node.metadata.labels?.[NODE_LABELS.capacityType];
  if (label === 'spot' || label === 'on-demand') return label;
  if (pool?.spec.capacityType) return pool.spec.capacityType;
  return node.spec?.taints?.some((t) => t.key === SPOT_TAINT.key && t.value === SPOT_TAINT.value) ? 'spot' : 'on-demand';
}

/** The machine's size: status.capacity (else allocatable, else the pool's spec). MIG-partitioned GPUs count as whole GPUs. */
export function nodeCapacity(node: NodeObject, pool?: NodePool): NodeCapacity {
  const list: Resources = toResources(node.status?.capacity ?? node.status?.allocatable, 'status.capacity');
  let gpus = list[GPU] ?? 0;
  if (gpus === 0) gpus = node.status?.gpus?.length ?? Number(node.metadata.labels?.[NODE_LABELS.gpuCount] ?? pool?.spec.gpusPerNode ?? 0);
  const cpuMillis = list[CPU] ?? (pool?.spec.cpu !== undefined ? toAmount(CPU, pool.spec.cpu, 'spec.cpu') : 0);
  const memoryBytes = list[MEMORY] ?? (pool?.spec.memory !== undefined ? toAmount(MEMORY, pool.spec.memory, 'spec.memory') : 0);
  return { gpus: Number.isFinite(gpus) ? gpus : 0, cpuCores: cpuMillis / 1000, memoryGiB: memoryBytes / 2 ** 30 };
}
