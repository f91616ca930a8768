import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { CapacityType } from '@qm/api';
import { buildCostReport, groupIntervalsByNode, type CostReportInput, type CostTotals } from './cost-report.js';
import { meterNode, podIntervalCost, type PodCharge, type PodInterval } from './metering.js';
import type { NodePrice } from './node-price.js';
import { missingNodePrice } from './workload-cost.js';

const H = 3_600_000;

function priced(node: string, capacityType: CapacityType, gpuHour: number): NodePrice {
  const capacity = { gpus: 8, cpuCores: 64, memoryGiB: 512 };
  const rates = { gpuHour, cpuCoreHour: 0.05, memoryGiBHour: 0.01 };
  return { priced: true, node, capacityType, capacity, rates, usdPerHour: 8 * gpuHour + 64 * 0.05 + 512 * 0.01, source: 'pool', detail: 'test' };
}

/** A tiny deterministic generator (no Math.random in core tests either: reruns must agree). */
function lcg(seed: number): () => number {
  let x = seed;
  return () => (x = (x * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
}

/** Nodes n0…n{k−1} (some spot, one present only part of the window), pods on them and on a gone node. */
function cluster(seed: number): CostReportInput {
  const rnd = lcg(seed);
  const nodeCount = 1 + Math.floor(rnd() * 6);
  const nodes = Array.from({ length: nodeCount }, (_, i) => ({
    price: priced(`n${i}`, rnd() < 0.4 ? 'spot' : 'on-demand', 1 + Math.round(rnd() * 40) / 10),
    ...(i === 0 ? { present: { startMs: H, endMs: 7 * H } } : {}),
  }));
  const intervals: PodInterval[] = Array.from({ length: 5 + Math.floor(rnd() * 30) }, (_, k) => {
    const startMs = Math.floor(rnd() * 9 * H);
    return {
      owner: { namespace: `team-${k % 3}`, kind: 'TrainingJob', name: `job-${k % 7}`, queue: `q${k % 2}` },
      pod: `p${k}`, node: rnd() < 0.1 ? 'gone-1' : `n${Math.floor(rnd() * nodeCount)}`,
      startMs, endMs: startMs + Math.floor(rnd() * 4 * H),
      requests: { 'nvidia.com/gpu': Math.floor(rnd() * 5), cpu: Math.floor(rnd() * 16_000), memory: Math.floor(rnd() * 64) * 2 ** 30 },
    };
  });
  return { window: { startMs: 0, endMs: 10 * H }, by: 'namespace', nodes, intervals };
}

/** The totals as buildCostReport computed them before grouping: every node filters the whole interval list. */
function totalsByScanning(input: CostReportInput): CostTotals {
  const known = new Set(input.nodes.map((n) => n.price.node));
  const meters = input.nodes.map((n) => meterNode(n.price, input.intervals, input.window, n.present ?? input.window));
  const orphans: PodCharge[] = [];
  for (const i of input.intervals) {
    if (known.has(i.node)) continue;
    const startMs = Math.max(i.startMs, input.window.startMs);
    const endMs = Math.min(i.endMs, input.window.endMs);
    if (endMs > startMs) orphans.push(podIntervalCost({ ...i, startMs, endMs }, missingNodePrice(i.node)));
  }
  const t: CostTotals = {
    nodeUSD: 0, chargedUSD: 0, idleUSD: 0, differenceUSD: 0, goneNodeUSD: 0,
    gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0, spotUSD: 0, onDemandUSD: 0, unpricedGpuHours: 0,
  };
  for (const m of meters) {
    t.nodeUSD += m.nodeUSD;
    t.idleUSD += m.idle.usd;
  }
  for (const c of [...meters.flatMap((m) => m.charges), ...orphans]) {
    if (known.has(c.node)) t.chargedUSD += c.usd;
    else t.goneNodeUSD += c.usd;
    t.gpuHours += c.gpuHours;
    t.cpuCoreHours += c.cpuCoreHours;
    t.memoryGiBHours += c.memoryGiBHours;
    if (c.capacityType === 'spot') t.spotUSD += c.usd;
    else t.onDemandUSD += c.usd;
    if (!c.priced) t.unpricedGpuHours += c.gpuHours;
  }
  t.differenceUSD = t.nodeUSD - t.chargedUSD - t.idleUSD;
  return t;
}

test('buildCostReport: grouping intervals by node leaves every total unchanged to the last bit, for 100 generated clusters', () => {
  let sawOrphans = false;
  for (let seed = 1; seed <= 100; seed++) {
    const input = cluster(seed);
    const report = buildCostReport(input);
    assert.deepEqual(report.totals, totalsByScanning(input), `seed ${seed}`);
    assert.ok(Math.abs(report.totals.differenceUSD) < 1e-9, `seed ${seed}: nodes = charged + idle`);
    sawOrphans ||= report.unpricedNodes.some((n) => n.node === 'gone-1');
  }
  assert.ok(sawOrphans, 'some clusters have work on a node that is gone');
});

test('groupIntervalsByNode: per-node lists in input order; gone nodes charged on their own, clipped to the window', () => {
  const owner = { namespace: 'a', kind: 'TrainingJob', name: 'j' };
  const iv = (pod: string, node: string, startH: number, endH: number): PodInterval =>
    ({ owner, pod, node, startMs: startH * H, endMs: endH * H, requests: { 'nvidia.com/gpu': 1 } });
  const cases: Array<{ name: string; intervals: PodInterval[]; byNode: Record<string, string[]>; orphanGpuHours: number[] }> = [
    { name: 'empty', intervals: [], byNode: {}, orphanGpuHours: [] },
    { name: 'interleaved nodes keep their order', intervals: [iv('a', 'n1', 0, 1), iv('b', 'n2', 0, 1), iv('c', 'n1', 1, 2)], byNode: { n1: ['a', 'c'], n2: ['b'] }, orphanGpuHours: [] },
    { name: 'gone node clipped to [1 h, 5 h]', intervals: [iv('a', 'x', 0, 3), iv('b', 'n1', 0, 1)], byNode: { n1: ['b'] }, orphanGpuHours: [2] },
    { name: 'gone node outside the window is dropped', intervals: [iv('a', 'x', 6, 8)], byNode: {}, orphanGpuHours: [] },
  ];
  for (const c of cases) {
    const { byNode, orphans } = groupIntervalsByNode(c.intervals, new Set(['n1', 'n2']), { startMs: H, endMs: 5 * H });
    assert.deepEqual(Object.fromEntries([...byNode].map(([k, v]) => [k, v.map((i) => i.pod)])), c.byNode, c.name);
    assert.deepEqual(orphans.map((o) => o.gpuHours), c.orphanGpuHours, c.name);
    assert.ok(orphans.every((o) => !o.priced), c.name);
  }
});
