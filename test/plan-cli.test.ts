/**
 * End to end: `qm plan` through the real CLI, which runs the planner program offline (no server).
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQm } from './support/qm-cli.js';

const offline = { cliEnv: () => ({ PATH: process.env.PATH ?? '', QM_HOME: dir }) };
const dir = mkdtempSync(join(tmpdir(), 'qm-plan-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const TRAINING = ['plan', 'training', '--params', '7e9', '--tokens', '2e12', '--gpu', 'A100-80GB', '--gpus', '32'];

test('plan training -o json: the documented fields, consistent with each other', async () => {
  const run = await runQm(offline, [...TRAINING, '--mfu', '0.4', '-o', 'json']);
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.equal(doc.flops, 6 * 7e9 * 2e12);
  const computeGpuHours = 8.4e22 / (312e12 * 0.4) / 3600;
  assert.ok(doc.gpuHours >= computeGpuHours && doc.gpuHours < computeGpuHours * 1.02, `gpuHours ${doc.gpuHours}`);
  assert.ok(Math.abs(doc.days - doc.gpuHours / 32 / 24) < 1e-6);
  assert.ok(doc.costUSD.onDemand > doc.costUSD.spot && doc.costUSD.spot > 0);
  assert.equal(doc.sharding, 'zero-1');
  assert.ok(doc.memoryPerGpuGiB > 20 && doc.memoryPerGpuGiB < 72, `memoryPerGpuGiB ${doc.memoryPerGpuGiB}`);
});

test('plan training prints a readable report; --spot makes spot the headline', async () => {
  const run = await runQm(offline, [...TRAINING, '--spot']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /Training plan: 7\.00e9 parameters on 2\.00e12 tokens, 32 × A100-80GB/);
  assert.match(run.stdout, /on-demand\s+spot/);
  assert.match(run.stdout, /Memory per GPU .* with ZeRO-1/);
  const json = JSON.parse((await runQm(offline, [...TRAINING, '--spot', '-o', 'json'])).stdout);
  assert.equal(json.capacityType, 'spot');
  assert.equal(json.gpuHours, json.spot.gpuHours);
});

test('plan serving -o json: replicas, GPUs and cost per month', async () => {
  const run = await runQm(offline, ['plan', 'serving', '--peak-qps', '1000', '--latency-ms', '50', '--concurrency', '1', '--target-utilization', '0.75', '-o', 'json']);
  assert.equal(run.code, 0, run.stderr);
  const doc = JSON.parse(run.stdout);
  assert.equal(doc.replicas, 67);
  assert.equal(doc.gpus, 67);
  assert.ok(doc.offPeak.replicas < doc.replicas);
  assert.ok(doc.costUSDPerMonth > 0 && doc.costUSDPerMonth < doc.costUSDPerMonthWithoutScaling);
});

test('a PriceCatalog file overrides the built-in prices', async () => {
  const file = join(dir, 'prices.yaml');
  writeFileSync(file, 'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: PriceCatalog\nmetadata: {name: ours}\nspec:\n  gpuHour: {A100-80GB: 2}\n');
  const doc = JSON.parse((await runQm(offline, [...TRAINING, '--prices', file, '-o', 'json'])).stdout);
  assert.ok(Math.abs(doc.costUSD.onDemand - doc.onDemand.gpuHours * 2) < 1e-6);
});

test('inputs that cannot fit are said plainly', async () => {
  const run = await runQm(offline, ['plan', 'training', '--params', '70B', '--tokens', '2T', '--gpu', 'L4', '--gpus', '8', '--budget-usd', '1000']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /DOES NOT FIT/);
  assert.match(run.stdout, /does not fit: even fully sharded \(ZeRO-3\/FSDP\) over 8 GPUs/);
  assert.match(run.stdout, /Budget: the on-demand estimate .* the budget of \$1,000/);
});

test('bad input exits 2 with a message naming the flag', async () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['unknown GPU lists the known ones', ['plan', 'training', '--params', '7e9', '--tokens', '2e12', '--gpu', 'B300', '--gpus', '8'], /error: --gpu: unknown GPU model "B300"; known: A100-40GB, A100-80GB, H100, H200, L4/],
    ['not a number', [...TRAINING.slice(0, 2), '--params', 'lots', ...TRAINING.slice(4)], /error: --params: expected a number/],
    ['mfu out of range', [...TRAINING, '--mfu', '40'], /error: --mfu: must be a fraction in \(0, 1\]/],
    ['missing flags', ['plan', 'serving', '--peak-qps', '10'], /error: missing --latency-ms/],
    ['unknown plan', ['plan', 'inference'], /unknown plan "inference"/],
    ['negative latency', ['plan', 'serving', '--peak-qps', '10', '--latency-ms=-5'], /error: --latency-ms: must be a number > 0/],
  ];
  for (const [name, args, message] of cases) {
    const run = await runQm(offline, args);
    assert.equal(run.code, 2, `${name}: ${run.stderr}`);
    assert.match(run.stderr, message, name);
    assert.equal(run.stdout, '', name);
  }
});
