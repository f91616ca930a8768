import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergePatch } from './merge-patch.js';

// The examples of RFC 7386, appendix A.
const cases: Array<{ name: string; target: unknown; patch: unknown; want: unknown }> = [
  { name: 'replace a value', target: { a: 'b' }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'add a key', target: { a: 'b' }, patch: { b: 'c' }, want: { a: 'b', b: 'c' } },
  { name: 'null deletes', target: { a: 'b' }, patch: { a: null }, want: {} },
  { name: 'delete one of two', target: { a: 'b', b: 'c' }, patch: { a: null }, want: { b: 'c' } },
  { name: 'array replaces', target: { a: ['b'] }, patch: { a: 'c' }, want: { a: 'c' } },
  { name: 'value replaces array', target: { a: 'c' }, patch: { a: ['b'] }, want: { a: ['b'] } },
  { name: 'nested merge', target: { a: { b: 'c' } }, patch: { a: { b: 'd', c: null } }, want: { a: { b: 'd' } } },
  { name: 'arrays are not merged', target: { a: [{ b: 'c' }] }, patch: { a: [1] }, want: { a: [1] } },
  { name: 'array target', target: ['a', 'b'], patch: ['c', 'd'], want: ['c', 'd'] },
  { name: 'object replaces array target', target: { a: 'b' }, patch: ['c'], want: ['c'] },
  { name: 'null patch value at top', target: { a: 'foo' }, patch: null, want: null },
  { name: 'string patch', target: { a: 'foo' }, patch: 'bar', want: 'bar' },
  { name: 'null inside kept object', target: { e: null }, patch: { a: 1 }, want: { e: null, a: 1 } },
  { name: 'scalar target becomes object', target: [1, 2], patch: { a: 'b', c: null }, want: { a: 'b' } },
  { name: 'deep nulls are dropped when creating', target: {}, patch: { a: { bb: { ccc: null } } }, want: { a: { bb: {} } } },
];

for (const c of cases) {
  test(`mergePatch: ${c.name}`, () => {
    assert.deepEqual(mergePatch(c.target, c.patch), c.want);
  });
}

test('mergePatch does not mutate its inputs', () => {
  const target = { spec: { workers: 1, env: [{ name: 'A' }] } };
  const patch = { spec: { workers: 2 } };
  const out = mergePatch(target, patch);
  assert.deepEqual(target, { spec: { workers: 1, env: [{ name: 'A' }] } });
  assert.deepEqual(out, { spec: { workers: 2, env: [{ name: 'A' }] } });
});

test('mergePatch ignores a __proto__ key instead of changing the prototype', () => {
  const patch = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
  const out = mergePatch({}, patch) as Record<string, unknown>;
  assert.deepEqual(out, { a: 1 });
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
});
