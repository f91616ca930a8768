import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQmError } from '@qm/api';
import { buildPriceBook } from '../controllers/cost/price-book.js';
import { gpuSpec, KNOWN_GPU_MODELS } from './gpu-specs.js';
import { planTraining } from './training-plan.js';

const within = (actual: number, expected: number, tolerance: number, name: string) =>
  assert.ok(Math.abs(actual / expected - 1) <= tolerance, `${name}: planner ${Math.round(actual)} vs published ${expected} (${((actual / expected - 1) * 100).toFixed(1)} %)`);

test('Llama 2 (Touvron et al. 2023, Table 2): 7B and 70B on 2T tokens, A100-80GB, one MFU for both', () => {
  // Published GPU-hours; parameter counts of the released checkpoints.
  const runs = [{ name: '7B', params: 6.74e9, gpuHours: 184_320 }, { name: '70B', params: 68.98e9, gpuHours: 1_720_320 }];
  const implied = runs.map((r) => (6 * r.params * 2e12) / (r.gpuHours * 3600 * 312e12));
  // 7B implies ≈ 0.39, 70B ≈ 0.43: the planner at their mean must land within 10 % of both.
  assert.ok(implied.every((m) => m > 0.35 && m < 0.45), `implied MFUs ${implied}`);
  const mfu = (implied[0] + implied[1]) / 2;
  for (const r of runs) within(planTraining({ params: r.params, tokens: 2e12, gpu: 'A100-80GB', gpus: 2048, mfu }).gpuHours, r.gpuHours, 0.10, r.name);
});

test('LLaMA 65B (Touvron et al. 2023a): 380 tokens/s/GPU on 2048 A100-80GB → 1,022,362 GPU-hours for 1.4T tokens', () => {
  const mfu = (6 * 65.2e9 * 380) / 312e12; // the utilization the stated throughput means
  within(planTraining({ params: 65.2e9, tokens: 1.4e12, gpu: 'A100-80GB', gpus: 2048, mfu }).gpuHours, 1_022_362, 0.10, 'LLaMA-65B');
});

test('Llama 3.1 405B (Dubey et al. 2024): 15.6T tokens on 16,384 H100 at the reported 41 % MFU → 30.84M GPU-hours, only with interruptions counted', () => {
  const plan = planTraining({ params: 405e9, tokens: 15.6e12, gpu: 'H100', gpus: 16_384, mfu: 0.41 });
  within(plan.gpuHours, 30.84e6, 0.10, 'Llama-3.1-405B');
  assert.ok(plan.computeGpuHours < 30.84e6 * 0.9, 'pure compute alone would underestimate by more than 10 %');
  assert.ok(plan.onDemand.overheads.expectedInterruptions > 300, 'hundreds of interruptions expected, as the paper reports (419 in 54 days)');
});

test('TinyLlama (Zhang et al. 2023): 1.1B, 22B tokens in 32 h on 8 A100-40GB at the stated 56 % MFU', () => {
  within(planTraining({ params: 1.1e9, tokens: 22e9, gpu: 'A100-40GB', gpus: 8, mfu: 0.56 }).gpuHours, 256, 0.10, '6NT only');
  const withAttention = planTraining({ params: 1.1e9, tokens: 22e9, gpu: 'A100-40GB', gpus: 8, mfu: 0.56, shape: { seqLen: 2048, hidden: 2048, layers: 22 } });
  within(withAttention.gpuHours, 256, 0.03, 'with the attention FLOPs term');
});

test('headline numbers: FLOPs, GPU-hours, days, cost on-demand vs spot', () => {
  const prices = buildPriceBook([{ gpuHour: { 'A100-80GB': 2 } }], { spotFraction: 0.5 });
  const p = planTraining({ params: 7e9, tokens: 2e12, gpu: 'a100-80gb', gpus: 32, mfu: 0.4, prices });
  assert.equal(p.flops, 6 * 7e9 * 2e12);
  assert.ok(Math.abs(p.computeGpuHours - 8.4e22 / (312e12 * 0.4) / 3600) < 1e-6);
  assert.ok(p.gpuHours > p.computeGpuHours && p.gpuHours < p.computeGpuHours * 1.02, 'small overhead at 32 GPUs');
  assert.ok(Math.abs(p.days - p.gpuHours / 32 / 24) < 1e-9);
  assert.ok(Math.abs(p.costUSD.onDemand! - p.gpuHours * 2) < 1e-6);
  assert.ok(p.spot.gpuHours > p.onDemand.gpuHours, 'spot pays for its interruptions');
  assert.ok(Math.abs(p.costUSD.spot! - p.spot.gpuHours * 1) < 1e-6);
  assert.equal(planTraining({ params: 7e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 32, spot: true, prices }).gpuHours, p.spot.gpuHours);
});

test('memory: least sharding that fits; too big says so plainly with the GPUs it would need', () => {
  const cases: Array<[string, number, string, number, string, boolean]> = [
    ['1B on 8 A100-80GB: plain DDP', 1e9, 'A100-80GB', 8, 'ddp', true],
    ['7B on 32 A100-80GB: ZeRO-1', 7e9, 'A100-80GB', 32, 'zero-1', true],
    ['20B on 8 A100-80GB: ZeRO-2', 20e9, 'A100-80GB', 8, 'zero-2', true],
    ['70B on 64 A100-80GB: ZeRO-3', 70e9, 'A100-80GB', 64, 'zero-3', true],
    ['70B on 8 L4: does not fit', 70e9, 'L4', 8, 'zero-3', false],
  ];
  for (const [name, params, gpu, gpus, sharding, fits] of cases) {
    const p = planTraining({ params, tokens: 1e9, gpu, gpus });
    assert.equal(p.sharding, sharding, name);
    assert.equal(p.memory.fits, fits, name);
    if (!fits) {
      assert.match(p.warnings.join('\n'), /does not fit: even fully sharded \(ZeRO-3\/FSDP\) over 8 GPUs .* it needs at least \d+ such GPUs/, name);
      assert.ok(p.memory.minGpusToFit! > 8);
    }
  }
  const ddp = planTraining({ params: 1e9, tokens: 1e9, gpu: 'A100-80GB', gpus: 8 });
  assert.ok(Math.abs(ddp.memoryPerGpuGiB - 16e9 / 2 ** 30) < 1e-9, '16 bytes per parameter under DDP');
});

test('largest micro-batch that fits, with activations from the model shape', () => {
  const shape = { seqLen: 4096, hidden: 4096, layers: 32, heads: 32 };
  const p = planTraining({ params: 6.74e9, tokens: 1e9, gpu: 'A100-80GB', gpus: 32, shape, findMaxMicroBatch: true });
  const perSeqGiB = (32 * 34 * 4096 * 4096) / 2 ** 30; // selective recompute: 34·s·h bytes per layer per sequence
  assert.equal(p.memory.maxMicroBatch, Math.floor((p.memory.usableGiB - p.memory.modelStatesGiB) / perSeqGiB));
  assert.ok(p.memory.maxMicroBatch! >= 1);
  const full = planTraining({ params: 6.74e9, tokens: 1e9, gpu: 'A100-80GB', gpus: 32, shape, findMaxMicroBatch: true, activationCheckpointing: 'full' });
  assert.ok(full.memory.maxMicroBatch! > p.memory.maxMicroBatch!, 'full recomputation fits more');
});

test('bad input is refused naming the field; an unknown GPU lists the known ones', () => {
  const base = { params: 7e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 32 };
  const cases: Array<[string, Record<string, unknown>, string, RegExp]> = [
    ['negative params', { params: -1 }, 'params', /must be a number > 0/],
    ['fractional gpus', { gpus: 1.5 }, 'gpus', /whole number/],
    ['mfu above 1', { mfu: 40 }, 'mfu', /fraction in \(0, 1\]/],
    ['unknown GPU', { gpu: 'B300' }, 'gpu', /unknown GPU model "B300"; known: A100-40GB, A100-80GB, H100/],
    ['max micro-batch without shape', { findMaxMicroBatch: true }, 'microBatch', /needs the model shape/],
    ['no heads without checkpointing', { shape: { seqLen: 8, hidden: 8, layers: 1 }, activationCheckpointing: 'none' }, 'heads', /is needed/],
  ];
  for (const [name, over, field, message] of cases) {
    assert.throws(() => planTraining({ ...base, ...over } as never), (err: unknown) => {
      assert.ok(isQmError(err, 'Invalid'), name);
      assert.equal(err.details.causes?.[0]?.field, field, name);
      assert.match(err.message, message, name);
      return true;
    }, name);
  }
});

test('GPU specs: dense peaks, and every planner GPU has a built-in price', () => {
  assert.deepEqual(['A100-80GB', 'H100', 'H200', 'L4', 'V100'].map((m) => gpuSpec(m).peakTflops), [312, 989, 989, 121, 125]);
  const book = buildPriceBook();
  for (const model of KNOWN_GPU_MODELS) assert.ok(book.gpuHour[model], `${model} priced`);
});

test('a budget far below the estimate is said plainly; spot not viable at huge scale is said too', () => {
  const p = planTraining({ params: 7e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 32, budgetUSD: 10_000 });
  assert.match(p.warnings.join('\n'), /Budget: the on-demand estimate \(\$[\d,]+\) is \d+\.\d× the budget of \$10,000/);
  const huge = planTraining({ params: 7e9, tokens: 2e12, gpu: 'A100-80GB', gpus: 16_384, overheads: { spotInterruptionsPerNodeMonth: 100 } });
  assert.equal(huge.costUSD.spot, null);
  assert.match(huge.warnings.join('\n'), /spot is not viable/);
});
