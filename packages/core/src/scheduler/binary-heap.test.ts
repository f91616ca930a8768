import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BinaryHeap } from './binary-heap.js';

function drain<T>(h: BinaryHeap<T>): T[] {
  const out: T[] = [];
  for (let x = h.pop(); x !== undefined; x = h.pop()) out.push(x);
  return out;
}

describe('BinaryHeap', () => {
  const cases: Array<{ name: string; input: number[] }> = [
    { name: 'empty', input: [] },
    { name: 'one', input: [4] },
    { name: 'sorted', input: [1, 2, 3, 4, 5] },
    { name: 'reversed', input: [5, 4, 3, 2, 1] },
    { name: 'duplicates', input: [2, 1, 2, 1, 3, 3] },
  ];
  for (const c of cases) {
    it(`pops in order: ${c.name}`, () => {
      const h = new BinaryHeap<number>((a, b) => a < b);
      for (const x of c.input) h.push(x);
      assert.equal(h.size, c.input.length);
      assert.equal(h.peek(), c.input.length ? Math.min(...c.input) : undefined);
      assert.deepEqual(drain(h), [...c.input].sort((a, b) => a - b));
    });
  }

  it('updateTop re-sorts after the top item changed in place', () => {
    const items = [{ k: 1 }, { k: 5 }, { k: 3 }];
    const h = new BinaryHeap<{ k: number }>((a, b) => a.k < b.k);
    for (const x of items) h.push(x);
    h.peek()!.k = 4;
    h.updateTop();
    assert.deepEqual(drain(h).map((x) => x.k), [3, 4, 5]);
  });

  it('replaceTop gives what push then pop give', () => {
    let seed = 9;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const a = new BinaryHeap<number>((x, y) => x < y);
    const b = new BinaryHeap<number>((x, y) => x < y);
    assert.equal(a.replaceTop(7), undefined, 'an empty heap just takes it');
    b.push(7);
    for (let i = 0; i < 300; i++) {
      const x = Math.floor(rnd() * 100);
      if (rnd() < 0.5) {
        a.push(x);
        b.push(x);
      } else if (x >= (a.peek() ?? Infinity)) {
        b.push(x);
        assert.equal(a.replaceTop(x), b.pop());
      }
    }
    assert.deepEqual(drain(a), drain(b));
  });

  it('matches a sort on random pushes and pops', () => {
    let seed = 3;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const h = new BinaryHeap<number>((a, b) => a < b);
    const shadow: number[] = [];
    for (let i = 0; i < 2000; i++) {
      if (rnd() < 0.6 || shadow.length === 0) {
        const x = Math.floor(rnd() * 100);
        h.push(x);
        shadow.push(x);
      } else {
        shadow.sort((a, b) => a - b);
        assert.equal(h.pop(), shadow.shift());
      }
    }
  });
});
