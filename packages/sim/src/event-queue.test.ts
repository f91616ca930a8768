import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from './event-queue.js';
import { seededRng } from '@qm/core';

test('pops by time, then rank, then insertion order', () => {
  const q = new EventQueue<string>();
  q.push(2000, 0, 'late');
  q.push(1000, 3, 'submission');
  q.push(1000, 0, 'finish');
  q.push(1000, 3, 'submission-2');
  q.push(1000, 2, 'event');
  assert.equal(q.peekTime(), 1000);
  assert.deepEqual(q.popDue(1000), ['finish', 'event', 'submission', 'submission-2']);
  assert.equal(q.size, 1);
  assert.deepEqual(q.popDue(5000), ['late']);
  assert.equal(q.pop(), undefined);
  assert.equal(q.peekTime(), undefined);
});

test('stays ordered over many random pushes and pops', () => {
  const rng = seededRng(7);
  const q = new EventQueue<number>();
  const popped: number[] = [];
  for (let i = 0; i < 5000; i++) {
    q.push(rng.int(1000), 0, i);
    if (i % 3 === 0) popped.push(q.pop()!.timeMs);
  }
  let last = -1;
  const rest: number[] = [];
  while (q.size > 0) rest.push(q.pop()!.timeMs);
  for (const t of rest) {
    assert.ok(t >= last);
    last = t;
  }
  assert.equal(popped.length + rest.length, 5000);
});

test('refuses a non-finite time', () => {
  assert.throws(() => new EventQueue<number>().push(Number.NaN, 0, 1), /finite/);
});
