import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CapacityType } from '@qm/api';
import { chargedAmounts, meterNode, podIntervalCost, reconcileMeters, type PodInterval } from './metering.js';
import type { NodePrice } from './node-price.js';

const H = 3_600_000;
const GIB = 2 ** 30;
const owner = (name: string, namespace = 'team-a') => ({ namespace, kind: 'TrainingJob', name, queue: namespace });

/** A priced node with round rates: 8 GPUs at $2, 64 cores at $0.05, 512 GiB at $0.01 → $24.32/h. */
function priced(node = 'n1', capacityType: CapacityType = 'on-demand'): NodePrice {
  const capacity = { gpus: 8, cpuCores: 64, memoryGiB: 512 };
  const rates = { gpuHour: 2, cpuCoreHour: 0.05, memoryGiBHour: 0.01 };
  return { priced: true, node, capacityType, capacity, rates, usdPerHour: 8 * 2 + 64 * 0.05 + 512 * 0.01, source: 'pool', detail: 'test' };
}

const pod = (name: string, startH: number, endH: number, requests: Record<string, number>, usage?: PodInterval['usage'], node = 'n1'): PodInterval =>
  ({ owner: owner(name), node, startMs: startH * H, endMs: endH * H, requests, ...(usage ? { usage } : {}) });

test('chargedAmounts: max(request, usage) for CPU and memory; MIG slices as sevenths of a GPU', () => {
  const cases: Array<[string, Record<string, number>, PodInterval['usage'] | undefined, { gpus: number; cpuCores: number; memoryGiB: number }]> = [
    ['requests only', { 'nvidia.com/gpu': 2, cpu: 4000, memory: 8 * GIB }, undefined, { gpus: 2, cpuCores: 4, memoryGiB: 8 }],
    ['usage above requests', { cpu: 1000, memory: GIB }, { cpuMillis: 3500, memoryBytes: 4 * GIB }, { gpus: 0, cpuCores: 3.5, memoryGiB: 4 }],
    ['usage below requests', { cpu: 4000 }, { cpuMillis: 100 }, { gpus: 0, cpuCores: 4, memoryGiB: 0 }],
    ['MIG 3g slices', { 'nvidia.com/mig-3g.40gb': 2 }, undefined, { gpus: 6 / 7, cpuCores: 0, memoryGiB: 0 }],
  ];
  for (const [name, req, usage, want] of cases) assert.deepEqual(chargedAmounts(req, usage), want, name);
});

test('podIntervalCost: GPU-hours × GPU rate plus CPU and memory at their rates', () => {
  const c = podIntervalCost(pod('a', 0, 2, { 'nvidia.com/gpu': 4, cpu: 8000, memory: 64 * GIB }), priced());
  assert.equal(c.gpuHours, 8);
  assert.equal(c.gpuUSD, 16);
  assert.ok(Math.abs(c.cpuUSD - 8 * 2 * 0.05) < 1e-12);
  assert.ok(Math.abs(c.memoryUSD - 64 * 2 * 0.01) < 1e-12);
  assert.ok(Math.abs(c.usd - (16 + 0.8 + 1.28)) < 1e-12);
  const unpriced = podIntervalCost(pod('a', 0, 1, { 'nvidia.com/gpu': 1 }), { priced: false, node: 'n1', capacityType: 'on-demand', capacity: { gpus: 8, cpuCores: 0, memoryGiB: 0 }, reason: 'unpriced: x' });
  assert.equal(unpriced.priced, false);
  assert.equal(unpriced.gpuHours, 1, 'hours still count on an unpriced node');
});

test('meterNode: hand-checked example with idle', () => {
  // 0–1 h: a holds 4 GPUs; 1–2 h: a and b hold 4 each; node present 0–3 h.
  const m = meterNode(priced(), [pod('a', 0, 2, { 'nvidia.com/gpu': 4 }), pod('b', 1, 2, { 'nvidia.com/gpu': 4 })], { startMs: 0, endMs: 3 * H });
  assert.ok(Math.abs(m.nodeUSD - 24.32 * 3) < 1e-9);
  assert.deepEqual(m.charges.map((c) => c.usd), [16, 8]);
  assert.equal(m.idle.gpuHours, 4 + 0 + 8);
  assert.ok(Math.abs(m.idle.usd - (24.32 * 3 - 24)) < 1e-9);
});

test('meterNode clips to the window and to the node being present', () => {
  const m = meterNode(priced(), [pod('a', 0, 10, { 'nvidia.com/gpu': 1 }), pod('other', 0, 10, { 'nvidia.com/gpu': 1 }, undefined, 'n2')],
    { startMs: 2 * H, endMs: 8 * H }, { startMs: 0, endMs: 5 * H });
  assert.equal(m.hours, 3);
  assert.equal(m.charges.length, 1, 'pods on other nodes are not metered here');
  assert.equal(m.charges[0].gpuHours, 3);
});

test('meterNode: usage-driven overcommit is scaled to the node, so nobody pays for more than the machine', () => {
  // Two pods each request 40 cores but use 48: 96 > 64 cores.
  const m = meterNode(priced(), [pod('a', 0, 1, { cpu: 40_000 }, { cpuMillis: 48_000 }), pod('b', 0, 1, { cpu: 40_000 }, { cpuMillis: 48_000 })], { startMs: 0, endMs: H });
  assert.ok(Math.abs(m.charges[0].cpuUSD - 32 * 0.05) < 1e-12);
  assert.equal(m.charges[0].cpuCoreHours, 48, 'hours report what was used');
  assert.equal(m.idle.cpuUSD, 0);
});

/** Deterministic pseudo-random numbers (tests must not read ambient randomness). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('reconciliation: Σ charges + idle = node cost, for 200 generated clusters', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rnd = lcg(seed);
    const nodes = Array.from({ length: 1 + Math.floor(rnd() * 4) }, (_, i) => priced(`n${i}`, rnd() < 0.5 ? 'spot' : 'on-demand'));
    const intervals: PodInterval[] = [];
    for (let p = 0; p < Math.floor(rnd() * 12); p++) {
      const start = rnd() * 30;
      intervals.push(pod(`j${p}`, start, start + rnd() * 20, { 'nvidia.com/gpu': Math.floor(rnd() * 4), cpu: Math.floor(rnd() * 40_000), memory: Math.floor(rnd() * 300) * GIB },
        rnd() < 0.5 ? { cpuMillis: Math.floor(rnd() * 60_000), memoryBytes: Math.floor(rnd() * 400) * GIB } : undefined, `n${Math.floor(rnd() * nodes.length)}`));
    }
    const window = { startMs: 5 * H, endMs: 40 * H };
    const meters = nodes.map((n, i) => meterNode(n, intervals, window, { startMs: i * H, endMs: (45 - i * 3) * H }));
    const r = reconcileMeters(meters);
    assert.ok(Math.abs(r.differenceUSD) < 1e-6, `seed ${seed}: ${JSON.stringify(r)}`);
    assert.ok(meters.every((m) => m.idle.usd >= -1e-9 && m.charges.every((c) => c.usd >= 0)), `seed ${seed}: no negative amounts`);
  }
});

test('reconcileMeters lists unpriced nodes', () => {
  const unpriced: NodePrice = { priced: false, node: 'x', capacityType: 'on-demand', capacity: { gpus: 1, cpuCores: 1, memoryGiB: 1 }, reason: 'unpriced: no GPU model' };
  const r = reconcileMeters([meterNode(unpriced, [pod('a', 0, 1, { 'nvidia.com/gpu': 1 }, undefined, 'x')], { startMs: 0, endMs: H })]);
  assert.deepEqual(r.unpricedNodes, ['x']);
});
