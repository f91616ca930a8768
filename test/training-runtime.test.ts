/**
 * The training runtime (controller + local executor) against a real in-memory store, with the
 * scheduler's writes played by the test: admit → run → checkpoint → preempt → resume → succeed;
 * a failing rank restarts the gang with backoff; a platform restart reattaches to live workers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ApiObject } from '@qm/api';
import type { Recorder } from '@qm/core';
import { startTrainingRuntime, type TrainingRuntime } from '@qm/executor-local';
import { MemoryStore } from '@qm/store';
import { REPO_ROOT } from './support/platform.js';

const WORKER = join(REPO_ROOT, 'examples', 'training', 'contract-worker.mjs');
const clock = { now: () => Date.now() };
const dirs: string[] = [];
const runtimes: TrainingRuntime[] = [];
after(async () => {
  for (const r of runtimes) {
    for (const a of r.executor.list()) for (const w of a.workers) if (w.pid) try { process.kill(-w.pid, 'SIGKILL'); } catch { /* gone */ }
    await r.stop();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Recorded { reason: string; message: string; name: string }
function recorder(events: Recorded[]): Recorder {
  return { record: (ref, _type, reason, message) => { events.push({ reason, message, name: ref.name }); } };
}

async function setup() {
  const dataDir = mkdtempSync(join(tmpdir(), 'qm-training-rt-'));
  dirs.push(dataDir);
  const store = new MemoryStore(clock);
  const events: Recorded[] = [];
  const start = async () => {
    const rt = await startTrainingRuntime({
      store, recorder: recorder(events), clock, dataDir, resyncIntervalMs: 200, pollIntervalMs: 50,
      config: { backoffBaseMs: 200 },
    });
    runtimes.push(rt);
    return rt;
  };
  return { dataDir, store, events, runtime: await start(), start };
}

function job(name: string, args: string[], spec: Record<string, unknown> = {}): ApiObject {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
    metadata: { name, namespace: 'default' },
    spec: { workers: 2, gpusPerWorker: 1, command: [process.execPath, WORKER], args, checkpointInterval: 0.01, terminationGracePeriodSeconds: 5, ...spec },
  };
}

/** What the scheduler writes on admission. */
async function admit(store: MemoryStore, name: string, gpus: number[][]): Promise<void> {
  const current = (await store.get('TrainingJob', 'default', name))!;
  await store.update({
    ...current,
    status: {
      ...current.status, phase: 'Admitted', admittedAt: new Date().toISOString(),
      workers: gpus.map((g, rank) => ({ rank, node: 'host', gpus: g, phase: 'Pending' })),
    },
  }, { subresource: 'status' });
}

/** What the scheduler writes when it preempts. */
async function preempt(store: MemoryStore, name: string): Promise<void> {
  const current = (await store.get('TrainingJob', 'default', name))!;
  await store.update({
    ...current,
    status: {
      ...current.status, phase: 'Pending', workers: [], preemptions: (current.status?.preemptions ?? 0) + 1,
      conditions: [...(current.status?.conditions ?? []).filter((c: any) => c.type !== 'Preempted'),
        { type: 'Preempted', status: 'True', reason: 'Preempted', message: 'preempted by default/urgent (rule withinQueue)', lastTransitionTime: new Date().toISOString() }],
    },
  }, { subresource: 'status' });
}

async function waitFor(store: MemoryStore, name: string, what: string, predicate: (j: ApiObject) => boolean, timeoutMs = 20_000): Promise<ApiObject> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const j = await store.get('TrainingJob', 'default', name);
    if (j && predicate(j)) return j;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; status: ${JSON.stringify(j?.status)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('admit → checkpoints → preempted → resumes from its last committed step → succeeds', async () => {
  const { store, events } = await setup();
  await store.create(job('resnet', ['--steps', '60', '--step-ms', '20']));
  await admit(store, 'resnet', [[0], [1]]);
  const running = await waitFor(store, 'resnet', 'a checkpoint', (j) => j.status?.phase === 'Running' && (j.status?.lastCheckpoint?.step ?? 0) > 0);
  assert.deepEqual(running.status.workers.map((w: any) => w.gpus), [[0], [1]]);

  await preempt(store, 'resnet');
  const requeued = await waitFor(store, 'resnet', 'the preempted attempt recorded', (j) => j.status?.attempts?.[0]?.class === 'Preempted');
  assert.equal(requeued.status.phase, 'Pending');
  assert.equal(requeued.status.restarts, undefined, 'a preemption never counts as a restart');
  const savedStep = requeued.status.lastCheckpoint.step;

  await admit(store, 'resnet', [[2], [3]]);
  const done = await waitFor(store, 'resnet', 'success', (j) => j.status?.phase === 'Succeeded');
  assert.equal(done.status.attempts.length, 2);
  assert.equal(done.status.attempts[1].restoredFromStep, savedStep);
  assert.equal(done.status.attempts[1].class, 'Succeeded');
  assert.equal(done.status.lastCheckpoint.step, 60);
  assert.deepEqual(done.status.progress, { step: 60, totalSteps: 60 });
  assert.ok(events.some((e) => e.reason === 'CheckpointCommitted'));
  assert.ok(events.some((e) => e.reason === 'Resumed' && e.message.includes(`step ${savedStep}`)));
});

test('a failing rank restarts the whole gang with backoff; maxRestarts exhausted fails the job', async () => {
  const { store, events } = await setup();
  await store.create(job('flaky', ['--steps', '1000', '--fail-at', '3', '--step-ms', '10'], { maxRestarts: 1, checkpointInterval: 10 }));
  await admit(store, 'flaky', [[0], [1]]);
  const first = await waitFor(store, 'flaky', 'the first failure', (j) => j.status?.restarts === 1);
  assert.equal(first.status.phase, 'Pending');
  assert.ok(first.status.retryAfter, 'retryAfter is set');
  assert.equal(first.status.attempts[0].class, 'UserError');
  assert.ok(first.status.attempts[0].exitCodes.includes(3));
  await admit(store, 'flaky', [[0], [1]]);
  const failed = await waitFor(store, 'flaky', 'the job to fail', (j) => j.status?.phase === 'Failed');
  assert.match(failed.status.message, /maxRestarts is 1/);
  assert.ok(events.some((e) => e.reason === 'Restarting'));
});

test('a platform restart finds the running workers again instead of starting a second copy', async () => {
  const { store, runtime, start } = await setup();
  await store.create(job('long', ['--steps', '40', '--step-ms', '25']));
  await admit(store, 'long', [[0], [1]]);
  const before = await waitFor(store, 'long', 'running workers', (j) => j.status?.workers?.every((w: any) => w.phase === 'Running'));
  const pids = before.status.workers.map((w: any) => w.pid);
  await runtime.stop();
  const again = await start();
  assert.deepEqual(again.executor.list()[0].workers.map((w) => w.pid), pids);
  const done = await waitFor(store, 'long', 'success after the restart', (j) => j.status?.phase === 'Succeeded');
  assert.equal(done.status.attempts.length, 1, 'still the first attempt: nothing was restarted');
});
