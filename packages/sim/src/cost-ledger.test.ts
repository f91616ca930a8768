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
  test('the showback totals reconcile and do not depend on the grouping', async () => {
    const { costs, endMs, close } = await ledgerRun();
    try {
      const byNode = costs.report(endMs, 'node').totals;
      for (const by of ['namespace', 'queue', 'job'] as const) assert.deepEqual(costs.report(endMs, by).totals, byNode, by);
      assert.ok(Math.abs(byNode.nodeUSD - byNode.chargedUSD - byNode.idleUSD) < 1e-9, 'nodes = charged + idle');
      assert.ok(byNode.spotUSD > 0 && byNode.onDemandUSD > 0 && byNode.idleUSD > 0 && byNode.goneNodeUSD === 0, 'the run exercises spot, on-demand and idle');
      assert.ok(byNode.unpricedGpuHours > 0, 'work on a node never seen counts its hours');
    } finally {
      await close();
    }
  });

  test('recordLostWork prices lost time at the job\'s USD/hour then: its open pods, else the pods it last gave up', async () => {
    const clock = new VirtualClock();
    const store = new MemoryStore(clock);
    const costs = await CostLedger.open(store, clock);
    try {
      await store.create(node('od-1', 8, { 'quartermaster.dev/gpu-model': 'A100-80GB' }));
      const setWorkers = async (name: string, phase: string, nodes: string[]) => {
        const current = (await store.get('TrainingJob', 'team-a', name))!;
        const workers = nodes.map((n, rank) => ({ rank, node: n, gpus: [rank], phase: 'Running' }));
        await store.update({ ...current, status: { ...current.status, phase, workers } }, { subresource: 'status' });
      };
      await store.create(job('gone', 2, 1));
      await store.create(job('held', 1, 2));
      await setWorkers('gone', 'Running', ['od-1', 'od-1']);
      await setWorkers('held', 'Running', ['od-1']);
      clock.advanceTo(clock.now() + H);
      await setWorkers('gone', 'Pending', []); // preempted: the pods are released before the executor reports the loss
      costs.recordLostWork('TrainingJob/team-a/gone', H / 2);
      costs.recordLostWork('TrainingJob/team-a/held', H / 4);
      costs.recordLostWork('TrainingJob/team-a/held', 0);
      const gone = costs.workloadCost('TrainingJob/team-a/gone', clock.now());
      const held = costs.workloadCost('TrainingJob/team-a/held', clock.now());
      assert.ok(gone.usd > 0 && held.usd > 0);
      assert.ok(Math.abs(costs.lostUSD('TrainingJob/team-a/gone') - gone.usd / 2) < 1e-9, 'half an hour of a 1 h attempt, released pods');
      assert.ok(Math.abs(costs.lostUSD('TrainingJob/team-a/held') - held.usd / 4) < 1e-9, 'a quarter hour at the open pods\' rate');
      assert.equal(costs.lostUSD('TrainingJob/team-a/never'), 0);
    } finally {
      costs.close();
      await store.close();
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
