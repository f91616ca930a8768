import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import type { ChangeRecord, ChangeType } from './storage-backend.js';
import { makeWatchFilter } from './watch-filter.js';

const obj = (tier: string | undefined, ns = 'team-a', kind = 'TrainingJob'): ApiObject => ({
  apiVersion: 'v1', kind, metadata: { name: 'x', namespace: ns, labels: tier ? { tier } : {} },
});

const record = (type: ChangeType, now: ApiObject, prev?: ApiObject, prevKnown = true): ChangeRecord =>
  ({ resourceVersion: 5, type, object: now, prev, prevKnown });

describe('makeWatchFilter', () => {
  const gold = makeWatchFilter({ labelSelector: 'tier=gold' });
  const cases: Array<{ name: string; rec: ChangeRecord; want: string | undefined }> = [
    { name: 'added and matching', rec: record('ADDED', obj('gold')), want: 'ADDED' },
    { name: 'added, not matching', rec: record('ADDED', obj('silver')), want: undefined },
    { name: 'modified, matching before and after', rec: record('MODIFIED', obj('gold'), obj('gold')), want: 'MODIFIED' },
    { name: 'modified into the selector', rec: record('MODIFIED', obj('gold'), obj('silver')), want: 'ADDED' },
    { name: 'modified out of the selector', rec: record('MODIFIED', obj('silver'), obj('gold')), want: 'DELETED' },
    { name: 'modified, never matching', rec: record('MODIFIED', obj('silver'), obj(undefined)), want: undefined },
    { name: 'previous state unknown, matching now', rec: record('MODIFIED', obj('gold'), undefined, false), want: 'MODIFIED' },
    { name: 'previous state unknown, not matching now', rec: record('MODIFIED', obj('silver'), undefined, false), want: 'DELETED' },
    { name: 'deleted while matching', rec: record('DELETED', obj('gold'), obj('gold')), want: 'DELETED' },
    { name: 'deleted, not matching', rec: record('DELETED', obj('silver'), obj('silver')), want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(gold.eventFor(c.rec)?.type, c.want));
  }

  it('filters by kind and namespace without selectors, passing every type through', () => {
    const f = makeWatchFilter({ kind: 'TrainingJob', namespace: 'team-a' });
    assert.equal(f.selective, false);
    assert.equal(f.eventFor(record('MODIFIED', obj(undefined), undefined, false))?.type, 'MODIFIED');
    assert.equal(f.eventFor(record('ADDED', obj(undefined, 'team-b'))), undefined);
    assert.equal(f.eventFor(record('ADDED', obj(undefined, 'team-a', 'Node'))), undefined);
  });

  it('a field selector follows the same transitions', () => {
    const f = makeWatchFilter({ fieldSelector: 'status.phase=Running' });
    const phase = (p: string): ApiObject => ({ ...obj(undefined), status: { phase: p } });
    assert.equal(f.eventFor(record('MODIFIED', phase('Running'), phase('Pending')))?.type, 'ADDED');
    assert.equal(f.eventFor(record('MODIFIED', phase('Done'), phase('Running')))?.type, 'DELETED');
  });
});
