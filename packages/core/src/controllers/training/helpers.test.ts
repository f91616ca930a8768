import assert from 'node:assert/strict';
import { test } from 'node:test';
import { restartBackoffMs } from './backoff.js';
import { checkpointsToDelete, newestCheckpoint } from './checkpoint-retention.js';
import { crashLoopStep, lostWorkSeconds } from './attempt-records.js';
import { classifyEndedAttempt } from './attempt-class.js';
import type { ObservedWorker } from '../../ports/executor.js';

test('restartBackoffMs: 10 s doubling, capped at 5 min', () => {
  const cases: Array<[string, number, number]> = [
    ['no failure yet', 0, 0], ['first', 1, 10_000], ['second', 2, 20_000], ['fifth', 5, 160_000],
    ['sixth hits the cap', 6, 300_000], ['huge stays capped', 500, 300_000],
  ];
  for (const [name, n, want] of cases) assert.equal(restartBackoffMs(n), want, name);
});

test('checkpointsToDelete keeps the newest N and never the one being resumed from', () => {
  const cps = [10, 20, 30, 40].map((step) => ({ step }));
  const cases: Array<[string, number, number | undefined, number[]]> = [
    ['keep 2', 2, undefined, [20, 10]],
    ['keep 2, resuming from 10', 2, 10, [20]],
    ['keep 3, resuming from 40', 3, 40, [10]],
    ['keep more than exist', 9, undefined, []],
    ['keep 0 is treated as 1', 0, undefined, [30, 20, 10]],
  ];
  for (const [name, keep, protectedStep, want] of cases) {
    assert.deepEqual(checkpointsToDelete(cps, keep, protectedStep).map((c) => c.step), want, name);
  }
  assert.equal(newestCheckpoint(cps)?.step, 40);
  assert.equal(newestCheckpoint([]), undefined);
});

test('lostWorkSeconds counts from the later of attempt start and checkpoint', () => {
  assert.equal(lostWorkSeconds(1000, 61_000), 60, 'no checkpoint');
  assert.equal(lostWorkSeconds(1000, 61_000, { path: 'p', step: 1, timeMs: 51_000 }), 10, 'checkpoint during the attempt');
  assert.equal(lostWorkSeconds(1000, 61_000, { path: 'p', step: 1, timeMs: 500 }), 60, 'checkpoint from an earlier attempt');
  assert.equal(lostWorkSeconds(1000, 61_000, { path: 'p', step: 1, timeMs: 70_000 }), 0, 'checkpoint saved on notice');
});

test('crashLoopStep needs two consecutive failures restoring the same step without progress', () => {
  const fail = (restoredFromStep?: number) => ({ index: 0, class: 'UserError' as const, ...(restoredFromStep !== undefined ? { restoredFromStep } : {}) });
  assert.equal(crashLoopStep([fail(5), fail(5)], 5), 5);
  assert.equal(crashLoopStep([fail(5), fail(5)], 6), undefined, 'progress since');
  assert.equal(crashLoopStep([fail(4), fail(5)], 5), undefined, 'different steps');
  assert.equal(crashLoopStep([fail(), fail()], undefined), undefined, 'no checkpoint at all: maxRestarts decides');
  assert.equal(crashLoopStep([fail(5), { index: 1, class: 'Preempted', restoredFromStep: 5 }], 5), undefined, 'a preemption is not a crash');
});

test('classifyEndedAttempt: a requested stop decides the class, else the first failing rank', () => {
  const w = (rank: number, p: Partial<ObservedWorker>): ObservedWorker => ({ rank, node: 'n', gpus: [], phase: 'Exited', ...p });
  const base = { job: { namespace: 'a', name: 'b', uid: 'u' }, attempt: 0, startedAtMs: 0 };
  assert.equal(classifyEndedAttempt({ ...base, workers: [w(0, { exitCode: 0 }), w(1, { exitCode: 0 })] }).attemptClass, 'Succeeded');
  assert.equal(classifyEndedAttempt({ ...base, workers: [w(0, { exitCode: 0 }), w(1, { exitCode: 2 })] }).attemptClass, 'UserError');
  assert.equal(classifyEndedAttempt({ ...base, workers: [w(0, { signal: 'SIGSEGV' })] }).attemptClass, 'InfraFault');
  assert.equal(classifyEndedAttempt({ ...base, workers: [w(0, { phase: 'Lost' })] }).attemptClass, 'InfraFault');
  assert.equal(classifyEndedAttempt({
    ...base, workers: [w(0, { signal: 'SIGKILL' })], stop: { stopClass: 'Preempted', gracePeriodMs: 0, requestedAtMs: 0 },
  }).attemptClass, 'Preempted');
});
