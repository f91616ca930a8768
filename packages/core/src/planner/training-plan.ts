/**
 * Training estimate: FLOPs, GPU-hours, wall-clock days, cost on-demand and on spot, and memory
 * per GPU with the least sharding that fits. Formulas and sources: docs/planner.md.
 *
 *   FLOPs = 6 · N · T (Kaplan et al. 2020: 2NT forward + 4NT backward), plus, when the model shape
 *           is given, the attention term 6 · layers · seqLen · hidden · T (ibid., Table 1)
 *   compute GPU-hours = FLOPs / (peak dense FLOPS × MFU) / 3600
 *   GPU-hours = compute GPU-hours × overheads (./training-overheads.ts), days = GPU-hours / GPUs / 24
 *   cost = GPU-hours × all-in price per GPU-hour (the price book: built-in list prices or a PriceCatalog)
 *
 * Example:
 * ```ts
 * const plan = planTraining({ params: 7e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 32, mfu: 0.4 });
 * plan.gpuHours; plan.days; plan.costUSD.onDemand; plan.sharding;
 * ```
 */
import { buildPriceBook, gpuHourPrice, type PriceBook } from '../controllers/cost/price-book.js';
import { gpuSpec, type GpuSpec } from './gpu-specs.js';
import { fraction, positive, wholeAtLeast } from './plan-input.js';
import { planMemory, type ActivationCheckpointing, type MemoryPlan, type ModelShape } from './training-memory.js';
import { trainingOverheads, type OverheadInput, type Overheads } from './training-overheads.js';

export const DEFAULT_MFU = 0.4;

export interface TrainingPlanInput {
  /** Model parameters N. */
  params: number;
  /** Training tokens T. */
  tokens: number;
  gpu: string;
  gpus: number;
  /** Model FLOPs utilization in (0, 1]; default 0.4. */
  mfu?: number;
  /** Report the spot scenario as the headline (gpuHours, days). */
  spot?: boolean;
  shape?: ModelShape;
  activationCheckpointing?: ActivationCheckpointing;
  microBatch?: number;
  findMaxMicroBatch?: boolean;
  budgetUSD?: number;
  overheads?: Omit<OverheadInput, 'computeHours' | 'params' | 'gpus' | 'capacityType'>;
  prices?: PriceBook;
}

export interface CapacityEstimate {
  gpuHours: number;
  days: number;
  /** Null when the price book has no price for the GPU model, or the run is not viable. */
  costUSD: number | null;
  pricePerGpuHour: number | null;
  overheads: Overheads;
}

export interface TrainingPlan {
  gpu: GpuSpec;
  gpus: number;
  mfu: number;
  flops: number;
  flopsPerToken: number;
  computeGpuHours: number;
  capacityType: 'on-demand' | 'spot';
  /** Headline figures for the chosen capacity type (on-demand unless `spot`). */
  gpuHours: number;
  days: number;
  costUSD: { onDemand: number | null; spot: number | null };
  onDemand: CapacityEstimate;
  spot: CapacityEstimate;
  price: { source: string; spotIsEstimate: boolean } | null;
  memory: MemoryPlan;
  memoryPerGpuGiB: number;
  sharding: MemoryPlan['sharding'];
  /** Plain statements of what does not work or needs attention. */
  warnings: string[];
}

export function planTraining(input: TrainingPlanInput): TrainingPlan {
  const params = positive('params', input.params);
  const tokens = positive('tokens', input.tokens);
  const gpus = wholeAtLeast('gpus', input.gpus, 1);
  const mfu = fraction('mfu', input.mfu ?? DEFAULT_MFU);
  const gpu = gpuSpec(input.gpu);
  if (input.shape) {
    wholeAtLeast('seqLen', input.shape.seqLen, 1);
    wholeAtLeast('hidden', input.shape.hidden, 1);
    wholeAtLeast('layers', input.shape.layers, 1);
    if (input.shape.heads !== undefined) wholeAtLeast('heads', input.shape.heads, 1);
  }
  if (input.microBatch !== undefined) wholeAtLeast('microBatch', input.microBatch, 1);
  if (input.budgetUSD !== undefined) positive('budgetUSD', input.budgetUSD);

  const flopsPerToken = 6 * params + (input.shape ? 6 * input.shape.layers * input.shape.seqLen * input.shape.hidden : 0);
  const flops = flopsPerToken * tokens;
  const computeGpuHours = flops / (gpu.peakTflops * 1e12 * mfu) / 3600;
  const book = input.prices ?? buildPriceBook();
  const price = gpuHourPrice(book, gpu.model);
  const estimate = (capacityType: 'on-demand' | 'spot'): CapacityEstimate => {
    const overheads = trainingOverheads({ ...input.overheads, computeHours: computeGpuHours / gpus, params, gpus, capacityType });
    const gpuHours = overheads.wallHours * gpus;
    const perGpu = price ? (capacityType === 'spot' ? price.spotPerHour : price.onDemandPerHour) : null;
    return { gpuHours, days: overheads.wallHours / 24, costUSD: perGpu !== null && overheads.viable ? gpuHours * perGpu : null, pricePerGpuHour: perGpu, overheads };
  };
  const onDemand = estimate('on-demand');
  const spot = estimate('spot');
  const capacityType = input.spot ? 'spot' : 'on-demand';
  const headline = input.spot ? spot : onDemand;
  const memory = planMemory({
    params, gpus, gpuMemoryMiB: gpu.memoryMiB, ...(input.shape ? { shape: input.shape } : {}),
    ...(input.activationCheckpointing ? { activationCheckpointing: input.activationCheckpointing } : {}),
    ...(input.microBatch !== undefined ? { microBatch: input.microBatch } : {}), findMaxMicroBatch: input.findMaxMicroBatch ?? false,
  });

  const warnings: string[] = [];
  if (!memory.fits && memory.problem) warnings.push(`Memory: ${memory.problem}.`);
  if (memory.maxMicroBatch === 0) warnings.push('Memory: not even a micro-batch of 1 sequence fits next to the model states.');
  if (!price) warnings.push(`Price: no price for ${gpu.model} in the price catalog; cost is unknown (add spec.gpuHour.${gpu.model} to a PriceCatalog).`);
  else if (price.spotIsEstimate) warnings.push(`Price: the spot price of ${gpu.model} is an estimate (on-demand × ${book.spotFraction}); spot prices move, check the provider's.`);
  if (!spot.overheads.viable) warnings.push(`Spot: with ${spot.overheads.interruptionsPerHour.toFixed(2)} interruptions per hour across ${spot.overheads.nodes} nodes, work is lost faster than it is saved; spot is not viable at this size.`);
  if (!onDemand.overheads.viable) warnings.push('Failures: at this many GPUs, expected hardware interruptions outpace checkpoints; checkpoint more often.');
  if (gpu.precision === 'fp16') warnings.push(`${gpu.model} has no bf16: the estimate assumes fp16 mixed precision at ${gpu.peakTflops} TFLOPS.`);
  const cost = headline.costUSD;
  if (input.budgetUSD !== undefined && cost !== null && cost > input.budgetUSD) {
    warnings.push(`Budget: the ${capacityType} estimate ($${Math.round(cost).toLocaleString('en-US')}) is ${(cost / input.budgetUSD).toFixed(1)}× the budget of $${Math.round(input.budgetUSD).toLocaleString('en-US')}.`);
  }

  return {
    gpu, gpus, mfu, flops, flopsPerToken, computeGpuHours, capacityType,
    gpuHours: headline.gpuHours, days: headline.days,
    costUSD: { onDemand: onDemand.costUSD, spot: spot.costUSD }, onDemand, spot,
    price: price ? { source: price.source, spotIsEstimate: price.spotIsEstimate } : null,
    memory, memoryPerGpuGiB: memory.perGpuGiB, sharding: memory.sharding, warnings,
  };
}
