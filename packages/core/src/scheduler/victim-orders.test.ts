import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compareVictims, compareVictimsTimeless } from './preemption.js';
import type { AdmittedEntry } from './snapshot.js';
import type { WorkloadInput } from './types.js';
import { VictimOrders, workSinceMs } from './victim-orders.js';

const NOW = 1_000_000_000;

/** Deterministic numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function entry(id: string, o: { priority?: number; gpus?: number; startedMs?: number; checkpointMs?: number; queue?: string } = {}): AdmittedEntry {
  const gpus = o.gpus ?? 1;
  const w = { id, priority: o.priority ?? 0, createdMs: 0, podRequest: { 'nvidia.com/gpu': gpus }, pods: 1, totalRequest: { 'nvidia.com/gpu': gpus }, totalKey: `gpu=${gpus}` } as unknown as WorkloadInput;
  const state = { pods: [], queue: o.queue ?? 'q', flavor: '', admittedMs: o.startedMs ?? 0, startedMs: o.startedMs, lastCheckpointMs: o.checkpointMs };
  return { w, state, taken: [], nodes: [], sinceMs: workSinceMs(state), alive: true };
}

/** Every entry of the runs, alive ones only, run by run. */
function listed(runs: ReturnType<VictimOrders['runs']>): string[][] {
  return runs.map((r) => r.entries.filter((e) => e.alive).map((e) => e.w.id));
}

const byId = (a: AdmittedEntry, b: AdmittedEntry) => (a.w.id < b.w.id ? -1 : a.w.id > b.w.id ? 1 : 0);

describe('VictimOrders', () => {
  it('splits a queue into runs of equal total request, each in order', () => {
    const entries = [entry('d', { gpus: 2 }), entry('a'), entry('c', { gpus: 2 }), entry('b')];
    const orders = new VictimOrders();
    assert.deepEqual(listed(orders.runs('q', byId, () => entries)), [['a', 'b'], ['c', 'd']]);
  });

  it('keeps an order under the same comparator: admissions are inserted, a reinstated entry keeps its place', () => {
    const entries = [entry('b'), entry('d'), entry('f')];
    const orders = new VictimOrders();
    orders.runs('q', byId, () => entries);
    const e = entry('e');
    orders.added(e);
    orders.added(entry('a', { gpus: 8 }));
    entries[1].alive = false;
    orders.removed(entries[1]);
    assert.deepEqual(listed(orders.runs('q', byId, () => { throw new Error('must not rebuild'); })), [['b', 'e', 'f'], ['a']]);
    entries[1].alive = true;
    orders.added(entries[1]);
    assert.deepEqual(listed(orders.runs('q', byId, () => [])), [['b', 'd', 'e', 'f'], ['a']]);
  });

  it('another comparator sorts again from the entries', () => {
    const entries = [entry('a'), entry('b')];
    const orders = new VictimOrders();
    orders.runs('q', byId, () => entries);
    const reverse = (x: AdmittedEntry, y: AdmittedEntry) => byId(y, x);
    assert.deepEqual(listed(orders.runs('q', reverse, () => entries)), [['b', 'a']]);
  });

  it('compacts an order once most of it is dead, keeping the living in order', () => {
    const entries = Array.from({ length: 200 }, (_, i) => entry(`w-${String(i).padStart(3, '0')}`));
    const orders = new VictimOrders();
    orders.runs('q', byId, () => entries);
    for (const e of entries.slice(0, 150)) {
      e.alive = false;
      orders.removed(e);
    }
    const runs = orders.runs('q', byId, () => []);
    assert.equal(runs[0].entries.length, 50, 'dead entries dropped');
    assert.deepEqual(runs[0].entries.map((e) => e.w.id), entries.slice(150).map((e) => e.w.id));
  });
});

describe('compareVictimsTimeless', () => {
  it('orders as compareVictims does at any time after every start and checkpoint', () => {
    const rnd = lcg(5);
    for (let round = 0; round < 50; round++) {
      const entries = Array.from({ length: 40 }, (_, i) => entry(`e-${i}`, {
        priority: Math.floor(rnd() * 3) * 100,
        // Few distinct times, so ties are common and the later keys decide.
        startedMs: NOW - Math.floor(rnd() * 4) * 60_000,
        checkpointMs: rnd() < 0.5 ? NOW - Math.floor(rnd() * 4) * 30_000 : undefined,
      }));
      for (const nowMs of [NOW, NOW + 1, NOW + 86_400_000]) {
        const expected = [...entries].sort((a, b) => compareVictims(a, b, nowMs)).map((e) => e.w.id);
        assert.deepEqual([...entries].sort(compareVictimsTimeless).map((e) => e.w.id), expected, `round ${round} at +${nowMs - NOW} ms`);
      }
    }
  });

  it('differs once a start lies in the future (the snapshot then uses the per-time comparator)', () => {
    // Both lose no work yet, so compareVictims falls through to "newest first"; a since-ordered comparator would not.
    const a = entry('a', { startedMs: NOW + 60_000, checkpointMs: NOW + 120_000 });
    const b = entry('b', { startedMs: NOW + 90_000 });
    assert.ok(compareVictims(a, b, NOW) > 0, 'b started later: newest first');
    assert.ok(compareVictimsTimeless(a, b) < 0, 'a checkpointed later');
  });
});
