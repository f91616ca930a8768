import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPeriodicLoop } from './periodic-loop.js';

/** A pass the test finishes by hand. */
function manualPass() {
  const calls: Array<() => void> = [];
  let stoppingSeen: (() => boolean) | undefined;
  const pass = (stopping: () => boolean) => new Promise<void>((resolve) => { stoppingSeen = stopping; calls.push(resolve); });
  return { pass, calls, stopping: () => stoppingSeen?.() };
}

test('a tick while a pass runs joins it; the next tick starts a new pass', async () => {
  const m = manualPass();
  const loop = startPeriodicLoop({ name: 't', intervalMs: 0, runAtStart: true, pass: m.pass, onError: () => {} });
  assert.equal(m.calls.length, 0, 'no timer and no pass at start when intervalMs is 0');
  const a = loop.tick();
  const b = loop.tick();
  assert.equal(m.calls.length, 1);
  m.calls[0]();
  await Promise.all([a, b]);
  const c = loop.tick();
  assert.equal(m.calls.length, 2);
  m.calls[1]();
  await c;
  await loop.stop();
});

test('stop waits for the pass in flight, tells it to stop, and later ticks do nothing', async () => {
  const m = manualPass();
  const loop = startPeriodicLoop({ name: 't', intervalMs: 60_000, runAtStart: true, pass: m.pass, onError: () => {} });
  assert.equal(m.calls.length, 1, 'runAtStart runs a pass at once');
  let stopped = false;
  const stopping = loop.stop().then(() => { stopped = true; });
  await Promise.resolve();
  assert.equal(stopped, false, 'stop waits for the running pass');
  assert.equal(m.stopping(), true, 'the pass can see that the loop is stopping');
  m.calls[0]();
  await stopping;
  await loop.tick();
  assert.equal(m.calls.length, 1, 'no pass after stop');
});

test('a failing pass is reported and does not stop the loop', async () => {
  const errors: unknown[] = [];
  let n = 0;
  const loop = startPeriodicLoop({
    name: 't', intervalMs: 0, runAtStart: false, onError: (err) => errors.push(err),
    pass: async () => { n++; if (n === 1) throw new Error('boom'); },
  });
  await loop.tick();
  await loop.tick();
  assert.equal(n, 2);
  assert.deepEqual(errors.map((e) => (e as Error).message), ['boom']);
  await loop.stop();
});
