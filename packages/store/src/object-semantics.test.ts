import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isQmError, type ApiObject } from '@qm/api';
import { prepareCreate, prepareUpdate, rfc3339 } from './object-semantics.js';

const stored: ApiObject = prepareCreate({
  apiVersion: 'v1', kind: 'PriorityClass', metadata: { name: 'high', labels: { a: 'b' } }, value: 1000, status: { x: 1 },
}, 'uid-1', Date.UTC(2025, 0, 1));
stored.metadata.resourceVersion = '7';

describe('prepareCreate', () => {
  it('sets server metadata and drops empty finalizers and ownerReferences', () => {
    const obj = prepareCreate({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', namespace: '', finalizers: [], ownerReferences: [] } }, 'u', 0);
    assert.deepEqual(obj.metadata, { name: 'n', uid: 'u', generation: 1, creationTimestamp: '1970-01-01T00:00:00Z' });
  });

  it('rfc3339 has second precision', () => assert.equal(rfc3339(Date.UTC(2025, 5, 1, 12, 30, 15, 999)), '2025-06-01T12:30:15Z'));
});

describe('prepareUpdate', () => {
  const cases: Array<{ name: string; input: ApiObject; status?: boolean; generation?: number; noop?: boolean }> = [
    { name: 'identical object is a no-op', input: stored, noop: true },
    { name: 'top-level field change bumps generation (kinds without spec)', input: { ...stored, value: 2000 }, generation: 2 },
    { name: 'label change keeps generation', input: { ...stored, metadata: { ...stored.metadata, labels: { a: 'c' } } }, generation: 1 },
    { name: 'status in a main update is ignored', input: { ...stored, status: { x: 2 } }, noop: true },
    { name: 'empty finalizers equal absent ones', input: { ...stored, metadata: { ...stored.metadata, finalizers: [] } }, noop: true },
    { name: 'status subresource ignores everything but status', input: { ...stored, value: 5, status: { x: 1 } }, status: true, noop: true },
    { name: 'status subresource writes status without generation', input: { ...stored, status: { x: 3 } }, status: true, generation: 1 },
    { name: 'server fields from the client are ignored', input: { ...stored, metadata: { ...stored.metadata, generation: 40, creationTimestamp: 'x' } }, noop: true },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const next = prepareUpdate(stored, c.input, c.status ? { subresource: 'status' } : undefined);
      if (c.noop) { assert.equal(next, undefined); return; }
      assert.ok(next);
      assert.equal(next.metadata.generation, c.generation);
      assert.equal(next.metadata.resourceVersion, '7', 'the engine, not this function, assigns the new version');
    });
  }

  it('refuses a stale resourceVersion with Conflict', () => {
    assert.throws(() => prepareUpdate(stored, { ...stored, metadata: { ...stored.metadata, resourceVersion: '6' } }),
      (err: unknown) => isQmError(err, 'Conflict') && /PriorityClass "high"/.test(err.message));
  });
});
