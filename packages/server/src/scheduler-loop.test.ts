import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import type { Scheduler, SchedulingPassResult } from '@qm/core';
import { MemoryStore } from '@qm/store';
import { startSchedulerLoop } from './scheduler-loop.js';

const clock = { now: () => 1_800_000_000_000 };
const recorder = { record: () => undefined };

/** A scheduler that counts passes and can be made to throw or to stall. */
function fakeScheduler() {
  const state = { passes: 0, closed: false, failNext: false, gate: undefined as Promise<void> | undefined };
  const scheduler: Scheduler = {
    async runPass(): Promise<SchedulingPassResult> {
      state.passes += 1;
      if (state.gate) await state.gate;
      if (state.failNext) {
        state.failNext = false;
        throw new Error('store went away');
      }
      return { admitted: [], preempted: [], pending: 0, writes: 0 };
    },
    close() { state.closed = true; },
  };
  return { scheduler, state };
}

/** Polls until `cond` holds (the loop runs on timers; no fixed sleep is long enough on a loaded machine). */
async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  for (let waitedMs = 0; !cond(); waitedMs += 5) {
    if (waitedMs > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ns = (name: string): ApiObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
const event = (name: string): ApiObject => ({
  apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Namespace', name: 'x' }, reason: 'Test', message: 'm', type: 'Normal',
} as ApiObject);

describe('scheduler loop', () => {
  it('runs a pass at start and after a change to a kind that matters', async () => {
    const store = new MemoryStore(clock);
    const { scheduler, state } = fakeScheduler();
    const loop = await startSchedulerLoop({ store, clock, recorder, scheduler, resyncIntervalMs: 60_000 });
    await loop.settled();
    const before = state.passes;
    await store.create(ns('team-a'));
    await waitFor(() => state.passes > before, 'a pass after a Namespace write');
    await loop.stop();
    assert.equal(state.closed, true);
  });

  it('ignores writes to kinds that cannot change a decision (Events)', async () => {
    const store = new MemoryStore(clock);
    const { scheduler, state } = fakeScheduler();
    const loop = await startSchedulerLoop({ store, clock, recorder, scheduler, resyncIntervalMs: 60_000 });
    await loop.settled();
    await new Promise((r) => setTimeout(r, 10));
    const before = state.passes;
    for (let i = 0; i < 5; i++) await store.create(event(`e${i}`));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(state.passes, before);
    await loop.stop();
  });

  it('coalesces a burst of changes seen during a pass into one more pass', async () => {
    const store = new MemoryStore(clock);
    const { scheduler, state } = fakeScheduler();
    const loop = await startSchedulerLoop({ store, clock, recorder, scheduler, resyncIntervalMs: 60_000 });
    await loop.settled();
    await new Promise((r) => setTimeout(r, 10));
    let open!: () => void;
    state.gate = new Promise<void>((r) => { open = r; });
    const before = state.passes;
    await store.create(ns('first'));             // starts a pass that stalls on the gate
    await new Promise((r) => setTimeout(r, 10));
    for (let i = 0; i < 20; i++) await store.create(ns(`burst-${i}`));
    state.gate = undefined;
    open();
    await waitFor(() => state.passes - before >= 2, 'the pass after the burst');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(state.passes - before, 2, 'the stalled pass, then exactly one for the whole burst');
    await loop.stop();
  });

  it('keeps going after a pass throws, and resyncs on its own', async () => {
    const store = new MemoryStore(clock);
    const { scheduler, state } = fakeScheduler();
    state.failNext = true;
    const loop = await startSchedulerLoop({ store, clock, recorder, scheduler, resyncIntervalMs: 5, errorBackoffMs: 5 });
    await waitFor(() => state.passes >= 3, 'passes after a failure');
    await loop.stop();
    const after = state.passes;
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(state.passes, after, 'no pass after stop');
  });
});
