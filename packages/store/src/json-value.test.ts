import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cloneJson, jsonEqual } from './json-value.js';

describe('jsonEqual', () => {
  const cases: Array<{ name: string; a: unknown; b: unknown; want: boolean }> = [
    { name: 'same scalars', a: 1, b: 1, want: true },
    { name: 'number vs string', a: 1, b: '1', want: false },
    { name: 'null vs object', a: null, b: {}, want: false },
    { name: 'key order does not matter', a: { x: 1, y: [1, { z: 2 }] }, b: { y: [1, { z: 2 }], x: 1 }, want: true },
    { name: 'undefined property counts as absent', a: { x: 1, y: undefined }, b: { x: 1 }, want: true },
    { name: 'extra key', a: { x: 1 }, b: { x: 1, y: 2 }, want: false },
    { name: 'array vs object', a: [], b: {}, want: false },
    { name: 'array order matters', a: [1, 2], b: [2, 1], want: false },
    { name: 'array length', a: [1], b: [1, 1], want: false },
    { name: 'nested difference', a: { s: { t: 'a' } }, b: { s: { t: 'b' } }, want: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(jsonEqual(c.a, c.b), c.want);
      assert.equal(jsonEqual(c.b, c.a), c.want);
    });
  }
});

describe('cloneJson', () => {
  it('copies deeply and drops undefined properties like a JSON round-trip', () => {
    const input = { a: { b: [1, { c: 'x' }] }, gone: undefined, n: null, list: [undefined] };
    const copy = cloneJson(input);
    assert.deepEqual(copy, JSON.parse(JSON.stringify(input)));
    copy.a.b.push(2);
    assert.equal(input.a.b.length, 2);
  });
});
