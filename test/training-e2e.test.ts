/**
 * End to end, torch-free: the real platform (scheduler + training runtime + local executor) with
 * virtual GPUs, a two-worker Node job that follows the worker contract
 * (examples/training/contract-worker.mjs), and the real `qm` CLI.
 *
 * 1. A low-priority 2-worker job runs and checkpoints; a high-priority job that needs its GPUs
 *    arrives → the first is preempted, requeued, resumes from its last committed step (not zero),
 *    loses at most one checkpoint interval of steps, and finishes.
 * 2. `qm node interrupt NODE --notice 120s` → the running job is Interrupted and requeued; the
 *    node takes no new work until `qm node restore NODE`, after which the job resumes and finishes.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, startTestPlatform, type TestPlatform } from './support/platform.js';
import { runQm } from './support/qm-cli.js';

const WORKER = join(REPO_ROOT, 'examples', 'training', 'contract-worker.mjs');
const STEP_MS = 40;
const INTERVAL_MINUTES = 0.02; // 1.2 s
const STEPS_PER_INTERVAL = Math.ceil((INTERVAL_MINUTES * 60_000) / STEP_MS);
const API = '/apis/ml.quartermaster.dev/v1alpha1';

let platform: TestPlatform;
let nodeName: string;

before(async () => {
  platform = await startTestPlatform({ virtualGpus: 2 });
  const nodes = await call('GET', `${API}/nodes`);
  nodeName = nodes.items[0].metadata.name;
  await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10 });
  await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
  await call('POST', `${API}/queues`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'default' },
    spec: { namespaces: ['default'], guaranteed: { 'nvidia.com/gpu': 2 } },
  });
});

// cleanup() also kills the workers, which outlive the server by design.
after(async () => { await platform?.cleanup(); });

const call = (method: string, path: string, body?: unknown): Promise<any> => platform.api(method, path, body);

function trainingJob(name: string, priorityClassName: string, args: string[]): unknown {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: 'default' },
    spec: {
      workers: 2, gpusPerWorker: 1, resources: { cpu: '100m', memory: '64Mi' },
      command: [process.execPath, WORKER], args: [...args, '--step-ms', String(STEP_MS)],
      checkpointInterval: INTERVAL_MINUTES, checkpointKeep: 2, terminationGracePeriodSeconds: 5, priorityClassName,
    },
  };
}

async function waitJob(name: string, what: string, predicate: (status: any) => boolean, timeoutMs = 60_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  for (;;) {
    last = await call('GET', `${API}/namespaces/default/trainingjobs/${name}`);
    if (predicate(last.status ?? {})) return last.status;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${name}: ${what}\nstatus: ${JSON.stringify(last.status, null, 1)}\n${platform.logs().slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The last step rank 0 printed in an attempt, read through `qm logs --attempt K`. */
async function lastLoggedStep(name: string, attempt: number): Promise<number> {
  const res = await runQm(platform, ['logs', name, '--attempt', String(attempt), '--rank', '0']);
  assert.equal(res.code, 0, res.stderr);
  const steps = [...res.stdout.matchAll(/rank 0: step (\d+)/g)].map((m) => Number(m[1]));
  assert.ok(steps.length > 0, `attempt ${attempt} logged no steps:\n${res.stdout}`);
  return Math.max(...steps);
}

test('preempted by a higher-priority job: requeued, resumes from its last committed step, finishes', async () => {
  await call('POST', `${API}/namespaces/default/trainingjobs`, trainingJob('low', 'low', ['--steps', '150']));
  const running = await waitJob('low', 'a committed checkpoint', (s) => s.phase === 'Running' && (s.lastCheckpoint?.step ?? 0) > 0);
  assert.equal(running.workers.length, 2);

  await call('POST', `${API}/namespaces/default/trainingjobs`, trainingJob('high', 'high', ['--steps', '20']));
  const preempted = await waitJob('low', 'the preempted attempt recorded', (s) => s.attempts?.[0]?.class === 'Preempted');
  assert.ok(preempted.conditions.some((c: any) => c.type === 'Preempted' && /default\/high/.test(c.message)), 'the Preempted condition names the preemptor');
  assert.equal(preempted.restarts ?? 0, 0);
  await waitJob('high', 'the preemptor to finish', (s) => s.phase === 'Succeeded');

  const done = await waitJob('low', 'the resumed job to finish', (s) => s.phase === 'Succeeded');
  const resumed = done.attempts.find((a: any) => a.index >= 1 && a.restoredFromStep !== undefined);
  assert.ok(resumed, `a later attempt restored a checkpoint: ${JSON.stringify(done.attempts)}`);
  assert.ok(resumed.restoredFromStep > 0, 'resumed from a committed step, not from zero');
  const reached = await lastLoggedStep('low', 0);
  assert.ok(reached - resumed.restoredFromStep <= STEPS_PER_INTERVAL + 1,
    `lost ${reached - resumed.restoredFromStep} steps (reached ${reached}, resumed at ${resumed.restoredFromStep}); one interval is ${STEPS_PER_INTERVAL}`);
  assert.ok(done.preemptions >= 1);

  const events = await call('GET', `/api/v1/namespaces/default/events`);
  const reasons = new Set(events.items.filter((e: any) => e.involvedObject?.name === 'low').map((e: any) => e.reason));
  for (const r of ['Started', 'CheckpointCommitted', 'Preempted', 'Resumed', 'Succeeded']) assert.ok(reasons.has(r), `event ${r} recorded (have ${[...reasons].join(', ')})`);
});

test('qm node interrupt: the job is interrupted and requeued; after qm node restore it resumes and finishes', async () => {
  await call('POST', `${API}/namespaces/default/trainingjobs`, trainingJob('spot', 'low', ['--steps', '100', '--save-on-notice']));
  await waitJob('spot', 'a committed checkpoint', (s) => s.phase === 'Running' && (s.lastCheckpoint?.step ?? 0) > 0);

  const interrupt = await runQm(platform, ['node', 'interrupt', nodeName, '--notice', '120s']);
  assert.equal(interrupt.code, 0, interrupt.stderr);
  const requeued = await waitJob('spot', 'the interrupted attempt recorded', (s) => s.attempts?.[0]?.class === 'Interrupted');
  assert.equal(requeued.phase, 'Pending');
  assert.ok(requeued.conditions.some((c: any) => c.type === 'Interrupted' && c.status === 'True'));
  const node = await call('GET', `${API}/nodes/${nodeName}`);
  assert.ok(node.status.conditions.some((c: any) => c.type === 'SpotInterruption' && c.status === 'True' && c.terminationTime));
  // Saved on notice: the resume point is exactly where it stopped.
  const saved = requeued.lastCheckpoint.step;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await waitJob('spot', 'still pending', () => true)).phase, 'Pending', 'an interrupted node takes no new work');

  const restore = await runQm(platform, ['node', 'restore', nodeName]);
  assert.equal(restore.code, 0, restore.stderr);
  const done = await waitJob('spot', 'the resumed job to finish', (s) => s.phase === 'Succeeded');
  assert.equal(done.attempts[1].restoredFromStep, saved);
  assert.ok(done.interruptions >= 1);
});
