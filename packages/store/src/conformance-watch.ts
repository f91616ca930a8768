/** Conformance: watch order, filters, resume from a resourceVersion, selector transitions, compaction. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventLog, job, node, rejectsWith, rv, withMeta, withSpec, withStatus } from './conformance-helpers.js';
import type { WithStore } from './conformance.js';

export function watchConformance(withStore: WithStore): void {
  describe('watch', () => {
    it('delivers ADDED, MODIFIED and DELETED in resourceVersion order, each once', withStore(async (store) => {
      const events = await EventLog.open(store, {});
      const created = await store.create(job('bert'));
      const updated = await store.update(withSpec(created, { workers: 2 }));
      const gone = await store.delete('TrainingJob', 'team-a', 'bert');
      const got = await events.waitFor(3);
      assert.deepEqual(got.map((e) => e.type), ['ADDED', 'MODIFIED', 'DELETED']);
      assert.deepEqual(got.map((e) => e.object.metadata.resourceVersion), [created, updated, gone].map((o) => o.metadata.resourceVersion));
      assert.equal(got[2].object.spec.workers, 2, 'DELETED carries the last state');
      await events.settleAt(3);
      events.close();
    }));

    it('filters by kind and namespace', withStore(async (store) => {
      const jobsInA = await EventLog.open(store, { kind: 'TrainingJob', namespace: 'team-a' });
      const nodes = await EventLog.open(store, { kind: 'Node' });
      await store.create(job('one', 'team-a'));
      await store.create(job('two', 'team-b'));
      await store.create(node('gpu-1'));
      await store.create(job('three', 'team-a'));
      assert.deepEqual((await jobsInA.waitFor(2)).map((e) => e.object.metadata.name), ['one', 'three']);
      assert.deepEqual((await nodes.waitFor(1)).map((e) => e.object.metadata.name), ['gpu-1']);
      await jobsInA.settleAt(2);
      await nodes.settleAt(1);
      jobsInA.close();
      nodes.close();
    }));

    it('resumes after a resourceVersion: replays, then goes live, with no gap or duplicate', withStore(async (store) => {
      await store.create(job('a'));
      const listed = await store.list('TrainingJob');
      await store.create(job('b'));
      const c = await store.create(job('c'));
      const events = await EventLog.open(store, { resourceVersion: listed.resourceVersion });
      await store.update(withSpec(c, { workers: 3 }));
      await store.create(job('d'));
      assert.deepEqual((await events.waitFor(4)).map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED b', 'ADDED c', 'MODIFIED c', 'ADDED d']);
      await events.settleAt(4);
      events.close();
    }));

    it('watching without a resourceVersion (or "0") sees only later changes', withStore(async (store) => {
      await store.create(job('before'));
      const events = await EventLog.open(store, { resourceVersion: '0' });
      await store.create(job('after'));
      assert.deepEqual((await events.waitFor(1)).map((e) => e.object.metadata.name), ['after']);
      await events.settleAt(1);
      events.close();
    }));

    it('a no-op update produces no event', withStore(async (store) => {
      const created = await store.create(job('bert'));
      const events = await EventLog.open(store, {});
      await store.update(created);
      await store.create(job('marker'));
      assert.deepEqual((await events.waitFor(1)).map((e) => e.object.metadata.name), ['marker']);
      await events.settleAt(1);
      events.close();
    }));

    it('a label selector watch reports objects entering as ADDED and leaving as DELETED', withStore(async (store) => {
      await store.create(node('before'));
      const start = await store.currentResourceVersion();
      const live = await EventLog.open(store, { kind: 'TrainingJob', labelSelector: 'tier=gold' });
      const a = await store.create(withMeta(job('a'), { labels: { tier: 'silver' } }));
      const a2 = await store.update(withMeta(a, { labels: { tier: 'gold' } }));
      const a3 = await store.update(withSpec(a2, { workers: 2 }));
      const a4 = await store.update(withMeta(a3, { labels: { tier: 'bronze' } }));
      await store.update(withSpec(a4, { workers: 3 }));
      await store.create(withMeta(job('b'), { labels: { tier: 'gold' } }));
      await store.delete('TrainingJob', 'team-a', 'b');
      const want = ['ADDED a', 'MODIFIED a', 'DELETED a', 'ADDED b', 'DELETED b'];
      assert.deepEqual((await live.waitFor(5)).map((e) => `${e.type} ${e.object.metadata.name}`), want);
      await live.settleAt(5);
      const replayed = await EventLog.open(store, { kind: 'TrainingJob', labelSelector: 'tier=gold', resourceVersion: start });
      assert.deepEqual((await replayed.waitFor(5)).map((e) => `${e.type} ${e.object.metadata.name}`), want);
      assert.deepEqual(replayed.events.map((e) => e.object.metadata.resourceVersion), live.events.map((e) => e.object.metadata.resourceVersion));
      live.close();
      replayed.close();
    }));

    it('a field selector watch follows status.phase', withStore(async (store) => {
      const events = await EventLog.open(store, { fieldSelector: 'status.phase=Running' });
      const created = await store.create(job('bert'));
      const running = await store.update(withStatus(created, { phase: 'Running' }), { subresource: 'status' });
      await store.update(withStatus(running, { phase: 'Succeeded' }), { subresource: 'status' });
      assert.deepEqual((await events.waitFor(2)).map((e) => e.type), ['ADDED', 'DELETED']);
      await events.settleAt(2);
      events.close();
    }));

    it('refuses a resourceVersion older than the retained log with Gone', withStore(async (store) => {
      const first = await store.create(node('n-0'));
      for (let i = 1; i < 10; i++) await store.create(node(`n-${i}`));
      const current = Number(await store.currentResourceVersion());
      await rejectsWith(store.watch({ resourceVersion: first.metadata.resourceVersion }, () => {}), 'Gone',
        /resourceVersion \d+ is too old \(oldest retained is \d+\); list again and watch from the list's resourceVersion/);
      const events = await EventLog.open(store, { resourceVersion: String(current - 3) });
      assert.deepEqual((await events.waitFor(3)).map((e) => e.object.metadata.name), ['n-7', 'n-8', 'n-9']);
      events.close();
      await rejectsWith(store.watch({ resourceVersion: String(current + 5) }, () => {}), 'Gone', /newer/);
      await rejectsWith(store.watch({ resourceVersion: 'abc' }, () => {}), 'BadRequest', /resourceVersion/);
      await rejectsWith(store.watch({ labelSelector: 'a in (' }, () => {}), 'BadRequest', /label selector/);
    }, { watchLogRetention: 3 }));

    it('stops delivering after close', withStore(async (store) => {
      const events = await EventLog.open(store, {});
      await store.create(node('a'));
      await events.waitFor(1);
      events.close();
      await store.create(node('b'));
      await events.settleAt(1);
    }));

    it('keeps order when a watcher writes from its callback, and gives each watcher its own copy', withStore(async (store) => {
      const reactor = await store.watch({ kind: 'TrainingJob' }, (e) => {
        e.object.spec.workers = -1; // must not leak into other watchers
        if (e.type === 'ADDED') void store.create(node(`for-${e.object.metadata.name}`));
      });
      const observer = await EventLog.open(store, {});
      await store.create(job('a'));
      await store.create(job('b'));
      await observer.waitFor(4);
      const versions = observer.events.map((e) => rv(e.object));
      assert.deepEqual(versions, [...versions].sort((x, y) => x - y));
      assert.equal(new Set(versions).size, versions.length);
      assert.deepEqual(observer.summary().sort(), ['ADDED a', 'ADDED b', 'ADDED for-a', 'ADDED for-b']);
      for (const e of observer.events.filter((x) => x.object.kind === 'TrainingJob')) assert.equal(e.object.spec.workers, 1);
      reactor.close();
      observer.close();
    }));
  });
}
