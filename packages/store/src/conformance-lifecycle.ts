/** Conformance: delete, preconditions, finalizers, ownerReferences cascades, namespaces. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventLog, job, namespaceObj, node, ownerRef, rejectsWith, rv, withMeta, withSpec } from './conformance-helpers.js';
import type { WithStore } from './conformance.js';

const rfc3339 = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

export function lifecycleConformance(withStore: WithStore): void {
  describe('delete', () => {
    it('removes the object and returns its last state with a new resourceVersion', withStore(async (store) => {
      const created = await store.create(job('bert'));
      const gone = await store.delete('TrainingJob', 'team-a', 'bert');
      assert.ok(rv(gone) > rv(created));
      assert.deepEqual(gone.spec, created.spec);
      assert.equal(gone.metadata.uid, created.metadata.uid);
      assert.equal(await store.get('TrainingJob', 'team-a', 'bert'), undefined);
      assert.equal(await store.currentResourceVersion(), gone.metadata.resourceVersion);
      await rejectsWith(store.delete('TrainingJob', 'team-a', 'bert'), 'NotFound', /TrainingJob "team-a\/bert" not found/);
      await store.create(job('bert'));
    }));

    it('checks uid and resourceVersion preconditions', withStore(async (store) => {
      const created = await store.create(job('bert'));
      await rejectsWith(store.delete('TrainingJob', 'team-a', 'bert', { preconditions: { uid: 'other' } }), 'Conflict', /uid/);
      await rejectsWith(store.delete('TrainingJob', 'team-a', 'bert', { preconditions: { resourceVersion: '1' + created.metadata.resourceVersion } }), 'Conflict', /resourceVersion/);
      assert.ok(await store.get('TrainingJob', 'team-a', 'bert'));
      await store.delete('TrainingJob', 'team-a', 'bert', { preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion } });
      assert.equal(await store.get('TrainingJob', 'team-a', 'bert'), undefined);
    }));
  });

  describe('finalizers', () => {
    it('delete only sets deletionTimestamp; emptying finalizers removes the object', withStore(async (store, clock) => {
      const created = await store.create(withMeta(job('bert'), { finalizers: ['qm/checkpoint'] }));
      clock.advance(5_000);
      const deleting = await store.delete('TrainingJob', 'team-a', 'bert');
      assert.equal(deleting.metadata.deletionTimestamp, rfc3339(clock.now()));
      assert.ok(rv(deleting) > rv(created));
      assert.deepEqual(await store.get('TrainingJob', 'team-a', 'bert'), deleting);
      const again = await store.delete('TrainingJob', 'team-a', 'bert');
      assert.deepEqual(again, deleting, 'a second delete changes nothing');
      const stillThere = await store.update(withSpec(deleting, { workers: 2 }));
      assert.equal(stillThere.metadata.deletionTimestamp, deleting.metadata.deletionTimestamp, 'clients cannot clear deletionTimestamp');
      await rejectsWith(store.update(withMeta(stillThere, { finalizers: ['qm/checkpoint', 'qm/other'] })), 'Invalid', /finalizers/);
      const removed = await store.update(withMeta(stillThere, { finalizers: [] }));
      assert.ok(rv(removed) > rv(stillThere));
      assert.equal(await store.get('TrainingJob', 'team-a', 'bert'), undefined);
    }));

    it('an object without finalizers is unaffected by finalizer rules', withStore(async (store) => {
      const created = await store.create(withMeta(job('bert'), { finalizers: [] }));
      const updated = await store.update(withMeta(created, { finalizers: ['qm/x'] }));
      assert.deepEqual(updated.metadata.finalizers, ['qm/x']);
    }));
  });

  describe('ownerReferences and namespaces', () => {
    it('deleting an owner deletes dependents recursively, each with a DELETED event', withStore(async (store) => {
      const owner = await store.create(node('pool-owner'));
      const child = await store.create(withMeta(job('child'), { ownerReferences: [ownerRef(owner)] }));
      await store.create(withMeta(job('grandchild'), { ownerReferences: [ownerRef(child)] }));
      const unrelated = await store.create(job('unrelated'));
      const events = await EventLog.open(store, {});
      await store.delete('Node', undefined, 'pool-owner');
      assert.deepEqual((await events.waitFor(3)).map((e) => `${e.type} ${e.object.metadata.name}`).sort(),
        ['DELETED child', 'DELETED grandchild', 'DELETED pool-owner']);
      const versions = events.events.map((e) => rv(e.object));
      assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
      assert.equal(await store.get('TrainingJob', 'team-a', 'child'), undefined);
      assert.equal(await store.get('TrainingJob', 'team-a', 'grandchild'), undefined);
      assert.deepEqual(await store.get('TrainingJob', 'team-a', 'unrelated'), unrelated);
      events.close();
    }));

    it('a dependent with finalizers only starts deleting; its own dependents go when it goes', withStore(async (store) => {
      const owner = await store.create(node('owner'));
      const child = await store.create(withMeta(job('child'), { ownerReferences: [ownerRef(owner)], finalizers: ['qm/drain'] }));
      await store.create(withMeta(job('grandchild'), { ownerReferences: [ownerRef(child)] }));
      await store.delete('Node', undefined, 'owner');
      const deleting = await store.get('TrainingJob', 'team-a', 'child');
      assert.ok(deleting?.metadata.deletionTimestamp);
      assert.ok(await store.get('TrainingJob', 'team-a', 'grandchild'));
      await store.update(withMeta(deleting!, { finalizers: [] }));
      assert.equal(await store.get('TrainingJob', 'team-a', 'child'), undefined);
      assert.equal(await store.get('TrainingJob', 'team-a', 'grandchild'), undefined);
    }));

    it('a dependent that still has a live owner loses only the reference', withStore(async (store) => {
      const a = await store.create(node('a'));
      const b = await store.create(node('b'));
      await store.create(withMeta(job('shared'), { ownerReferences: [ownerRef(a), ownerRef(b)] }));
      await store.delete('Node', undefined, 'a');
      const shared = await store.get('TrainingJob', 'team-a', 'shared');
      assert.deepEqual(shared?.metadata.ownerReferences?.map((r) => r.name), ['b']);
      await store.delete('Node', undefined, 'b');
      assert.equal(await store.get('TrainingJob', 'team-a', 'shared'), undefined);
    }));

    it('deleting a Namespace deletes what is in it and nothing else', withStore(async (store) => {
      await store.create(namespaceObj('team-a'));
      await store.create(namespaceObj('team-b'));
      await store.create(job('one', 'team-a'));
      await store.create(job('two', 'team-a'));
      await store.create(withMeta(job('held', 'team-a'), { finalizers: ['qm/x'] }));
      await store.create(job('other', 'team-b'));
      await store.create(node('team-a')); // cluster-scoped, same name as the namespace
      await store.delete('Namespace', undefined, 'team-a');
      assert.deepEqual((await store.list('TrainingJob')).items.map((o) => `${o.metadata.namespace}/${o.metadata.name}`), ['team-a/held', 'team-b/other']);
      assert.ok((await store.get('TrainingJob', 'team-a', 'held'))?.metadata.deletionTimestamp);
      assert.ok(await store.get('Node', undefined, 'team-a'));
      assert.ok(await store.get('Namespace', undefined, 'team-b'));
      assert.equal(await store.get('Namespace', undefined, 'team-a'), undefined);
    }));

    it('every deletion in a cascade gets its own resourceVersion', withStore(async (store) => {
      const owner = await store.create(node('owner'));
      for (let i = 0; i < 20; i++) await store.create(withMeta(job(`dep-${i}`), { ownerReferences: [ownerRef(owner)] }));
      const before = Number(await store.currentResourceVersion());
      await store.delete('Node', undefined, 'owner');
      assert.equal(Number(await store.currentResourceVersion()), before + 21);
      assert.deepEqual((await store.list('TrainingJob')).items, []);
    }));
  });
}
