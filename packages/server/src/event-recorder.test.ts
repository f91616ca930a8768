import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '@qm/store';
import type { ApiObject } from '@qm/api';
import type { Store } from '@qm/core';
import { EventRecorder } from './event-recorder.js';

function setup(opts: { failing?: boolean } = {}) {
  let nowMs = Date.UTC(2025, 0, 1);
  const clock = { now: () => nowMs };
  const store = new MemoryStore(clock);
  const errors: unknown[] = [];
  const failing: Store = {
    create: async () => { throw new Error('disk full'); },
    get: (kind, ns, name) => store.get(kind, ns, name),
    list: (kind, o) => store.list(kind, o),
    update: (obj, o) => store.update(obj, o),
    delete: (kind, ns, name, o) => store.delete(kind, ns, name, o),
    watch: (o, cb) => store.watch(o, cb),
    currentResourceVersion: () => store.currentResourceVersion(),
    close: () => store.close(),
  };
  const target = opts.failing ? failing : store;
  const recorder = new EventRecorder(target, clock, { logger: { error: (o) => void errors.push(o) } });
  const events = async (namespace = 'team-a'): Promise<ApiObject[]> => (await store.list('Event', { namespace })).items;
  return { store, recorder, events, errors, advance: (ms: number) => { nowMs += ms; } };
}

const job = { kind: 'TrainingJob', namespace: 'team-a', name: 'bert', uid: 'u-1', apiVersion: 'ml.quartermaster.dev/v1alpha1' };

test('EventRecorder writes a core/v1 Event in the object namespace', async () => {
  const { recorder, events } = setup();
  recorder.record(job, 'Normal', 'Admitted', 'admitted to queue team-a');
  await recorder.flush();
  const [event] = await events();
  assert.equal(event.apiVersion, 'v1');
  assert.equal(event.kind, 'Event');
  assert.equal(event.metadata.namespace, 'team-a');
  assert.deepEqual(event.involvedObject, job);
  assert.deepEqual([event.reason, event.message, event.type, event.count], ['Admitted', 'admitted to queue team-a', 'Normal', 1]);
  assert.equal(event.firstTimestamp, '2025-01-01T00:00:00.000Z');
  assert.deepEqual(event.source, { component: 'quartermaster' });
});

test('EventRecorder: repeats within 10 minutes bump count; later ones or other messages do not', async () => {
  const { recorder, events, advance } = setup();
  recorder.record(job, 'Warning', 'BackOff', 'rank 0 exited 1');
  advance(60_000);
  recorder.record(job, 'Warning', 'BackOff', 'rank 0 exited 1');
  advance(60_000);
  recorder.record(job, 'Warning', 'BackOff', 'rank 0 exited 1');
  recorder.record(job, 'Warning', 'BackOff', 'rank 1 exited 1');
  await recorder.flush();
  let list = await events();
  assert.equal(list.length, 2);
  const bumped = list.find((e) => e.message === 'rank 0 exited 1')!;
  assert.equal(bumped.count, 3);
  assert.equal(bumped.firstTimestamp, '2025-01-01T00:00:00.000Z');
  assert.equal(bumped.lastTimestamp, '2025-01-01T00:02:00.000Z');

  advance(10 * 60_000 + 1);
  recorder.record(job, 'Warning', 'BackOff', 'rank 0 exited 1');
  await recorder.flush();
  list = await events();
  assert.equal(list.length, 3, 'a repeat after the window starts a new Event');
});

test('EventRecorder: cluster-scoped objects get their events in namespace default', async () => {
  const { recorder, events } = setup();
  recorder.record({ kind: 'Node', name: 'gpu-1' }, 'Normal', 'Registered', 'hello');
  await recorder.flush();
  const [event] = await events('default');
  assert.deepEqual(event.involvedObject, { kind: 'Node', name: 'gpu-1' });
});

test('EventRecorder: a failing write is logged, not thrown, and later writes still happen', async () => {
  const { recorder, errors } = setup({ failing: true });
  assert.doesNotThrow(() => recorder.record(job, 'Normal', 'Admitted', 'x'));
  await recorder.flush();
  assert.equal(errors.length, 1);
  recorder.record(job, 'Normal', 'Admitted', 'y');
  await recorder.flush();
  assert.equal(errors.length, 2);
});
