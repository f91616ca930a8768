import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareWithinQueue } from './ordering.js';
import { PendingOrders } from './pending-orders.js';
import type { WorkloadInput } from './types.js';

/** Deterministic numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

let next = 0;
function workload(rnd: () => number): WorkloadInput {
  const n = next++;
  return { id: `TrainingJob/ns/w-${n}`, priority: Math.floor(rnd() * 3) * 100, createdMs: Math.floor(rnd() * 20) } as WorkloadInput;
}

describe('PendingOrders', () => {
  it('gives what a full sort gives, cycle after cycle, as workloads come and go', () => {
    const rnd = lcg(11);
    const orders = new PendingOrders();
    let pending = Array.from({ length: 200 }, () => workload(rnd));
    for (let cycle = 0; cycle < 40; cycle++) {
      const got = orders.sorted('q', pending);
      assert.deepEqual(got.map((w) => w.id), [...pending].sort(compareWithinQueue).map((w) => w.id), `cycle ${cycle}`);
      orders.endCycle();
      // Some leave (admitted), some arrive, some come back as new objects (a preempted job's new status).
      pending = pending.filter(() => rnd() > 0.05);
      for (let k = Math.floor(rnd() * 6); k > 0; k--) pending.push(workload(rnd));
      if (cycle % 3 === 0 && pending.length > 0) pending[0] = { ...pending[0] };
      pending.reverse();
    }
  });

  it('an unchanged queue gets the same list back without sorting again', () => {
    const rnd = lcg(3);
    const orders = new PendingOrders();
    const pending = Array.from({ length: 20 }, () => workload(rnd));
    const first = orders.sorted('q', pending);
    orders.endCycle();
    assert.equal(orders.sorted('q', [...pending].reverse()), first);
  });

  it('a queue with nothing pending in a cycle is forgotten', () => {
    const rnd = lcg(4);
    const orders = new PendingOrders();
    const pending = [workload(rnd), workload(rnd)];
    const first = orders.sorted('q', pending);
    orders.endCycle();
    orders.endCycle();
    const again = orders.sorted('q', pending);
    assert.notEqual(again, first);
    assert.deepEqual(again, first);
  });
});
