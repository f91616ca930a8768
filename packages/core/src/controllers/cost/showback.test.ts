import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PodCharge } from './metering.js';
import { aggregateCharges, lostWorkUSD, shareIdle, usdPer1kRequests } from './showback.js';

function charge(namespace: string, name: string, node: string, usd: number, spot = false, priced = true): PodCharge {
  return {
    owner: { namespace, kind: 'TrainingJob', name, queue: `q-${namespace}` }, node, capacityType: spot ? 'spot' : 'on-demand', priced,
    startMs: 0, endMs: 1, gpuHours: 1, cpuCoreHours: 2, memoryGiBHours: 3, gpuUSD: usd, cpuUSD: 0, memoryUSD: 0, usd,
  };
}

const charges = [charge('a', 'x', 'n1', 10), charge('a', 'x', 'n2', 5, true), charge('b', 'y', 'n1', 5), charge('b', 'z', 'n3', 0, false, false)];

test('aggregateCharges groups by namespace, queue, job and node and splits spot/on-demand', () => {
  const byNs = aggregateCharges(charges, 'namespace');
  assert.deepEqual(byNs.map((r) => [r.key, r.usd, r.spotUSD, r.onDemandUSD, r.gpuHours, r.unpricedGpuHours]), [['a', 15, 5, 10, 2, 0], ['b', 5, 0, 5, 2, 1]]);
  assert.deepEqual(aggregateCharges(charges, 'queue').map((r) => r.key), ['q-a', 'q-b']);
  assert.deepEqual(aggregateCharges(charges, 'job').map((r) => r.key), ['a/TrainingJob/x', 'b/TrainingJob/y', 'b/TrainingJob/z']);
  assert.deepEqual(aggregateCharges(charges, 'node').map((r) => [r.key, r.usd]), [['n1', 15], ['n2', 5], ['n3', 0]]);
});

test('shareIdle shares in proportion to USD; nothing to share against keeps it unshared', () => {
  const { rows, unsharedUSD } = shareIdle(aggregateCharges(charges, 'namespace'), 8);
  assert.deepEqual(rows.map((r) => r.idleShareUSD), [6, 2]);
  assert.equal(unsharedUSD, 0);
  assert.deepEqual(shareIdle([], 8), { rows: [], unsharedUSD: 8 });
});

test('lostWorkUSD: cost × lost/run per attempt', () => {
  const cases: Array<[string, Parameters<typeof lostWorkUSD>[0], number]> = [
    ['none lost', [{ runSeconds: 100, usd: 10 }], 0],
    ['quarter lost', [{ runSeconds: 3600, usd: 10, lostWorkSeconds: 900 }], 2.5],
    ['two attempts', [{ runSeconds: 100, usd: 10, lostWorkSeconds: 50 }, { runSeconds: 10, usd: 4, lostWorkSeconds: 10 }], 9],
    ['lost capped at the attempt', [{ runSeconds: 10, usd: 4, lostWorkSeconds: 99 }], 4],
    ['zero run time', [{ runSeconds: 0, usd: 4, lostWorkSeconds: 1 }], 0],
  ];
  for (const [name, attempts, want] of cases) assert.equal(lostWorkUSD(attempts), want, name);
});

test('usdPer1kRequests: USD × 1000 / requests; undefined with no requests; bad input named', () => {
  const cases: Array<[string, number, number, number | undefined]> = [
    ['quarter-million requests', 12.5, 250_000, 0.05],
    ['fewer than a thousand', 0.3, 200, 1.5],
    ['free requests', 0, 10, 0],
    ['no requests', 7, 0, undefined],
  ];
  for (const [name, usd, requests, want] of cases) assert.equal(usdPer1kRequests(usd, requests), want, name);
  assert.throws(() => usdPer1kRequests(-1, 10), /usd: must be/);
  assert.throws(() => usdPer1kRequests(1, Number.NaN), /requests: must be/);
});
