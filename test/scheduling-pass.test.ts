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
