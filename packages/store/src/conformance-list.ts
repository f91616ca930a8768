/** Conformance: list order, namespace and selector filters, pagination. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { job, node, rejectsWith, withMeta, withStatus, type TestStore } from './conformance-helpers.js';
import type { WithStore } from './conformance.js';

const names = (items: ApiObject[]): string[] => items.map((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`);

async function seed(store: TestStore): Promise<void> {
  // Created out of order on purpose: the list must come back sorted by (namespace, name).
  for (const [name, ns, tier, phase] of [
    ['c', 'team-b', 'gold', 'Running'], ['a', 'team-b', 'silver', 'Pending'], ['b', 'team-a', 'gold', 'Pending'],
    ['a', 'team-a', 'bronze', 'Running'], ['d', 'team-a', undefined, 'Succeeded'],
  ] as const) {
    const labels: Record<string, string> = { app: name };
    if (tier) labels.tier = tier;
    await store.create(withStatus(withMeta(job(name, ns), { labels }), { phase }));
  }
  await store.create(node('gpu-1'));
}

export function listConformance(withStore: WithStore): void {
  describe('list', () => {
    it('returns one kind in (namespace, name) order with the current resourceVersion', withStore(async (store) => {
      await seed(store);
      const all = await store.list('TrainingJob');
      assert.deepEqual(names(all.items), ['team-a/a', 'team-a/b', 'team-a/d', 'team-b/a', 'team-b/c']);
      assert.equal(all.resourceVersion, await store.currentResourceVersion());
      assert.equal(all.continue, undefined);
      assert.deepEqual(names((await store.list('Node')).items), ['/gpu-1']);
      assert.deepEqual((await store.list('Queue')).items, []);
    }));

    const filters: Array<{ name: string; opts: Parameters<TestStore['list']>[1]; want: string[] }> = [
      { name: 'namespace', opts: { namespace: 'team-b' }, want: ['team-b/a', 'team-b/c'] },
      { name: 'label equals', opts: { labelSelector: 'tier=gold' }, want: ['team-a/b', 'team-b/c'] },
      { name: 'label not equals includes unlabeled', opts: { labelSelector: 'tier!=gold' }, want: ['team-a/a', 'team-a/d', 'team-b/a'] },
      { name: 'label set', opts: { labelSelector: 'tier in (bronze,silver)' }, want: ['team-a/a', 'team-b/a'] },
      { name: 'label notin', opts: { labelSelector: 'tier notin (gold)' }, want: ['team-a/a', 'team-a/d', 'team-b/a'] },
      { name: 'label exists', opts: { labelSelector: 'tier' }, want: ['team-a/a', 'team-a/b', 'team-b/a', 'team-b/c'] },
      { name: 'label does not exist', opts: { labelSelector: '!tier' }, want: ['team-a/d'] },
      { name: 'namespace and label', opts: { namespace: 'team-a', labelSelector: 'tier=gold' }, want: ['team-a/b'] },
      { name: 'field metadata.name', opts: { fieldSelector: 'metadata.name=a' }, want: ['team-a/a', 'team-b/a'] },
      { name: 'field metadata.namespace', opts: { fieldSelector: 'metadata.namespace==team-b' }, want: ['team-b/a', 'team-b/c'] },
      { name: 'field status.phase', opts: { fieldSelector: 'status.phase=Running' }, want: ['team-a/a', 'team-b/c'] },
      { name: 'field not equals', opts: { fieldSelector: 'status.phase!=Running,metadata.namespace=team-a' }, want: ['team-a/b', 'team-a/d'] },
      { name: 'field and label', opts: { fieldSelector: 'status.phase=Pending', labelSelector: 'tier=gold' }, want: ['team-a/b'] },
    ];
    for (const c of filters) {
      it(`filters by ${c.name}`, withStore(async (store) => {
        await seed(store);
        assert.deepEqual(names((await store.list('TrainingJob', c.opts)).items), c.want);
      }));
    }

    it('refuses bad selectors with BadRequest', withStore(async (store) => {
      await rejectsWith(store.list('TrainingJob', { labelSelector: 'tier in (gold' }), 'BadRequest', /label selector/);
      await rejectsWith(store.list('TrainingJob', { fieldSelector: 'status.phase' }), 'BadRequest', /field selector/);
      await rejectsWith(store.list('TrainingJob', { limit: -1 }), 'BadRequest', /limit/);
    }));

    it('pages with limit and continue, counting what remains', withStore(async (store) => {
      await seed(store);
      const first = await store.list('TrainingJob', { limit: 2 });
      assert.deepEqual(names(first.items), ['team-a/a', 'team-a/b']);
      assert.ok(first.continue);
      assert.equal(first.remainingItemCount, 3);
      const second = await store.list('TrainingJob', { limit: 2, continue: first.continue });
      assert.deepEqual(names(second.items), ['team-a/d', 'team-b/a']);
      assert.equal(second.remainingItemCount, 1);
      const third = await store.list('TrainingJob', { limit: 2, continue: second.continue });
      assert.deepEqual(names(third.items), ['team-b/c']);
      assert.equal(third.continue, undefined);
      assert.equal(third.remainingItemCount, undefined);
      const exact = await store.list('TrainingJob', { limit: 5 });
      assert.equal(exact.items.length, 5);
      assert.equal(exact.continue, undefined);
    }));

    it('keeps pages consistent while objects come and go: none skipped, none repeated', withStore(async (store) => {
      await seed(store);
      const first = await store.list('TrainingJob', { limit: 2 });
      assert.deepEqual(names(first.items), ['team-a/a', 'team-a/b']);
      await store.create(job('aa', 'team-a')); // sorts before the cursor: not on later pages
      await store.create(job('c', 'team-a')); // after the cursor: appears
      await store.delete('TrainingJob', 'team-b', 'a');
      const seen = [...first.items];
      let page = first;
      while (page.continue) {
        page = await store.list('TrainingJob', { limit: 2, continue: page.continue });
        seen.push(...page.items);
      }
      assert.deepEqual(names(seen), ['team-a/a', 'team-a/b', 'team-a/c', 'team-a/d', 'team-b/c']);
    }));

    it('pages through a filtered list', withStore(async (store) => {
      await seed(store);
      const first = await store.list('TrainingJob', { labelSelector: 'tier', limit: 3 });
      assert.deepEqual(names(first.items), ['team-a/a', 'team-a/b', 'team-b/a']);
      assert.equal(first.remainingItemCount, undefined);
      const second = await store.list('TrainingJob', { labelSelector: 'tier', limit: 3, continue: first.continue });
      assert.deepEqual(names(second.items), ['team-b/c']);
      const inNs = await store.list('TrainingJob', { namespace: 'team-a', limit: 1 });
      const inNs2 = await store.list('TrainingJob', { namespace: 'team-a', limit: 5, continue: inNs.continue });
      assert.deepEqual(names(inNs2.items), ['team-a/b', 'team-a/d']);
    }));

    it('refuses a malformed continue token or one from another list', withStore(async (store) => {
      await seed(store);
      const first = await store.list('TrainingJob', { limit: 1 });
      await rejectsWith(store.list('TrainingJob', { continue: 'garbage!' }), 'BadRequest', /continue token/);
      await rejectsWith(store.list('Node', { continue: first.continue }), 'BadRequest', /issued for a list of TrainingJob/);
      await rejectsWith(store.list('TrainingJob', { namespace: 'team-a', continue: first.continue }), 'BadRequest', /continue token/);
    }));
  });
}
