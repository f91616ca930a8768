import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_IDLE_POLICY, detectIdleGpus, idlePolicyFor, type GpuUtilizationSample } from './idle-gpus.js';

const H = 3_600_000;
/** Readings every 30 min for two GPUs, utilization from `pct(hour, gpu)`. */
function readings(hours: number, pct: (h: number, gpu: number) => number): GpuUtilizationSample[] {
  const out: GpuUtilizationSample[] = [];
  for (let t = 0; t <= hours * H; t += H / 2) for (const gpu of [0, 1]) out.push({ timeMs: t, gpu: `GPU-${gpu}`, utilizationPercent: pct(t / H, gpu) });
  return out;
}

test('detectIdleGpus: all GPUs below the threshold for the whole window', () => {
  const policy = { thresholdPercent: 10, windowMs: 24 * H };
  const cases: Array<[string, GpuUtilizationSample[], number, boolean]> = [
    ['idle for 25 h', readings(25, () => 3), 25 * H, true],
    ['idle, but observed for 20 h only', readings(20, () => 3), 20 * H, false],
    ['one GPU busy', readings(25, (_h, g) => (g === 1 ? 60 : 2)), 25 * H, false],
    ['busy until hour 5, idle since: not 24 h yet', readings(25, (h) => (h <= 5 ? 80 : 1)), 25 * H, false],
    ['busy until hour 5, idle since: 24 h later it is', readings(30, (h) => (h <= 5 ? 80 : 1)), 30 * H, true],
    ['exactly at the threshold counts as busy', readings(25, () => 10), 25 * H, false],
    ['no readings (no nvidia-smi)', [], 25 * H, false],
  ];
  for (const [name, samples, now, idle] of cases) assert.equal(detectIdleGpus(samples, policy, now).idle, idle, name);
  assert.equal(detectIdleGpus(readings(25, () => 3), policy, 25 * H).maxPercent, 3);
});

test('idlePolicyFor: namespace annotations over the defaults; bad values name the annotation', () => {
  assert.deepEqual(idlePolicyFor(undefined), DEFAULT_IDLE_POLICY);
  assert.deepEqual(idlePolicyFor({ 'quartermaster.dev/idle-gpu-threshold-percent': '5', 'quartermaster.dev/idle-gpu-window': '6h' }), { thresholdPercent: 5, windowMs: 6 * H });
  for (const [key, value] of [['quartermaster.dev/idle-gpu-threshold-percent', '150'], ['quartermaster.dev/idle-gpu-threshold-percent', 'low'], ['quartermaster.dev/idle-gpu-window', 'soon']]) {
    assert.throws(() => idlePolicyFor({ [key]: value }), (err: Error) => err.message.startsWith(`metadata.annotations[${key}]`), `${key}=${value}`);
  }
});
