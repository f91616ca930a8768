import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { QM_API_VERSION, applyDefaults, type ApiObject } from '@qm/api';
import { MemoryStore } from '@qm/store';
import { CostLedger } from './cost-ledger.js';
import { VirtualClock } from './virtual-clock.js';

const H = 3_600_000;

function node(name: string, gpus: number, labels: Record<string, string>): ApiObject {
  return { apiVersion: QM_API_VERSION, kind: 'Node', metadata: { name, labels }, status: { capacity: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': gpus } } };
}

function job(name: string, workers: number, gpusPerWorker: number): ApiObject {
  return applyDefaults({ apiVersion: QM_API_VERSION, kind: 'TrainingJob', metadata: { name, namespace: 'team-a' }, spec: { workers, gpusPerWorker, command: ['train'] } });
}

/** A small run: a spot and an on-demand node, a job moved between them, a node removed, a pod on a node never seen. */
async function ledgerRun(): Promise<{ costs: CostLedger; endMs: number; close: () => Promise<void> }> {
  const clock = new VirtualClock();
  const store = new MemoryStore(clock);
  const costs = await CostLedger.open(store, clock);
  const model = { 'quartermaster.dev/gpu-model': 'A100-80GB' };
  for (const n of [node('od-1', 8, model), node('spot-1', 8, { ...model, 'quartermaster.dev/capacity-type': 'spot' }), node('od-2', 4, model)]) await store.create(n);
  const place = async (name: string, phase: string, nodes: string[]) => {
    const current = (await store.get('TrainingJob', 'team-a', name))!;
    const { resourceVersion: _rv, ...metadata } = current.metadata;
    const workers = nodes.map((n, rank) => ({ rank, node: n, gpus: [0, 1], phase: 'Running' }));
    await store.update({ ...current, metadata, status: { ...current.status, phase, workers } }, { subresource: 'status' });
  };
  await store.create(job('a', 2, 2));
  await store.create(job('b', 1, 2));
  await place('a', 'Running', ['od-1', 'spot-1']);
  await place('b', 'Running', ['ghost-9']);
  clock.advanceTo(clock.now() + H);
  await place('a', 'Running', ['od-1', 'od-2']);
  clock.advanceTo(clock.now() + H / 2);
  await store.delete('Node', undefined, 'spot-1');
  await place('b', 'Pending', []);
  clock.advanceTo(clock.now() + H / 3);
  return { costs, endMs: clock.now() + H / 7, close: async () => { costs.close(); await store.close(); } };
}

describe('CostLedger', () => {
  test('nodeTotals equals the showback report\'s totals exactly', async () => {
    const { costs, endMs, close } = await ledgerRun();
    try {
      const full = costs.report(endMs, 'namespace').totals;
      const fast = costs.nodeTotals(endMs);
      assert.deepEqual(fast, { nodeUSD: full.nodeUSD, idleUSD: full.idleUSD, spotUSD: full.spotUSD, onDemandUSD: full.onDemandUSD });
      assert.ok(fast.spotUSD > 0 && fast.onDemandUSD > 0 && fast.idleUSD > 0, 'the run exercises spot, on-demand and idle');
    } finally {
      await close();
    }
  });

  test('workloadCost sees only that workload\'s pods, closed and open', async () => {
    const { costs, endMs, close } = await ledgerRun();
    try {
      const a = costs.workloadCost('TrainingJob/team-a/a', endMs);
      const b = costs.workloadCost('TrainingJob/team-a/b', endMs);
      const hours = (endMs - (endMs - H / 7 - H / 3 - H / 2 - H)) / H;
      assert.ok(Math.abs(a.gpuHours - 4 * hours) < 1e-9, `a held 4 GPUs the whole run, got ${a.gpuHours}`);
      assert.ok(Math.abs(b.gpuHours - 2 * 1.5) < 1e-9, `b held 2 GPUs for 1.5 h, got ${b.gpuHours}`);
      assert.equal(b.priced, false, 'b ran on a node the ledger never saw');
      assert.equal(costs.workloadCost('TrainingJob/team-a/none', endMs).gpuHours, 0);
    } finally {
      await close();
    }
  });
});
