import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, createScheduler, makeJob, makeNode, makePriorityClass, makeQueue, seededRng, type Recorder } from '@qm/core';
import { MemoryStore } from '@qm/store';

function setup() {
  const clock = new FakeClock();
  const store = new MemoryStore(clock);
  const events: string[] = [];
  const recorder: Recorder = { record: (ref, type, reason, message) => { events.push(`${type} ${reason} ${ref.name}: ${message}`); } };
  const scheduler = createScheduler({ store, recorder, clock, rng: seededRng(1) });
  return { clock, store, events, scheduler };
}

test('a pass admits, writes workers and events; an unchanged pass writes nothing', async () => {
  const { store, events, scheduler } = setup();
  await store.create(makeNode('gpu-1', { gpus: 8 }));
  await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
  await store.create(makeJob('a', { gpusPerWorker: 4, workers: 2 }));
  await store.create(makeJob('b', { gpusPerWorker: 8 }));
  const first = await scheduler.runPass();
  assert.deepEqual(first.admitted, [{ kind: 'TrainingJob', namespace: 'team-a', name: 'a' }]);
  const a = await store.get('TrainingJob', 'team-a', 'a');
  assert.equal(a?.status?.phase, 'Admitted');
  assert.deepEqual(a?.status?.workers, [{ rank: 0, node: 'gpu-1', gpus: [0, 1, 2, 3], phase: 'Pending' }, { rank: 1, node: 'gpu-1', gpus: [4, 5, 6, 7], phase: 'Pending' }]);
  const b = await store.get('TrainingJob', 'team-a', 'b');
  assert.equal(b?.status?.phase, 'Pending');
  assert.equal(b?.status?.queuePosition, 1);
  assert.match(b?.status?.pendingReason, /waiting for 8 × A100-80GB on one node; largest free block is 0 on gpu-1/);
  assert.ok(events.some((e) => e.startsWith('Normal Admitted a: admitted to queue team-a on node gpu-1')));
  const q = await store.get('Queue', undefined, 'team-a');
  assert.deepEqual(q?.status?.usage, { 'nvidia.com/gpu': 8 });
  const second = await scheduler.runPass();
  assert.equal(second.writes, 0);
  scheduler.close();
});

test('a higher-priority job preempts and the victim gets a Preempted condition', async () => {
  const { store, events, scheduler } = setup();
  await store.create(makeNode('gpu-1', { gpus: 4 }));
  await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
  await store.create(makePriorityClass('high', 1000));
  await store.create(makeJob('low', { gpusPerWorker: 4 }));
  await scheduler.runPass();
  await store.create(makeJob('urgent', { gpusPerWorker: 4, spec: { priorityClassName: 'high' } }));
  const r = await scheduler.runPass();
  assert.deepEqual(r.preempted, [{ victim: { kind: 'TrainingJob', namespace: 'team-a', name: 'low' }, preemptor: { kind: 'TrainingJob', namespace: 'team-a', name: 'urgent' }, rule: 'withinQueue' }]);
  const low = await store.get('TrainingJob', 'team-a', 'low');
  assert.equal(low?.status?.phase, 'Pending');
  assert.equal(low?.status?.preemptions, 1);
  assert.ok(low?.status?.conditions.some((c: { type: string; message: string }) => c.type === 'Preempted' && c.message.startsWith('preempted by team-a/urgent (rule withinQueue)')));
  assert.ok(events.some((e) => e.startsWith('Warning Preempted low')));
  scheduler.close();
});

test('a gang whose pods share one node preempts a gang that shares it too (pod slots, not nodes, bound the search)', async () => {
  // Regression: a fast "could it ever fit?" check counted nodes with a free GPU (1) against the
  // gang's pods (2), so two 1-GPU workers could never preempt their way onto one 2-GPU node.
  const { store, events, scheduler } = setup();
  await store.create(makeNode('vm', { gpus: 2 }));
  await store.create(makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 2 } }));
  await store.create(makePriorityClass('low', 10));
  await store.create(makePriorityClass('high', 1000));
  await store.create(makeJob('low', { workers: 2, gpusPerWorker: 1, spec: { priorityClassName: 'low' } }));
  await scheduler.runPass();
  await store.create(makeJob('high', { workers: 2, gpusPerWorker: 1, spec: { priorityClassName: 'high' } }));
  const r = await scheduler.runPass();
  assert.deepEqual(r.preempted.map((p) => p.victim.name), ['low']);
  assert.deepEqual(r.admitted.map((k) => k.name), ['high']);
  const high = await store.get('TrainingJob', 'team-a', 'high');
  assert.deepEqual(high?.status?.workers.map((w: { node: string; gpus: number[] }) => [w.node, w.gpus.length]), [['vm', 1], ['vm', 1]]);
  assert.ok(events.some((e) => e.startsWith('Warning Preempted low')));
  scheduler.close();
});

test('a slice-only job finds the MIG node in the same pass that placed a whole-GPU job', async () => {
  // Regression: node eligibility was cached per placement constraints only, so the 8-GPU job's
  // answer (the MIG node has no whole GPUs) was reused for the slice-only job in the same pass.
  const { store, scheduler } = setup();
  const mig = makeNode('mig-1', { gpus: 0 });
  mig.status = { capacity: { cpu: '96', memory: '1Ti', 'nvidia.com/mig-1g.10gb': 7 } };
  await store.create(mig);
  await store.create(makeNode('gpu-1', { gpus: 8 }));
  await store.create(makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 8, 'nvidia.com/mig-1g.10gb': 7 } }));
  await store.create(makeJob('full', { gpusPerWorker: 8 }));
  await store.create(makeJob('slice', { gpusPerWorker: 0, spec: { resources: { 'nvidia.com/mig-1g.10gb': 1 } } }));
  const r = await scheduler.runPass();
  assert.deepEqual(r.admitted.map((k) => k.name).sort(), ['full', 'slice']);
  assert.equal((await store.get('TrainingJob', 'team-a', 'slice'))?.status?.workers[0].node, 'mig-1');
  scheduler.close();
});

test('passes asked for at once run one after the other: each sees what the one before wrote', async () => {
  const { store, scheduler } = setup();
  await store.create(makeNode('gpu-1', { gpus: 8 }));
  await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
  await store.create(makeJob('a', { gpusPerWorker: 4 }));
  await store.create(makeJob('b', { gpusPerWorker: 4 }));
  // A pass holds the cycle memo while it writes: overlapping calls must queue, not collide.
  const [first, second, third] = await Promise.all([scheduler.runPass(), scheduler.runPass(), scheduler.runPass()]);
  assert.deepEqual(first.admitted.map((k) => k.name), ['a', 'b']);
  assert.deepEqual([second.admitted.length, third.admitted.length], [0, 0]);
  assert.equal(third.writes, 0);
  scheduler.close();
  await assert.rejects(scheduler.runPass(), /scheduler is closed/);
});
