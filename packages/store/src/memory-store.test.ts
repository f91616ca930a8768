import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isQmError } from '@qm/api';
import { runStoreConformance } from './conformance.js';
import { ManualClock, job, ownerRef, withMeta } from './conformance-helpers.js';
import { MemoryStore } from './memory-store.js';

runStoreConformance('MemoryStore', async ({ clock, watchLogRetention }) => new MemoryStore(clock, { watchLogRetention }));

describe('MemoryStore', () => {
  it('refuses a watchLogRetention below 1, naming the option', () => {
    assert.throws(() => new MemoryStore(new ManualClock(), { watchLogRetention: 0 }),
      (err: unknown) => isQmError(err, 'Invalid') && /watchLogRetention/.test(err.message));
  });

  it('lists stay sorted while writes and lists alternate', async () => {
    const store = new MemoryStore(new ManualClock());
    const names = ['m', 'c', 'x', 'a', 'q'];
    for (const [i, name] of names.entries()) {
      await store.create(job(name));
      const listed = (await store.list('TrainingJob')).items.map((o) => o.metadata.name);
      assert.deepEqual(listed, [...names.slice(0, i + 1)].sort());
    }
    await store.delete('TrainingJob', 'team-a', 'c');
    await store.create(job('c'));
    await store.delete('TrainingJob', 'team-a', 'x');
    assert.deepEqual((await store.list('TrainingJob')).items.map((o) => o.metadata.name), ['a', 'c', 'm', 'q']);
    await store.close();
  });

  it('rolls back every write of a failed transaction', async () => {
    // An owner whose dependent is missing from the store would be a bug; simulate a
    // failure in the middle of a cascade by making a dependent's key unreadable.
    const store = new MemoryStore(new ManualClock());
    const owner = await store.create(job('owner'));
    await store.create(withMeta(job('dep'), { ownerReferences: [ownerRef(owner)] }));
    const before = await store.currentResourceVersion();
    const backend = (store as unknown as { backend: { dependentsOf: (uid: string) => unknown } }).backend;
    const original = backend.dependentsOf.bind(backend);
    backend.dependentsOf = () => { throw new Error('disk on fire'); };
    await assert.rejects(store.delete('TrainingJob', 'team-a', 'owner'), /disk on fire/);
    backend.dependentsOf = original;
    assert.equal(await store.currentResourceVersion(), before);
    assert.ok(await store.get('TrainingJob', 'team-a', 'owner'));
    assert.deepEqual((await store.list('TrainingJob')).items.map((o) => o.metadata.name), ['dep', 'owner']);
    // The rolled-back resourceVersion is reused and the log has no hole.
    const events: string[] = [];
    const handle = await store.watch({ resourceVersion: '1' }, (e) => events.push(`${e.type} ${e.object.metadata.name}`));
    assert.deepEqual(events, ['ADDED dep']);
    handle.close();
    await store.delete('TrainingJob', 'team-a', 'owner');
    assert.deepEqual((await store.list('TrainingJob')).items, []);
    await store.close();
  });
});
