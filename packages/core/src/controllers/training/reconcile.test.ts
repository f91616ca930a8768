import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiObject } from '@qm/api';
import type { ObservedAttempt, ObservedWorker } from '../../ports/executor.js';
import { reconcileTrainingJob } from './reconcile.js';
import type { TrainingDecision, TrainingReconcileInput } from './types.js';

const T0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const KEY = { namespace: 'team-a', name: 'bert', uid: 'uid-1' };
const PLACEMENT = [{ rank: 0, node: 'gpu-1', gpus: [0, 1] }, { rank: 1, node: 'gpu-1', gpus: [2, 3] }];

function job(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): ApiObject {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
    metadata: { name: 'bert', namespace: 'team-a', uid: 'uid-1', ...meta },
    spec: { workers: 2, gpusPerWorker: 2, command: ['python3', 'train.py'], ...spec },
    status,
  };
}

const admitted = (extra: Record<string, unknown> = {}) => ({
  phase: 'Admitted', admittedAt: iso(T0), workers: PLACEMENT.map((w) => ({ ...w, phase: 'Pending' })), ...extra,
});

/** Running attempt `index` started at T0 (status as the controller writes it). */
const running = (index = 0, extra: Record<string, unknown> = {}, previous: Record<string, unknown>[] = []) => ({
  phase: 'Running', startTime: iso(T0),
  workers: PLACEMENT.map((w) => ({ ...w, phase: 'Running' })),
  attempts: [...previous, { index, startTime: iso(T0), nodes: ['gpu-1'] }],
  ...extra,
});

function worker(rank: number, patch: Partial<ObservedWorker> = {}): ObservedWorker {
  return { ...PLACEMENT[rank], phase: 'Running', pid: 100 + rank, startedAtMs: T0, ...patch };
}

function observed(workers: ObservedWorker[], patch: Partial<ObservedAttempt> = {}): ObservedAttempt {
  return { job: KEY, attempt: 0, startedAtMs: T0, workers, ...patch };
}

const exited = (rank: number, exitCode: number | undefined, signal?: string) =>
  worker(rank, { phase: 'Exited', exitCode, exitedAtMs: T0 + 60_000, ...(signal ? { signal } : {}) });

function run(input: Partial<TrainingReconcileInput> & { job: ApiObject }): TrainingDecision {
  return reconcileTrainingJob({ nowMs: T0 + 60_000, ...input });
}

interface Case {
  name: string;
  input: Partial<TrainingReconcileInput> & { job: ApiObject };
  check(d: TrainingDecision): void;
}

const cases: Case[] = [
  {
    name: 'admitted job starts attempt 0 from scratch on the scheduler\'s placement',
    input: { job: job({}, admitted()) },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'start', attempt: 0, workers: PLACEMENT }]);
      assert.equal(d.status?.phase, 'Running');
      assert.equal(d.status?.startTime, iso(T0 + 60_000));
      assert.deepEqual(d.status?.workers.map((w: any) => w.phase), ['Starting', 'Starting']);
      assert.equal(d.status?.attempts[0].index, 0);
      assert.equal(d.events[0].reason, 'Started');
    },
  },
  {
    name: 'admitted job with a committed checkpoint resumes from it',
    input: {
      job: job({}, admitted({ attempts: [{ index: 0, class: 'Preempted', endTime: iso(T0) }] })),
      latestCheckpoint: { path: '/ck/step-40', step: 40, timeMs: T0 },
    },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'start', attempt: 1, workers: PLACEMENT, resumeFrom: { path: '/ck/step-40', step: 40 } }]);
      assert.equal(d.status?.attempts[1].restoredFromStep, 40);
      assert.equal(d.events[0].reason, 'Resumed');
    },
  },
  {
    name: 'admitted before retryAfter waits for the backoff to end',
    input: { job: job({}, admitted({ retryAfter: iso(T0 + 70_000) })) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.requeueAfterMs, 10_000);
    },
  },
  {
    name: 'admitted on a GPU another job still holds waits (no two workloads on one GPU)',
    input: { job: job({}, admitted()), busyGpus: new Map([['gpu-1', new Map([[2, 'team-b/old']])]]) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.match(d.status?.message, /GPU 2 on gpu-1 .* team-b\/old/);
      assert.ok(d.requeueAfterMs !== undefined && d.requeueAfterMs > 0);
    },
  },
  {
    name: 'an image without a command fails with a clear reason',
    input: { job: job({ command: undefined, image: 'pytorch:2' }, admitted()) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.status?.phase, 'Failed');
      assert.match(d.status?.message, /container runtime.*spec\.command/);
    },
  },
  {
    name: 'admitted with the wrong number of placements does not start',
    input: { job: job({ workers: 3 }, admitted()) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.events[0].reason, 'InvalidPlacement');
    },
  },
  {
    name: 'running workers are mirrored into status.workers',
    input: { job: job({}, running(0, { workers: PLACEMENT.map((w) => ({ ...w, phase: 'Starting' })) })), observed: observed([worker(0), worker(1)]) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.deepEqual(d.status?.workers.map((w: any) => [w.phase, w.pid]), [['Running', 100], ['Running', 101]]);
    },
  },
  {
    name: 'a rank exiting non-zero stops the whole gang as UserError',
    input: { job: job({ terminationGracePeriodSeconds: 5 }, running()), observed: observed([worker(0), exited(1, 3)]) },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'stop', request: { stopClass: 'UserError', gracePeriodMs: 5000, message: 'rank 1 exited with code 3' } }]);
      assert.deepEqual(d.status?.workers.map((w: any) => w.phase), ['Terminating', 'Failed']);
    },
  },
  {
    name: 'a rank killed by a signal nobody sent is an InfraFault',
    input: { job: job({}, running()), observed: observed([exited(0, undefined, 'SIGKILL'), worker(1)]) },
    check(d) {
      assert.equal(d.actions[0].type, 'stop');
      assert.equal((d.actions[0] as any).request.stopClass, 'InfraFault');
      assert.match((d.actions[0] as any).request.message, /rank 0 was killed by SIGKILL/);
    },
  },
  {
    name: 'a lost rank is an InfraFault',
    input: { job: job({}, running()), observed: observed([worker(0), worker(1, { phase: 'Lost', error: 'process vanished' })]) },
    check(d) {
      assert.equal((d.actions[0] as any).request.stopClass, 'InfraFault');
    },
  },
  {
    name: 'first failure: back to Pending with a 10 s backoff, restarts 1, attempt recorded',
    input: {
      job: job({}, running()),
      observed: observed([exited(0, 143), exited(1, 3)], { stop: { stopClass: 'UserError', gracePeriodMs: 30_000, message: 'rank 1 exited with code 3', requestedAtMs: T0 + 50_000 } }),
    },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'release', attempt: 0 }]);
      assert.equal(d.status?.phase, 'Pending');
      assert.equal(d.status?.restarts, 1);
      assert.equal(d.status?.retryAfter, iso(T0 + 70_000));
      assert.deepEqual(d.status?.workers, []);
      const a = d.status?.attempts[0];
      assert.equal(a.class, 'UserError');
      assert.equal(a.endReason, 'Failed');
      assert.deepEqual(a.exitCodes, [143, 3]);
      assert.equal(a.lostWorkSeconds, 60);
      assert.equal(d.events[0].reason, 'Restarting');
    },
  },
  {
    name: 'third failure backs off 40 s',
    input: {
      job: job({}, running(2, {}, [{ index: 0, class: 'UserError', endTime: iso(T0) }, { index: 1, class: 'InfraFault', endTime: iso(T0) }])),
      observed: observed([exited(0, 1), exited(1, 0)], { attempt: 2 }),
    },
    check(d) {
      assert.equal(d.status?.restarts, 3);
      assert.equal(d.status?.retryAfter, iso(T0 + 60_000 + 40_000));
    },
  },
  {
    name: 'more failures than maxRestarts fail the job',
    input: {
      job: job({ maxRestarts: 1 }, running(1, {}, [{ index: 0, class: 'UserError', endTime: iso(T0) }])),
      observed: observed([exited(0, 1), exited(1, 1)], { attempt: 1 }),
    },
    check(d) {
      assert.equal(d.status?.phase, 'Failed');
      assert.match(d.status?.message, /failed 2 time\(s\), maxRestarts is 1/);
      assert.equal(d.events[0].reason, 'Failed');
    },
  },
  {
    name: 'the scheduler preempting a running job stops it with the job\'s grace period',
    input: {
      job: job({ terminationGracePeriodSeconds: 7 }, {
        ...running(), phase: 'Pending', workers: [], preemptions: 1,
        conditions: [{ type: 'Preempted', status: 'True', reason: 'Preempted', message: 'preempted by team-b/llm (rule withinQueue)', lastTransitionTime: iso(T0 + 1) }],
      }),
      observed: observed([worker(0), worker(1)]),
    },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'stop', request: { stopClass: 'Preempted', gracePeriodMs: 7000, message: 'preempted by team-b/llm (rule withinQueue)' } }]);
      assert.equal(d.status, undefined);
    },
  },
  {
    name: 'an ended preempted attempt is recorded without using up a restart, with the work it lost',
    input: {
      job: job({ maxRestarts: 0 }, { ...running(), phase: 'Pending', workers: [], preemptions: 1 }),
      observed: observed([exited(0, 0), exited(1, 143)], { stop: { stopClass: 'Preempted', gracePeriodMs: 30_000, requestedAtMs: T0 + 55_000 } }),
      latestCheckpoint: { path: '/ck/step-9', step: 9, timeMs: T0 + 45_000 },
    },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'release', attempt: 0 }]);
      assert.equal(d.status?.phase, 'Pending');
      assert.equal(d.status?.restarts, undefined);
      assert.equal(d.status?.attempts[0].class, 'Preempted');
      assert.equal(d.status?.attempts[0].lostWorkSeconds, 15);
    },
  },
  {
    name: 'after preemptions a maxRestarts 0 job is admitted and starts again',
    input: { job: job({ maxRestarts: 0 }, admitted({ attempts: [{ index: 0, class: 'Preempted', endTime: iso(T0) }, { index: 1, class: 'Interrupted', endTime: iso(T0) }] })) },
    check(d) {
      assert.equal(d.actions[0].type, 'start');
      assert.equal((d.actions[0] as any).attempt, 2);
    },
  },
  {
    name: 're-admitted while the old attempt is still exiting: wait, do not start a second generation',
    input: {
      job: job({}, { ...admitted(), attempts: [{ index: 0, startTime: iso(T0) }] }),
      observed: observed([worker(0, { phase: 'Terminating' }), worker(1)], { stop: { stopClass: 'Preempted', gracePeriodMs: 30_000, requestedAtMs: T0 } }),
    },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.status, undefined);
    },
  },
  {
    name: 'crash loop: a second failure restoring the same step without progress stops early',
    input: {
      job: job({ maxRestarts: 10 }, running(1, {}, [{ index: 0, class: 'UserError', restoredFromStep: 30, endTime: iso(T0) }])),
      observed: observed([exited(0, 1), exited(1, 1)], { attempt: 1, resumeFrom: { path: '/ck/step-30', step: 30 } }),
      latestCheckpoint: { path: '/ck/step-30', step: 30, timeMs: T0 - 1000 },
    },
    check(d) {
      assert.equal(d.status?.phase, 'Failed');
      assert.match(d.status?.message, /crash loop: .*step 30/);
    },
  },
  {
    name: 'no crash loop when the failing attempt committed a newer checkpoint',
    input: {
      job: job({ maxRestarts: 10 }, running(1, {}, [{ index: 0, class: 'UserError', restoredFromStep: 30, endTime: iso(T0) }])),
      observed: observed([exited(0, 1), exited(1, 1)], { attempt: 1, resumeFrom: { path: '/ck/step-30', step: 30 } }),
      latestCheckpoint: { path: '/ck/step-35', step: 35, timeMs: T0 + 1000 },
    },
    check(d) {
      assert.equal(d.status?.phase, 'Pending');
      assert.equal(d.status?.restarts, 2);
    },
  },
  {
    name: 'every rank exiting 0 succeeds the job',
    input: { job: job({}, running()), observed: observed([exited(0, 0), exited(1, 0)]) },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'release', attempt: 0 }]);
      assert.equal(d.status?.phase, 'Succeeded');
      assert.equal(d.status?.completionTime, iso(T0 + 60_000));
      assert.equal(d.status?.attempts[0].class, 'Succeeded');
      assert.equal(d.events[0].reason, 'Succeeded');
    },
  },
  {
    name: 'activeDeadlineSeconds passed while running: stop as DeadlineExceeded',
    input: { job: job({ activeDeadlineSeconds: 30 }, running()), observed: observed([worker(0), worker(1)]) },
    check(d) {
      assert.equal((d.actions[0] as any).request.stopClass, 'DeadlineExceeded');
    },
  },
  {
    name: 'deadline not reached yet: requeue at the deadline',
    input: { job: job({ activeDeadlineSeconds: 90 }, running()), observed: observed([worker(0), worker(1)]) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.requeueAfterMs, 30_000);
    },
  },
  {
    name: 'deadline-stopped attempt ended: the job fails',
    input: {
      job: job({ activeDeadlineSeconds: 30 }, running()),
      observed: observed([exited(0, 143), exited(1, 143)], { stop: { stopClass: 'DeadlineExceeded', gracePeriodMs: 0, requestedAtMs: T0 } }),
    },
    check(d) {
      assert.equal(d.status?.phase, 'Failed');
      assert.equal(d.status?.conditions.find((c: any) => c.type === 'Failed').reason, 'DeadlineExceeded');
    },
  },
  {
    name: 'deadline passes while requeued after a preemption: fail without starting',
    input: { job: job({ activeDeadlineSeconds: 30 }, admitted({ attempts: [{ index: 0, startTime: iso(T0), endTime: iso(T0 + 1), class: 'Preempted' }] })) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.status?.phase, 'Failed');
    },
  },
  {
    name: 'ttlSecondsAfterFinished passed: delete',
    input: { job: job({ ttlSecondsAfterFinished: 30 }, { phase: 'Succeeded', completionTime: iso(T0) }) },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'delete' }]);
    },
  },
  {
    name: 'ttlSecondsAfterFinished not yet: requeue at expiry',
    input: { job: job({ ttlSecondsAfterFinished: 90 }, { phase: 'Failed', completionTime: iso(T0) }) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.requeueAfterMs, 30_000);
    },
  },
  {
    name: 'spot notice on a worker\'s node: requeue as Interrupted, grace = notice minus margin',
    input: {
      job: job({}, running()), observed: observed([worker(0), worker(1)]),
      interruptedNodes: new Map([['gpu-1', T0 + 60_000 + 25_000]]),
    },
    check(d) {
      assert.equal(d.actions[0].type, 'stop');
      assert.equal((d.actions[0] as any).request.stopClass, 'Interrupted');
      assert.equal((d.actions[0] as any).request.gracePeriodMs, 15_000);
      assert.equal(d.status?.phase, 'Pending');
      assert.equal(d.status?.interruptions, 1);
      assert.equal(d.status?.conditions.find((c: any) => c.type === 'Interrupted').status, 'True');
      assert.equal(d.events[0].reason, 'Interrupted');
    },
  },
  {
    name: 'a job being deleted is stopped as Cancelled',
    input: { job: job({}, running(), { deletionTimestamp: iso(T0) }), observed: observed([worker(0), worker(1)]) },
    check(d) {
      assert.equal((d.actions[0] as any).request.stopClass, 'Cancelled');
    },
  },
  {
    name: 'Running with no workers on the executor (state lost) restarts as an InfraFault',
    input: { job: job({}, running()) },
    check(d) {
      assert.equal(d.status?.phase, 'Pending');
      assert.equal(d.status?.attempts[0].class, 'InfraFault');
      assert.equal(d.status?.restarts, 1);
    },
  },
  {
    name: 'started but Running never written (crash): adopt the live attempt',
    input: { job: job({}, admitted()), observed: observed([worker(0), worker(1)]) },
    check(d) {
      assert.deepEqual(d.actions, []);
      assert.equal(d.status?.phase, 'Running');
      assert.equal(d.status?.attempts[0].index, 0);
      assert.deepEqual(d.events.map((e) => e.reason), ['Started'], 'the start event lost with the failed write is said once, now');
    },
  },
  {
    name: 'an attempt already recorded is only released (crash between status write and release)',
    input: {
      job: job({}, { phase: 'Pending', attempts: [{ index: 0, startTime: iso(T0), endTime: iso(T0 + 1), class: 'Preempted' }] }),
      observed: observed([exited(0, 0), exited(1, 0)], { stop: { stopClass: 'Preempted', gracePeriodMs: 0, requestedAtMs: T0 } }),
    },
    check(d) {
      assert.deepEqual(d.actions, [{ type: 'release', attempt: 0 }]);
      assert.equal(d.status, undefined);
    },
  },
  {
    name: 'a pending job with nothing running is left to the scheduler',
    input: { job: job({}, { phase: 'Pending' }) },
    check(d) {
      assert.deepEqual(d, { actions: [], events: [] });
    },
  },
];

for (const c of cases) {
  test(`reconcileTrainingJob: ${c.name}`, () => c.check(run(c.input)));
}

test('reconcileTrainingJob is idempotent: applying its status and reconciling again changes nothing', () => {
  const first = run({ job: job({}, admitted()) });
  const second = run({ job: job({}, first.status!), observed: observed([worker(0, { phase: 'Starting' }), worker(1, { phase: 'Starting' })]) });
  assert.deepEqual(second.actions, []);
  const third = run({ job: job({}, second.status ?? first.status!), observed: observed([worker(0, { phase: 'Starting' }), worker(1, { phase: 'Starting' })]) });
  assert.equal(third.status, undefined);
});
