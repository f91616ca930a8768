/**
 * GPU memory for mixed-precision Adam training, per GPU, under plain data parallel (DDP) and the
 * ZeRO stages (ZeRO-3 is what PyTorch FSDP's FULL_SHARD does), over `gpus` data-parallel ranks.
 *
 * Model states (ZeRO paper, Rajbhandari et al. 2020, §3.1): 2 bytes/param bf16 weights,
 * 2 bytes/param bf16 gradients, 12 bytes/param fp32 master weights + Adam m and v = 16 bytes/param.
 *   DDP     16·N            ZeRO-1  (2 + 2)·N + 12·N/d
 *   ZeRO-2  2·N + 14·N/d    ZeRO-3  16·N/d
 * Activations (Korthikanti et al. 2022, "Reducing Activation Recomputation", §4, no tensor
 * parallelism), per layer and micro-batch of b sequences of s tokens, hidden size h, a heads:
 *   none        s·b·h·(34 + 5·a·s/h) bytes   (every activation kept)
 *   selective   34·s·b·h                     (attention scores recomputed / flash attention)
 *   full        2·s·b·h, plus one layer's 34·s·b·h while it is recomputed
 * Usable memory is USABLE_MEMORY_FRACTION of the GPU's (CUDA context, NCCL buffers, fragmentation).
 *
 * Example:
 * ```ts
 * planMemory({ params: 7e9, gpus: 32, gpuMemoryMiB: 81920 }).sharding; // 'zero-1'
 * ```
 */
import { invalid } from './plan-input.js';

export const BYTES_PER_PARAM = { weights: 2, gradients: 2, optimizer: 12 } as const;
export const USABLE_MEMORY_FRACTION = 0.9;
const GIB = 2 ** 30;

export type Sharding = 'ddp' | 'zero-1' | 'zero-2' | 'zero-3';
export const SHARDINGS: readonly Sharding[] = ['ddp', 'zero-1', 'zero-2', 'zero-3'];
export type ActivationCheckpointing = 'none' | 'selective' | 'full';

/** Model shape, needed for activation memory. */
export interface ModelShape {
  seqLen: number;
  hidden: number;
  layers: number;
  /** Attention heads; needed only with activation checkpointing `none`. */
  heads?: number;
}

export interface MemoryInput {
  params: number;
  gpus: number;
  gpuMemoryMiB: number;
  shape?: ModelShape;
  activationCheckpointing?: ActivationCheckpointing;
  /** Sequences per GPU per step (default 1 when a shape is given). */
  microBatch?: number;
  /** Find the largest micro-batch that fits (needs a shape). */
  findMaxMicroBatch?: boolean;
}

export interface ShardingOption {
  sharding: Sharding;
  modelStatesGiB: number;
  totalGiB: number;
  fits: boolean;
}

export interface MemoryPlan {
  gpuMemoryGiB: number;
  usableGiB: number;
  /** The least sharding that fits, else zero-3 (with `fits: false`). */
  sharding: Sharding;
  fits: boolean;
  /** Per-GPU memory under `sharding`: model states + activations. */
  perGpuGiB: number;
  modelStatesGiB: number;
  activationsGiB: number;
  microBatch?: number;
  activationCheckpointing?: ActivationCheckpointing;
  options: ShardingOption[];
  /** Largest micro-batch that fits under `sharding` (when asked; 0 = not even one). */
  maxMicroBatch?: number;
  /** GPUs of this model that ZeRO-3 would need to fit, when it does not fit on `gpus`. */
  minGpusToFit?: number;
  /** Plain words on why it does not fit, when it does not. */
  problem?: string;
}

/** Model-state bytes per GPU for a sharding strategy. */
export function modelStateBytes(params: number, gpus: number, sharding: Sharding): number {
  const { weights: w, gradients: g, optimizer: o } = BYTES_PER_PARAM;
  switch (sharding) {
    case 'ddp': return (w + g + o) * params;
    case 'zero-1': return (w + g) * params + (o * params) / gpus;
    case 'zero-2': return w * params + ((g + o) * params) / gpus;
    case 'zero-3': return ((w + g + o) * params) / gpus;
  }
}

/** Activation bytes per GPU for one micro-batch of `microBatch` sequences. */
export function activationBytes(shape: ModelShape, microBatch: number, mode: ActivationCheckpointing): number {
  const sbh = shape.seqLen * microBatch * shape.hidden;
  switch (mode) {
    case 'none': {
      if (shape.heads === undefined) throw invalid('heads', 'is needed for activation memory without checkpointing (the attention scores grow with heads × seqLen²)');
      return shape.layers * sbh * (34 + (5 * shape.heads * shape.seqLen) / shape.hidden);
    }
    case 'selective': return shape.layers * 34 * sbh;
    case 'full': return shape.layers * 2 * sbh + 34 * sbh;
  }
}

export function planMemory(input: MemoryInput): MemoryPlan {
  const gpuMemoryGiB = input.gpuMemoryMiB / 1024;
  const usableGiB = gpuMemoryGiB * USABLE_MEMORY_FRACTION;
  const mode = input.activationCheckpointing ?? 'selective';
  if (input.findMaxMicroBatch && !input.shape) throw invalid('microBatch', 'finding the largest micro-batch needs the model shape: seqLen, hidden and layers');
  const microBatch = input.shape ? input.microBatch ?? 1 : undefined;
  const actGiB = input.shape ? activationBytes(input.shape, microBatch!, mode) / GIB : 0;
  const options = SHARDINGS.map((sharding) => {
    const modelStatesGiB = modelStateBytes(input.params, input.gpus, sharding) / GIB;
    const totalGiB = modelStatesGiB + actGiB;
    return { sharding, modelStatesGiB, totalGiB, fits: totalGiB <= usableGiB };
  });
  const chosen = options.find((o) => o.fits) ?? options[options.length - 1];
  const plan: MemoryPlan = {
    gpuMemoryGiB, usableGiB, sharding: chosen.sharding, fits: chosen.fits, perGpuGiB: chosen.totalGiB,
    modelStatesGiB: chosen.modelStatesGiB, activationsGiB: actGiB, options,
    ...(microBatch !== undefined ? { microBatch, activationCheckpointing: mode } : {}),
  };
  if (input.findMaxMicroBatch && input.shape) {
    const perSequence = activationBytes(input.shape, 1, mode) / GIB;
    // 'full' keeps one layer's working set on top of the per-layer inputs; it scales with b too, so the ratio is exact.
    plan.maxMicroBatch = Math.max(0, Math.floor((usableGiB - chosen.modelStatesGiB) / perSequence + 1e-9));
  }
  if (!chosen.fits) {
    const statesBytes = modelStateBytes(input.params, 1, 'zero-3');
    const room = (usableGiB - actGiB) * GIB;
    if (room > 0) plan.minGpusToFit = Math.ceil(statesBytes / room);
    plan.problem = room > 0
      ? `does not fit: even fully sharded (ZeRO-3/FSDP) over ${input.gpus} GPUs each needs ${fmt(chosen.totalGiB)} GiB but has ${fmt(usableGiB)} GiB usable; it needs at least ${plan.minGpusToFit} such GPUs, or GPUs with more memory`
      : `does not fit: the activations alone (${fmt(actGiB)} GiB per GPU) exceed the ${fmt(usableGiB)} GiB usable; use a smaller micro-batch, shorter sequences or activation checkpointing`;
  }
  return plan;
}

function fmt(x: number): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}
