import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageLedger, type QueueShape } from './usage-ledger.js';

const H = 3_600_000;

function ledgerWith(queues: Record<string, QueueShape>): UsageLedger {
  return new UsageLedger((name) => queues[name]);
}

test('workload GPU-seconds and cost integrate over segments; open segments count up to the end', () => {
  const l = ledgerWith({});
  l.setUsage('a', 0, { gpus: 8, usdPerSecond: 8 * 2 / 3600 });
  l.setUsage('a', H, undefined);
  l.setUsage('a', 2 * H, { gpus: 4, usdPerSecond: 0 });
  assert.deepEqual(l.workload('a', 3 * H), { gpuSeconds: 8 * 3600 + 4 * 3600, costUSD: 16 });
  assert.deepEqual(l.workload('never', 3 * H), { gpuSeconds: 0, costUSD: 0 });
  assert.equal(l.allocatedGpuSeconds(3 * H), 12 * 3600);
});

test('queue usage splits into within-guarantee and borrowed, and rolls up to the parent', () => {
  const l = ledgerWith({ 'team-a': { parent: 'org', guaranteedGpus: 4 }, org: { guaranteedGpus: 16 } });
  l.setUsage('big', 0, { gpus: 8, queue: 'team-a', usdPerSecond: 0 });
  l.setUsage('small', H, { gpus: 2, queue: 'team-a', usdPerSecond: 0 });
  l.setUsage('big', 2 * H, undefined);
  const a = l.queue('team-a', 3 * H);
  // 0–1h: 8 GPUs (4 guaranteed); 1–2h: 10 (4); 2–3h: 2 (2).
  assert.deepEqual(a, { gpuSeconds: (8 + 10 + 2) * 3600, guaranteedGpuSeconds: (4 + 4 + 2) * 3600, borrowedGpuSeconds: 10 * 3600 });
  assert.deepEqual(l.queue('org', 3 * H), { gpuSeconds: 20 * 3600, guaranteedGpuSeconds: 20 * 3600, borrowedGpuSeconds: 0 });
});

test('capacity integrates as nodes come and go', () => {
  const l = ledgerWith({});
  l.setCapacity(0, 8);
  l.setCapacity(H, 16);
  l.setCapacity(2 * H, 0);
  assert.equal(l.capacityGpuSeconds(3 * H), 24 * 3600);
});
