import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RunMerge, runOf } from './run-merge.js';

/** Runs cut from `items` at `runStarts`. */
function cut<T>(items: T[], runStarts: number[]) {
  return runStarts.map((start, i) => runOf(items.slice(start, i + 1 < runStarts.length ? runStarts[i + 1] : items.length)));
}

function drain<T>(m: RunMerge<T>): T[] {
  const out: T[] = [];
  for (let x = m.next(); x !== undefined; x = m.next()) out.push(x);
  return out;
}

describe('RunMerge', () => {
  const cases: Array<{ name: string; items: number[]; runStarts: number[]; want: number[] }> = [
    { name: 'no runs', items: [], runStarts: [], want: [] },
    { name: 'one run', items: [1, 2, 3], runStarts: [0], want: [1, 2, 3] },
    { name: 'two interleaved runs', items: [1, 4, 6, 2, 3, 5], runStarts: [0, 3], want: [1, 2, 3, 4, 5, 6] },
    { name: 'empty runs are skipped', items: [5, 1, 2], runStarts: [0, 0, 1, 1, 3], want: [1, 2, 5] },
    { name: 'many runs of one item', items: [9, 3, 7, 1, 8, 2], runStarts: [0, 1, 2, 3, 4, 5], want: [1, 2, 3, 7, 8, 9] },
    { name: 'equal items', items: [1, 1, 1], runStarts: [0, 1, 2], want: [1, 1, 1] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(drain(new RunMerge(cut(c.items, c.runStarts), (a, b) => a - b)), c.want));
  }

  it('gives the order a full sort gives, for random runs', () => {
    let seed = 7;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    for (let round = 0; round < 50; round++) {
      const runs = Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => Array.from({ length: Math.floor(rnd() * 10) }, () => Math.floor(rnd() * 100)).sort((a, b) => a - b));
      const items = runs.flat();
      const runStarts: number[] = [];
      let at = 0;
      for (const r of runs) {
        runStarts.push(at);
        at += r.length;
      }
      assert.deepEqual(drain(new RunMerge(cut(items, runStarts), (a, b) => a - b)), [...items].sort((a, b) => a - b));
    }
  });

  it('reads only what it is asked for: a run is pulled once its head was taken', () => {
    let compares = 0;
    let pulled = 0;
    const counted = (items: number[]) => {
      const run = runOf(items);
      return () => {
        pulled++;
        return run();
      };
    };
    const m = new RunMerge([counted(Array.from({ length: 500 }, (_, i) => 2 * i)), counted(Array.from({ length: 500 }, (_, i) => 2 * i + 1))], (a, b) => (compares++, a - b));
    assert.equal(m.next(), 0);
    assert.equal(m.next(), 1);
    assert.ok(compares < 10, `compares ${compares}`);
    assert.equal(pulled, 4, 'the two heads, then one more from each run');
  });
});
