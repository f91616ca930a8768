// A pass over an unchanged cluster returns early with no writes — but only while nothing changed
// in the store and no time-based rule (retryAfter, starvation bound, minimum runtime, reclaim
// delay) has come due; each case below changes only the clock and expects the pass to act.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { FakeClock, createScheduler, makeJob, makeNode, makePriorityClass, makeQueue, seededRng, type SchedulerConfig } from '@qm/core';
import { MemoryStore } from '@qm/store';

function setup(config: Partial<SchedulerConfig> = {}) {
  const clock = new FakeClock();
  const store = new MemoryStore(clock);
  const scheduler = createScheduler({ store, recorder: { record: () => {} }, clock, rng: seededRng(1), config });
  return { clock, store, scheduler };
}

async function setStatus(store: MemoryStore, obj: ApiObject, status: Record<string, unknown>): Promise<void> {
  const fresh = (await store.get(obj.kind, obj.metadata.namespace, obj.metadata.name))!;
  await store.update({ ...fresh, status: { ...(fresh.status ?? {}), ...status } }, { subresource: 'status' });
}

test('an unchanged pass writes nothing; a new node is seen at once', async () => {
  const { store, scheduler } = setup();
  await store.create(makeNode('n1', { gpus: 4 }));
  await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
  await store.create(makeJob('big', { gpusPerWorker: 8 }));
  await scheduler.runPass();
  await scheduler.runPass();
  const idle = await scheduler.runPass();
  assert.deepEqual([idle.writes, idle.admitted.length, idle.pending], [0, 0, 1]);
  await store.create(makeNode('n2', { gpus: 8 }));
  const r = await scheduler.runPass();
  assert.deepEqual(r.admitted.map((k) => k.name), ['big']);
  scheduler.close();
});

const timeCases: Array<{
  name: string;
  config?: Partial<SchedulerConfig>;
  prepare(store: MemoryStore, clock: FakeClock): Promise<void>;
  waitMs: number;
  expect(r: Awaited<ReturnType<ReturnType<typeof createScheduler>['runPass']>>, store: MemoryStore): Promise<void>;
}> = [
  {
    name: 'retryAfter passes: the job is admitted',
    async prepare(store, clock) {
      await store.create(makeNode('n1', { gpus: 8 }));
      await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
      const job = await store.create(makeJob('later', { gpusPerWorker: 2 }));
      await setStatus(store, job, { retryAfter: new Date(clock.now() + 5 * 60_000).toISOString() });
    },
    waitMs: 5 * 60_000,
    async expect(r) {
      assert.deepEqual(r.admitted.map((k) => k.name), ['later']);
    },
  },
  {
    name: 'the starvation bound passes: capacity is held for the gang',
    config: { starvationBoundMs: 10 * 60_000 },
    async prepare(store, clock) {
      await store.create(makeNode('n1', { gpus: 8 }));
      await store.create(makeNode('n2', { gpus: 8 }));
      await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
      await store.create(makeJob('small', { gpusPerWorker: 2 }));
      clock.advance(1000); // the gang comes second, so the small job takes a node first
      await store.create(makeJob('gang', { workers: 2, gpusPerWorker: 8 }));
    },
    waitMs: 11 * 60_000,
    async expect(_r, store) {
      const gang = await store.get('TrainingJob', 'team-a', 'gang');
      assert.match(gang?.status?.pendingReason, /capacity is held for it \(waiting 11m\)/);
    },
  },
  {
    name: 'the minimum runtime passes: the higher priority job preempts',
    config: { minRuntimeBeforePreemptionMs: 15 * 60_000 },
    async prepare(store) {
      await store.create(makeNode('n1', { gpus: 4 }));
      await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
      await store.create(makePriorityClass('high', 1000));
      await store.create(makeJob('low', { gpusPerWorker: 4 }));
    },
    waitMs: 16 * 60_000,
    async expect(r) {
      assert.deepEqual(r.preempted.map((p) => `${p.victim.name}<${p.preemptor.name}`), ['low<urgent']);
    },
  },
  {
    name: 'the queue reclaim delay passes: the queue reclaims its guarantee',
    async prepare(store) {
      await store.create(makeNode('n1', { gpus: 8 }));
      await store.create(makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 4 } }, { 'quartermaster.dev/reclaim-delay-seconds': '600' }));
      await store.create(makeQueue('team-b', { namespaces: ['team-b'], guaranteed: { 'nvidia.com/gpu': 4 } }));
      await store.create(makeJob('borrower', { namespace: 'team-b', gpusPerWorker: 8 }));
    },
    waitMs: 11 * 60_000,
    async expect(r) {
      assert.deepEqual(r.preempted.map((p) => `${p.victim.name}<${p.preemptor.name}:${p.rule}`), ['borrower<mine:reclaim']);
    },
  },
];

for (const c of timeCases) {
  test(`a skipped pass still acts when a time rule comes due — ${c.name}`, async () => {
    const { clock, store, scheduler } = setup(c.config);
    await c.prepare(store, clock);
    await scheduler.runPass();
    // The preemption cases add their preemptor once the victim runs.
    if (c.name.includes('minimum runtime')) await store.create(makeJob('urgent', { gpusPerWorker: 4, spec: { priorityClassName: 'high' } }));
    if (c.name.includes('reclaim delay')) await store.create(makeJob('mine', { namespace: 'team-a', gpusPerWorker: 4 }));
    await scheduler.runPass();
    await scheduler.runPass();
    // Nothing changed and nothing is due yet: skipped, no decisions.
    clock.advance(c.waitMs / 2);
    const early = await scheduler.runPass();
    assert.deepEqual([early.writes, early.admitted.length, early.preempted.length], [0, 0, 0], 'before the rule is due');
    clock.advance(c.waitMs / 2);
    const due = await scheduler.runPass();
    await c.expect(due, store);
    scheduler.close();
  });
}
