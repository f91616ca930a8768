/**
 * Serving capacity: replicas and GPUs for peak and off-peak load, and the monthly cost.
 *
 * Little's law: a replica holding `concurrency` requests at a time, each taking `latencyMs`
 * (the latency measured under that load), serves concurrency × 1000 / latencyMs requests per
 * second at most. Planned at `targetUtilization` of that, for headroom against bursts and
 * queueing:   replicas = max(minReplicas, ⌈QPS / (concurrency × 1000 / latencyMs × targetUtilization)⌉).
 * A measured `replicaQps` replaces the Little's-law figure.
 * Month = 365 × 24 / 12 = 730 h; peak load for `peakHoursPerDay`, off-peak load the rest.
 *
 * Example:
 * ```ts
 * planServing({ peakQps: 1000, latencyMs: 50 }).replicas; // 67: 20 QPS per replica × 0.75
 * ```
 */
import { buildPriceBook, gpuHourPrice, type PriceBook } from '../controllers/cost/price-book.js';
import { gpuSpec } from './gpu-specs.js';
import { fraction, invalid, nonNegative, positive, wholeAtLeast } from './plan-input.js';

export const SERVING_DEFAULTS = {
  concurrency: 1,
  targetUtilization: 0.75,
  gpu: 'L4',
  gpusPerReplica: 1,
  minReplicas: 1,
  /** Off-peak load as a fraction of peak when `offPeakQps` is not given. */
  offPeakFraction: 0.25,
  peakHoursPerDay: 8,
} as const;

const HOURS_PER_MONTH = (365 * 24) / 12;

export interface ServingPlanInput {
  peakQps: number;
  latencyMs: number;
  concurrency?: number;
  targetUtilization?: number;
  offPeakQps?: number;
  peakHoursPerDay?: number;
  gpu?: string;
  gpusPerReplica?: number;
  minReplicas?: number;
  /** Measured requests per second one replica sustains at the latency target (overrides Little's law). */
  replicaQps?: number;
  spot?: boolean;
  prices?: PriceBook;
}

export interface ServingPlan {
  gpu: string;
  gpusPerReplica: number;
  /** Most QPS one replica serves at the latency target, and what it is planned to carry. */
  replicaMaxQps: number;
  replicaPlannedQps: number;
  /** Peak. */
  replicas: number;
  gpus: number;
  offPeak: { qps: number; replicas: number; gpus: number };
  peakHoursPerDay: number;
  capacityType: 'on-demand' | 'spot';
  gpuHoursPerMonth: number;
  /** Null when the GPU model has no price. */
  costUSDPerMonth: number | null;
  /** Peak replicas all month long (no autoscaling), for comparison. */
  costUSDPerMonthWithoutScaling: number | null;
  requestsPerMonth: number;
  usdPer1kRequests: number | null;
  pricePerGpuHour: number | null;
  warnings: string[];
}

export function planServing(input: ServingPlanInput): ServingPlan {
  const d = SERVING_DEFAULTS;
  const peakQps = positive('peakQps', input.peakQps);
  const latencyMs = positive('latencyMs', input.latencyMs);
  const concurrency = wholeAtLeast('concurrency', input.concurrency ?? d.concurrency, 1);
  const targetUtilization = fraction('targetUtilization', input.targetUtilization ?? d.targetUtilization);
  const offPeakQps = nonNegative('offPeakQps', input.offPeakQps ?? peakQps * d.offPeakFraction);
  if (offPeakQps > peakQps) throw invalid('offPeakQps', `must not exceed peakQps (${peakQps}), got ${offPeakQps}`);
  const peakHoursPerDay = nonNegative('peakHoursPerDay', input.peakHoursPerDay ?? d.peakHoursPerDay);
  if (peakHoursPerDay > 24) throw invalid('peakHoursPerDay', `must be at most 24, got ${peakHoursPerDay}`);
  const gpusPerReplica = wholeAtLeast('gpusPerReplica', input.gpusPerReplica ?? d.gpusPerReplica, 1);
  const minReplicas = wholeAtLeast('minReplicas', input.minReplicas ?? d.minReplicas, 0);
  const gpu = gpuSpec(input.gpu ?? d.gpu).model;

  const replicaMaxQps = input.replicaQps !== undefined ? positive('replicaQps', input.replicaQps) : (concurrency * 1000) / latencyMs;
  const replicaPlannedQps = replicaMaxQps * targetUtilization;
  // The epsilon keeps 1000 / 15 from becoming 67.00000001 → 68.
  const replicasFor = (qps: number) => Math.max(minReplicas, Math.ceil(qps / replicaPlannedQps - 1e-9));
  const replicas = replicasFor(peakQps);
  const offPeakReplicas = replicasFor(offPeakQps);
  const daysPerMonth = HOURS_PER_MONTH / 24;
  const gpuHoursPerMonth = (replicas * peakHoursPerDay + offPeakReplicas * (24 - peakHoursPerDay)) * daysPerMonth * gpusPerReplica;
  const requestsPerMonth = (peakQps * peakHoursPerDay + offPeakQps * (24 - peakHoursPerDay)) * 3600 * daysPerMonth;
  const price = gpuHourPrice(input.prices ?? buildPriceBook(), gpu);
  const capacityType = input.spot ? 'spot' : 'on-demand';
  const perGpu = price ? (input.spot ? price.spotPerHour : price.onDemandPerHour) : null;
  const costUSDPerMonth = perGpu !== null ? gpuHoursPerMonth * perGpu : null;

  const warnings: string[] = [];
  if (perGpu === null) warnings.push(`Price: no price for ${gpu} in the price catalog; cost is unknown.`);
  if (input.spot) warnings.push('Spot: replicas can be reclaimed at short notice; keep enough on-demand replicas for the latency target.');
  if (replicas === minReplicas && minReplicas > 0 && peakQps < replicaPlannedQps * minReplicas / 2) warnings.push(`Capacity: the minimum of ${minReplicas} replica(s) is far more than the load needs.`);
  return {
    gpu, gpusPerReplica, replicaMaxQps, replicaPlannedQps, replicas, gpus: replicas * gpusPerReplica,
    offPeak: { qps: offPeakQps, replicas: offPeakReplicas, gpus: offPeakReplicas * gpusPerReplica },
    peakHoursPerDay, capacityType, gpuHoursPerMonth, costUSDPerMonth,
    costUSDPerMonthWithoutScaling: perGpu !== null ? replicas * gpusPerReplica * HOURS_PER_MONTH * perGpu : null,
    requestsPerMonth, usdPer1kRequests: costUSDPerMonth !== null && requestsPerMonth > 0 ? (costUSDPerMonth / requestsPerMonth) * 1000 : null,
    pricePerGpuHour: perGpu, warnings,
  };
}
