/**
 * One behaviour suite that every Store backend must pass (as BullMQ runs one suite
 * against each of its connections). Call it from the backend's test file:
 *
 * ```ts
 * runStoreConformance('MemoryStore', async ({ clock, watchLogRetention }) =>
 *   new MemoryStore(clock, { watchLogRetention }));
 * ```
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ManualClock, deepFreeze, job, node, rejectsWith, rv, withMeta, withSpec, withStatus,
  type StoreFactory, type TestStore,
} from './conformance-helpers.js';
import { lifecycleConformance } from './conformance-lifecycle.js';
import { listConformance } from './conformance-list.js';
import { watchConformance } from './conformance-watch.js';

export type { StoreFactory, StoreFactoryOptions } from './conformance-helpers.js';

/** Runs `fn` against a fresh store and closes it afterwards. */
export type WithStore = (
  fn: (store: TestStore, clock: ManualClock) => Promise<void>,
  opts?: { watchLogRetention?: number },
) => () => Promise<void>;

export function runStoreConformance(name: string, makeStore: StoreFactory): void {
  const withStore: WithStore = (fn, opts = {}) => async () => {
    const clock = new ManualClock();
    const store = await makeStore({ clock, ...opts });
    try {
      await fn(store, clock);
    } finally {
      await store.close();
    }
  };
  describe(`${name} conformance`, () => {
    objectConformance(withStore);
    listConformance(withStore);
    lifecycleConformance(withStore);
    watchConformance(withStore);
    tokenConformance(withStore);
  });
}

function objectConformance(withStore: WithStore): void {
  describe('create and get', () => {
    it('sets uid, resourceVersion, generation and creationTimestamp, ignoring client values', withStore(async (store, clock) => {
      const input = withMeta(job('bert'), {
        uid: 'client-uid', resourceVersion: '999', generation: 7,
        creationTimestamp: '2000-01-01T00:00:00Z', deletionTimestamp: '2000-01-01T00:00:00Z',
      });
      const created = await store.create(input);
      assert.match(created.metadata.uid!, /^[0-9a-f-]{36}$/);
      assert.notEqual(created.metadata.uid, 'client-uid');
      assert.match(created.metadata.resourceVersion!, /^[1-9]\d*$/);
      assert.equal(created.metadata.generation, 1);
      assert.equal(created.metadata.creationTimestamp, new Date(clock.now()).toISOString().replace('.000Z', 'Z'));
      assert.equal(created.metadata.deletionTimestamp, undefined);
      assert.deepEqual(created.spec, { workers: 1 });
      assert.deepEqual(await store.get('TrainingJob', 'team-a', 'bert'), created);
      assert.equal(await store.currentResourceVersion(), created.metadata.resourceVersion);
    }));

    it('keeps status sent with the create (nodes register with it)', withStore(async (store) => {
      const created = await store.create(node('gpu-1', { status: { capacity: { 'nvidia.com/gpu': 8 } } }));
      assert.deepEqual(created.status, { capacity: { 'nvidia.com/gpu': 8 } });
      assert.equal(created.metadata.namespace, undefined);
      assert.deepEqual((await store.get('Node', undefined, 'gpu-1'))?.status, { capacity: { 'nvidia.com/gpu': 8 } });
    }));

    it('assigns resourceVersions from one sequence across kinds', withStore(async (store) => {
      const a = await store.create(node('gpu-1'));
      const b = await store.create(job('bert'));
      const c = await store.create(node('gpu-2'));
      assert.ok(rv(a) < rv(b) && rv(b) < rv(c), `${rv(a)} < ${rv(b)} < ${rv(c)}`);
      assert.equal(await store.currentResourceVersion(), String(rv(c)));
    }));

    it('refuses a taken kind/namespace/name with AlreadyExists and writes nothing', withStore(async (store) => {
      await store.create(job('bert'));
      const before = await store.currentResourceVersion();
      await rejectsWith(store.create(job('bert')), 'AlreadyExists', /TrainingJob "team-a\/bert" already exists/);
      assert.equal(await store.currentResourceVersion(), before);
      await store.create(job('bert', 'team-b'));
      await store.create(node('bert'));
    }));

    it('get returns undefined for a missing object', withStore(async (store) => {
      assert.equal(await store.get('TrainingJob', 'team-a', 'nope'), undefined);
      assert.equal(await store.get('Nope', undefined, 'nope'), undefined);
    }));

    it('refuses an object without a name, naming the field', withStore(async (store) => {
      await assert.rejects(store.create(deepFreeze({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: '' } })), (err: any) => {
        assert.equal(err.code, 'Invalid');
        assert.equal(err.details.causes[0].field, 'metadata.name');
        return true;
      });
      await rejectsWith(store.create(withMeta(job('x'), { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'n', uid: '' }] })), 'Invalid', /ownerReferences\[0\]\.uid/);
    }));

    it('never mutates inputs and returns copies', withStore(async (store) => {
      const input = job('bert'); // deep-frozen: a mutation would throw
      const created = await store.create(input);
      created.spec.workers = 99;
      created.metadata.labels!.app = 'changed';
      const fetched = await store.get('TrainingJob', 'team-a', 'bert');
      assert.equal(fetched?.spec.workers, 1);
      fetched!.spec.workers = 42;
      const listed = await store.list('TrainingJob');
      assert.equal(listed.items[0].spec.workers, 1);
      listed.items[0].spec.workers = 7;
      const updated = await store.update(withSpec(deepFreeze(structuredClone((await store.get('TrainingJob', 'team-a', 'bert'))!)), { workers: 2 }));
      updated.spec.workers = 3;
      assert.equal((await store.get('TrainingJob', 'team-a', 'bert'))?.spec.workers, 2);
    }));
  });

  describe('update', () => {
    it('bumps generation only when something outside metadata and status changed', withStore(async (store) => {
      const created = await store.create(job('bert'));
      const relabeled = await store.update(withMeta(created, { labels: { app: 'bert', tier: 'gold' } }));
      assert.equal(relabeled.metadata.generation, 1);
      assert.ok(rv(relabeled) > rv(created));
      const respecced = await store.update(withSpec(relabeled, { workers: 4 }));
      assert.equal(respecced.metadata.generation, 2);
      assert.deepEqual(respecced.metadata.labels, { app: 'bert', tier: 'gold' });
      const status = await store.update(withStatus(respecced, { phase: 'Running' }), { subresource: 'status' });
      assert.equal(status.metadata.generation, 2);
    }));

    it('keeps the stored status on a main update and writes only status through the subresource', withStore(async (store) => {
      const created = await store.create(job('bert', 'team-a', { status: { phase: 'Pending' } }));
      const main = await store.update(withStatus(withSpec(created, { workers: 2 }), { phase: 'Hacked' }));
      assert.deepEqual(main.status, { phase: 'Pending' });
      assert.equal(main.spec.workers, 2);
      const statusInput = withMeta(withSpec(withStatus(main, { phase: 'Running' }), { workers: 100 }), { labels: { evil: 'yes' } });
      const status = await store.update(statusInput, { subresource: 'status' });
      assert.deepEqual(status.status, { phase: 'Running' });
      assert.equal(status.spec.workers, 2);
      assert.deepEqual(status.metadata.labels, { app: 'bert' });
    }));

    it('refuses a stale resourceVersion with Conflict naming the object', withStore(async (store) => {
      const created = await store.create(job('bert'));
      await store.update(withSpec(created, { workers: 2 }));
      await rejectsWith(store.update(withSpec(created, { workers: 3 })), 'Conflict', /TrainingJob "team-a\/bert".*modified/);
      await rejectsWith(store.update(withStatus(created, { phase: 'x' }), { subresource: 'status' }), 'Conflict');
    }));

    it('updates unconditionally without a resourceVersion', withStore(async (store) => {
      await store.create(job('bert'));
      const updated = await store.update(withSpec(job('bert'), { workers: 5 }));
      assert.equal(updated.spec.workers, 5);
    }));

    it('refuses a missing object with NotFound', withStore(async (store) => {
      await rejectsWith(store.update(job('ghost')), 'NotFound', /TrainingJob "team-a\/ghost" not found/);
    }));

    it('keeps uid and creationTimestamp', withStore(async (store, clock) => {
      const created = await store.create(job('bert'));
      clock.advance(60_000);
      const updated = await store.update(withSpec(withMeta(created, { creationTimestamp: '1999-01-01T00:00:00Z' }), { workers: 2 }));
      assert.equal(updated.metadata.creationTimestamp, created.metadata.creationTimestamp);
      assert.equal(updated.metadata.uid, created.metadata.uid);
      await rejectsWith(store.update(withMeta(updated, { uid: 'other' })), 'Invalid', /metadata\.uid/);
    }));

    it('a no-op update keeps the resourceVersion', withStore(async (store) => {
      const created = await store.create(job('bert', 'team-a', { status: { phase: 'Pending' } }));
      const same = await store.update(created);
      assert.equal(same.metadata.resourceVersion, created.metadata.resourceVersion);
      const sameStatus = await store.update(created, { subresource: 'status' });
      assert.equal(sameStatus.metadata.resourceVersion, created.metadata.resourceVersion);
      assert.equal(await store.currentResourceVersion(), created.metadata.resourceVersion);
    }));

    it('two updates from the same version: exactly one wins', withStore(async (store) => {
      const created = await store.create(job('bert'));
      const results = await Promise.allSettled([
        store.update(withSpec(created, { workers: 2 })),
        store.update(withSpec(created, { workers: 3 })),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1);
      assert.equal(lost.length, 1);
      assert.equal(lost[0].reason.code, 'Conflict');
      const winner = (won[0] as PromiseFulfilledResult<typeof created>).value;
      assert.deepEqual(await store.get('TrainingJob', 'team-a', 'bert'), winner);
    }));
  });
}

function tokenConformance(withStore: WithStore): void {
  const hash = (c: string): string => c.repeat(64);
  const token = (id: string, secretChar: string) => deepFreeze({
    id, user: `user-${id}`, groups: ['team-a'], secretSha256: hash(secretChar), createdAtMs: 1_000, description: `token ${id}`,
  });

  describe('tokens', () => {
    it('adds, finds by secret hash, lists in id order and removes', withStore(async (store) => {
      await store.addToken(token('b2', 'b'));
      await store.addToken(token('a1', 'a'));
      assert.deepEqual(await store.findTokenBySecretHash(hash('a')), token('a1', 'a'));
      assert.equal(await store.findTokenBySecretHash(hash('c')), undefined);
      assert.deepEqual((await store.listTokens()).map((t) => t.id), ['a1', 'b2']);
      assert.equal(await store.removeToken('a1'), true);
      assert.equal(await store.removeToken('a1'), false);
      assert.equal(await store.findTokenBySecretHash(hash('a')), undefined);
      assert.deepEqual((await store.listTokens()).map((t) => t.id), ['b2']);
    }));

    it('refuses a duplicate id or secret with AlreadyExists, and a malformed hash with Invalid', withStore(async (store) => {
      await store.addToken(token('a1', 'a'));
      await rejectsWith(store.addToken(token('a1', 'b')), 'AlreadyExists', /a1/);
      await rejectsWith(store.addToken(token('a2', 'a')), 'AlreadyExists', /same secret/);
      await rejectsWith(store.addToken({ ...token('a3', 'c'), secretSha256: 'not-hex' }), 'Invalid', /secretSha256/);
    }));

    it('returns copies', withStore(async (store) => {
      await store.addToken(token('a1', 'a'));
      const found = await store.findTokenBySecretHash(hash('a'));
      found!.groups.push('admin');
      assert.deepEqual((await store.findTokenBySecretHash(hash('a')))?.groups, ['team-a']);
    }));
  });

  describe('closing', () => {
    it('refuses calls after close with ServiceUnavailable; closing twice is fine', withStore(async (store) => {
      await store.create(node('gpu-1'));
      await store.close();
      await rejectsWith(store.get('Node', undefined, 'gpu-1'), 'ServiceUnavailable');
      await rejectsWith(store.create(node('gpu-2')), 'ServiceUnavailable');
      await store.close();
    }));
  });
}
