// Estimated start times are a forecast refreshed at their own cadence (estimateIntervalMs):
// passes in between decide without recomputing them and keep each pending job's last estimate;
// a refresh that is owed comes due even when nothing else changes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { FakeClock, createScheduler, makeJob, makeNode, makeQueue, seededRng, type SchedulerConfig } from '@qm/core';
import { MemoryStore } from '@qm/store';

const HOUR_MS = 3_600_000;

async function setup(config: Partial<SchedulerConfig>) {
  const clock = new FakeClock();
  const t0 = clock.now();
  const store = new MemoryStore(clock);
  await store.create(makeNode('n1', { gpus: 8 }));
  await store.create(makeQueue('team-a', { namespaces: ['team-a'] }));
  const running = await store.create(makeJob('running', {
    gpusPerWorker: 8,
    status: {
      phase: 'Running', queue: 'team-a', priority: 0, admittedAt: new Date(t0).toISOString(), startTime: new Date(t0).toISOString(),
      expectedEndTime: new Date(t0 + HOUR_MS).toISOString(), workers: [{ rank: 0, node: 'n1', gpus: [0, 1, 2, 3, 4, 5, 6, 7], phase: 'Running' }],
    },
  }));
  await store.create(makeJob('waiting', { gpusPerWorker: 8 }));
  const scheduler = createScheduler({ store, recorder: { record: () => {} }, clock, rng: seededRng(1), config });
  return { clock, t0, store, scheduler, running };
}

async function estimateOf(store: MemoryStore, name: string): Promise<number | undefined> {
  const job = await store.get('TrainingJob', 'team-a', name);
  const at = job?.status?.estimatedStartTime;
  return typeof at === 'string' ? Date.parse(at) : undefined;
}

/** The running job will now end an hour later than it said. */
async function delayEnd(store: MemoryStore, running: ApiObject, endMs: number): Promise<void> {
  const fresh = (await store.get('TrainingJob', 'team-a', running.metadata.name))!;
  await store.update({ ...fresh, status: { ...fresh.status, expectedEndTime: new Date(endMs).toISOString() } }, { subresource: 'status' });
}

test('between refreshes a pending job keeps its estimate; the refresh after the interval sees the change', async () => {
  const { clock, t0, store, scheduler, running } = await setup({ estimateIntervalMs: 10_000 });
  await scheduler.runPass();
  assert.equal(await estimateOf(store, 'waiting'), t0 + HOUR_MS);

  clock.advance(1_000);
  await delayEnd(store, running, t0 + 2 * HOUR_MS);
  await store.create(makeJob('newcomer', { gpusPerWorker: 1 }));
  await scheduler.runPass();
  assert.equal(await estimateOf(store, 'waiting'), t0 + HOUR_MS, 'kept until the next refresh');
  assert.equal(await estimateOf(store, 'newcomer'), undefined, 'none before the first refresh that sees it');

  clock.advance(9_000);
  await scheduler.runPass();
  assert.equal(await estimateOf(store, 'waiting'), t0 + 2 * HOUR_MS);
  // The newcomer queues behind 'waiting', which takes the whole node and has no end of its own.
  assert.equal(await estimateOf(store, 'newcomer'), undefined);
  scheduler.close();
});

test('an owed refresh comes due with no other change: an idle pass at the interval recomputes', async () => {
  const { clock, t0, store, scheduler, running } = await setup({ estimateIntervalMs: 30_000 });
  await scheduler.runPass();
  clock.advance(1_000);
  await delayEnd(store, running, t0 + 3 * HOUR_MS);
  await scheduler.runPass(); // decides without a refresh
  const idle = await scheduler.runPass();
  assert.equal(idle.writes, 0);
  assert.equal(await estimateOf(store, 'waiting'), t0 + HOUR_MS);
  clock.advance(29_000);
  const due = await scheduler.runPass();
  assert.equal(due.writes, 1);
  assert.equal(await estimateOf(store, 'waiting'), t0 + 3 * HOUR_MS);
  scheduler.close();
});

test('estimateIntervalMs 0 refreshes on every pass', async () => {
  const { clock, t0, store, scheduler, running } = await setup({ estimateIntervalMs: 0 });
  await scheduler.runPass();
  clock.advance(1);
  await delayEnd(store, running, t0 + 2 * HOUR_MS);
  await scheduler.runPass();
  assert.equal(await estimateOf(store, 'waiting'), t0 + 2 * HOUR_MS);
  scheduler.close();
});

test('a bad estimateIntervalMs is refused, naming the field', async () => {
  const clock = new FakeClock();
  const store = new MemoryStore(clock);
  assert.throws(() => createScheduler({ store, recorder: { record: () => {} }, clock, rng: seededRng(1), config: { estimateIntervalMs: -5 } }),
    /estimateIntervalMs must be a non-negative number/);
});
