import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiObject } from '@qm/api';
import { buildCostReport } from './cost-report.js';
import type { NodePrice } from './node-price.js';
import { attemptWindows, costStatusOf, deploymentIntervals, missingNodePrice, trainingJobIntervals, workloadCost } from './workload-cost.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 5, 1);
const iso = (ms: number) => new Date(ms).toISOString();

/** 8 GPUs at $2/h plus 64 cores at $0.05 and 512 GiB at $0.01: $24.32/h. */
function price(node: string, capacityType: 'spot' | 'on-demand' = 'on-demand'): NodePrice {
  return {
    priced: true, node, capacityType, capacity: { gpus: 8, cpuCores: 64, memoryGiB: 512 },
    rates: { gpuHour: 2, cpuCoreHour: 0.05, memoryGiBHour: 0.01 }, usdPerHour: 24.32, source: 'pool', detail: 'test',
  };
}
const prices = new Map([['od-1', price('od-1')], ['spot-1', price('spot-1', 'spot')]]);
const priceOf = (n: string) => prices.get(n) ?? missingNodePrice(n);

function job(status: Record<string, unknown>, spec: Record<string, unknown> = {}): ApiObject {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'bert', namespace: 'team-a' },
    spec: { workers: 2, gpusPerWorker: 4, resources: { cpu: '8', memory: '64Gi' }, command: ['x'], ...spec }, status,
  };
}

test('trainingJobIntervals: one interval per worker per attempt; open attempts run to now; workers from status for the latest', () => {
  const j = job({
    queue: 'q-a', phase: 'Running',
    attempts: [
      { index: 0, startTime: iso(T0), endTime: iso(T0 + H), nodes: ['spot-1'], endReason: 'Preempted', lostWorkSeconds: 900 },
      { index: 1, startTime: iso(T0 + 2 * H), nodes: ['od-1', 'spot-1'] },
    ],
    workers: [{ rank: 0, node: 'spot-1' }, { rank: 1, node: 'od-1' }],
  });
  const intervals = trainingJobIntervals(j, T0 + 3 * H);
  assert.deepEqual(intervals.map((i) => [i.pod, i.node, (i.startMs - T0) / H, (i.endMs - T0) / H]), [
    ['bert-a0-w0', 'spot-1', 0, 1], ['bert-a0-w1', 'spot-1', 0, 1],
    ['bert-a1-w0', 'spot-1', 2, 3], ['bert-a1-w1', 'od-1', 2, 3],
  ]);
  assert.equal(intervals[0].owner.queue, 'q-a');
  const cost = workloadCost(intervals, priceOf, attemptWindows(j, T0 + 3 * H));
  // Per worker-hour: 4 GPUs × 2 + 8 cores × 0.05 + 64 GiB × 0.01 = 9.04.
  assert.ok(Math.abs(cost.usd - 4 * 9.04) < 1e-9);
  assert.ok(Math.abs(cost.spotUSD - 3 * 9.04) < 1e-9);
  assert.ok(Math.abs(cost.onDemandUSD - 9.04) < 1e-9);
  assert.equal(cost.gpuHours, 16);
  assert.ok(Math.abs(cost.lostUSD - 2 * 9.04 / 4) < 1e-9, 'attempt 0 cost × 900 s / 3600 s');
  assert.equal(cost.priced, true);
});

test('an unknown or gone node is unpriced, never a silent zero', () => {
  const j = job({ attempts: [{ index: 0, startTime: iso(T0), endTime: iso(T0 + H), nodes: ['gone-1'] }] }, { workers: 1 });
  const cost = workloadCost(trainingJobIntervals(j, T0 + H), priceOf);
  const status = costStatusOf(cost);
  assert.equal(status.priced, false);
  assert.equal(status.unpricedGpuHours, 4);
  assert.match(String(status.unpricedReason), /node gone-1 is not in the cluster/);
});

test('deploymentIntervals: placed replicas from their start to now', () => {
  const md: ApiObject = {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'team-b' },
    spec: { replicas: 2, resources: { 'nvidia.com/gpu': 1 } },
    status: { replicaPlacements: [{ index: 0, node: 'od-1', admittedAt: iso(T0) }, { index: 1, node: 'od-1', startTime: iso(T0 + H) }, { index: 2 }] },
  };
  assert.deepEqual(deploymentIntervals(md, T0 + 2 * H).map((i) => [i.pod, (i.endMs - i.startMs) / H, i.requests['nvidia.com/gpu']]), [['chat-r0', 2, 1], ['chat-r1', 1, 1]]);
});

test('buildCostReport: Σ rows + idle = node cost; work on a gone node counts its hours apart', () => {
  const a = job({ attempts: [{ index: 0, startTime: iso(T0), endTime: iso(T0 + 2 * H), nodes: ['od-1'] }] }, { workers: 1 });
  const b = { ...job({ attempts: [{ index: 0, startTime: iso(T0 + H), endTime: iso(T0 + 5 * H), nodes: ['spot-1'] }] }), metadata: { name: 'gpt', namespace: 'team-b' } };
  const c = { ...job({ attempts: [{ index: 0, startTime: iso(T0), endTime: iso(T0 + H), nodes: ['gone-1'] }] }, { workers: 1 }), metadata: { name: 'old', namespace: 'team-b' } };
  const window = { startMs: T0, endMs: T0 + 4 * H };
  const intervals = [a, b, c].flatMap((j) => trainingJobIntervals(j, window.endMs));
  const report = buildCostReport({ window, by: 'namespace', nodes: [{ price: price('od-1') }, { price: price('spot-1', 'spot') }], intervals });
  assert.ok(Math.abs(report.totals.nodeUSD - 2 * 4 * 24.32) < 1e-9);
  const rowsUSD = report.rows.reduce((s, r) => s + r.usd, 0);
  assert.ok(Math.abs(rowsUSD + report.idle.usd - report.totals.nodeUSD) < 1e-9, 'reconciles');
  assert.ok(Math.abs(report.rows.reduce((s, r) => s + r.idleShareUSD, 0) - report.idle.usd) < 1e-9, 'idle shared out in full');
  const teamB = report.rows.find((r) => r.key === 'team-b')!;
  assert.ok(Math.abs(teamB.spotUSD - 2 * 3 * 9.04) < 1e-9, 'b: 2 workers × 3 h within the window on spot');
  assert.equal(teamB.unpricedGpuHours, 4, 'old ran 1 h × 4 GPUs on a node that is gone');
  assert.deepEqual(report.unpricedNodes.map((n) => n.node), ['gone-1']);
});
