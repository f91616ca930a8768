import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jainIndex, mean, percentile, round } from './metrics.js';

const percentileCases = [
  { name: 'empty', values: [], p: 50, want: null },
  { name: 'one value', values: [7], p: 99, want: 7 },
  { name: 'median of four (nearest rank)', values: [40, 10, 30, 20], p: 50, want: 20 },
  { name: 'p99 of 100 values', values: Array.from({ length: 100 }, (_, i) => i + 1), p: 99, want: 99 },
  { name: 'p100', values: [3, 1, 2], p: 100, want: 3 },
];
for (const c of percentileCases) {
  test(`percentile: ${c.name}`, () => assert.equal(percentile(c.values, c.p), c.want));
}

const jainCases = [
  { name: 'no queues', shares: [], want: null },
  { name: 'equal shares', shares: [5, 5, 5], want: 1 },
  { name: 'one takes all of three', shares: [9, 0, 0], want: 1 / 3 },
  { name: 'all zero counts as equal', shares: [0, 0], want: 1 },
  { name: 'two to one', shares: [2, 1], want: 0.9 },
];
for (const c of jainCases) {
  test(`jainIndex: ${c.name}`, () => {
    const got = jainIndex(c.shares);
    if (c.want === null) assert.equal(got, null);
    else assert.ok(Math.abs(got! - c.want) < 1e-12, `${got} ≠ ${c.want}`);
  });
}

test('mean and round', () => {
  assert.equal(mean([]), null);
  assert.equal(mean([1, 2, 3, 4]), 2.5);
  assert.equal(round(0.1 + 0.2, 6), 0.3);
  assert.ok(Object.is(round(-0.0000001, 3), 0));
});
