/**
 * GPU facts the planner needs: the dense (no sparsity) tensor-core peak in the precision mixed
 * precision training uses (bf16; fp16 on GPUs without bf16), and the memory nvidia-smi reports.
 * Datasheets quote "with sparsity" figures too; those are twice the dense ones and never used here.
 *
 * Example:
 * ```ts
 * gpuSpec('a100-80gb').peakTflops; // 312
 * gpuSpec('B300');                 // throws QmError Invalid: unknown GPU model "B300"; known: A100-40GB, …
 * ```
 */
import { QmError } from '@qm/api';
import { canonicalGpuModel } from '../controllers/cost/price-book.js';

export interface GpuSpec {
  model: string;
  /** Dense peak of the training precision, TFLOPS. */
  peakTflops: number;
  precision: 'bf16' | 'fp16';
  /** Total memory as nvidia-smi reports it. */
  memoryMiB: number;
  source: string;
}

const SPECS: readonly GpuSpec[] = [
  { model: 'A100-40GB', peakTflops: 312, precision: 'bf16', memoryMiB: 40_960, source: 'NVIDIA A100 datasheet: BF16 tensor 312 TFLOPS (624 with sparsity)' },
  { model: 'A100-80GB', peakTflops: 312, precision: 'bf16', memoryMiB: 81_920, source: 'NVIDIA A100 datasheet: BF16 tensor 312 TFLOPS (624 with sparsity)' },
  { model: 'H100', peakTflops: 989, precision: 'bf16', memoryMiB: 81_559, source: 'NVIDIA H100 datasheet, SXM5: BF16 tensor 1,979 TFLOPS with sparsity → 989 dense' },
  { model: 'H200', peakTflops: 989, precision: 'bf16', memoryMiB: 143_771, source: 'NVIDIA H200 datasheet, SXM: BF16 tensor 1,979 TFLOPS with sparsity → 989 dense' },
  { model: 'L4', peakTflops: 121, precision: 'bf16', memoryMiB: 23_034, source: 'NVIDIA L4 datasheet: BF16 tensor 242 TFLOPS with sparsity → 121 dense' },
  { model: 'A10G', peakTflops: 70, precision: 'bf16', memoryMiB: 23_028, source: 'AWS-only A10 variant, no NVIDIA datasheet: 70 TFLOPS dense bf16 tensor (Baseten, "NVIDIA A10 vs A10G"); the A10 itself is 125' },
  { model: 'T4', peakTflops: 65, precision: 'fp16', memoryMiB: 15_360, source: 'NVIDIA T4 datasheet: mixed-precision FP16/FP32 65 TFLOPS; no bf16' },
  { model: 'V100-16GB', peakTflops: 125, precision: 'fp16', memoryMiB: 16_160, source: 'NVIDIA V100 datasheet, SXM2: tensor 125 TFLOPS (fp16); no bf16' },
  { model: 'V100-32GB', peakTflops: 125, precision: 'fp16', memoryMiB: 32_510, source: 'NVIDIA V100 datasheet, SXM2: tensor 125 TFLOPS (fp16); no bf16' },
];

/** The models the planner knows, in a stable order. */
export const KNOWN_GPU_MODELS: readonly string[] = SPECS.map((s) => s.model);

/** The spec of a GPU model (case-insensitive; `V100` means `V100-16GB`), or QmError Invalid on field `gpu` listing the known ones. */
export function gpuSpec(model: string, field = 'gpu'): GpuSpec {
  const key = canonicalGpuModel(model, KNOWN_GPU_MODELS);
  const spec = SPECS.find((s) => s.model === key);
  if (spec) return spec;
  const message = `unknown GPU model "${model}"; known: ${KNOWN_GPU_MODELS.join(', ')}`;
  throw new QmError('Invalid', `${field}: ${message}`, { causes: [{ field, reason: 'FieldValueNotSupported', message }] });
}
