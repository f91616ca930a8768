/**
 * End to end on the embedded platform with a fake `nvidia-smi` on PATH (two "A100"s, both 2-3 %
 * busy): in a namespace whose idle policy is a 2 s window with action Stop, a running job is
 * stopped checkpoint-first (SIGTERM → save → exit), stays Pending although its GPUs are free,
 * and after its owner removes `quartermaster.dev/stopped` it resumes from the saved step and
 * finishes.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, startTestPlatform, type TestPlatform } from './support/platform.js';

const WORKER = join(REPO_ROOT, 'examples', 'training', 'contract-worker.mjs');
const API = '/apis/ml.quartermaster.dev/v1alpha1';
let platform: TestPlatform;
let binDir: string;

before(async () => {
  binDir = mkdtempSync(join(tmpdir(), 'qm-fake-smi-'));
  const smi = join(binDir, 'nvidia-smi');
  writeFileSync(smi, [
    '#!/bin/sh',
    'case "$*" in',
    '  *memory.total*) echo "0, GPU-fake-0, NVIDIA A100-SXM4-80GB, 81920"; echo "1, GPU-fake-1, NVIDIA A100-SXM4-80GB, 81920";;',
    '  *) echo "0, 2, 100"; echo "1, 3, 100";;',
    'esac', '',
  ].join('\n'));
  chmodSync(smi, 0o755);
  platform = await startTestPlatform({ env: { PATH: `${binDir}:${process.env.PATH}`, QM_GPU_SAMPLE_INTERVAL_SECONDS: '0.25' } });
  await setPolicy('Stop');
  await platform.api('POST', `${API}/queues`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'default' }, spec: { namespaces: ['default'], guaranteed: { 'nvidia.com/gpu': 2 } },
  });
});

after(async () => {
  await platform?.cleanup();
  if (binDir) rmSync(binDir, { recursive: true, force: true });
});

async function setPolicy(action: string): Promise<void> {
  const ns = await platform.api('GET', '/api/v1/namespaces/default');
  ns.metadata.annotations = { ...ns.metadata.annotations, 'quartermaster.dev/idle-gpu-window': '2', 'quartermaster.dev/idle-gpu-action': action };
  await platform.api('PUT', '/api/v1/namespaces/default', ns);
}

async function waitJob(what: string, predicate: (job: any) => boolean, timeoutMs = 30_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await platform.api('GET', `${API}/namespaces/default/trainingjobs/idle`);
    if (predicate(job)) return job;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${JSON.stringify(job.status, null, 1)}\n${platform.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('idle GPUs with action Stop: checkpointed, stopped, not requeued; resumed by removing the annotation', async () => {
  await platform.api('POST', `${API}/namespaces/default/trainingjobs`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'idle', namespace: 'default' },
    spec: {
      workers: 1, gpusPerWorker: 1, resources: { cpu: '100m', memory: '64Mi' },
      command: [process.execPath, WORKER], args: ['--steps', '150', '--step-ms', '40', '--save-on-notice'],
      checkpointInterval: 0.02, terminationGracePeriodSeconds: 5,
    },
  });
  const stopped = await waitJob('the stopped attempt recorded', (j) => j.status?.attempts?.[0]?.endTime !== undefined);
  assert.equal(stopped.metadata.annotations['quartermaster.dev/stopped'], 'IdleGpus');
  assert.equal(stopped.status.phase, 'Pending');
  const cond = stopped.status.conditions.find((c: any) => c.type === 'Stopped');
  assert.match(cond.message, /^Stopped: idle GPUs below 10% .*\(window 2s;/);
  assert.equal(stopped.status.attempts[0].class, 'Preempted', 'stopped with the preemption protocol');
  assert.match(stopped.status.attempts[0].message, /^Stopped: idle GPUs/);
  const saved = stopped.status.lastCheckpoint?.step ?? 0;
  assert.ok(saved > 0, 'saved a checkpoint on the stop notice');

  await new Promise((r) => setTimeout(r, 1500));
  const still = await waitJob('still stopped', () => true);
  assert.equal(still.status.phase, 'Pending', 'not requeued although both GPUs are free');
  assert.equal(still.status.attempts.length, 1);

  await setPolicy('Warn'); // so the resumed run is not stopped again before it finishes
  const { 'quartermaster.dev/stopped': _gone, ...annotations } = still.metadata.annotations;
  await platform.api('PUT', `${API}/namespaces/default/trainingjobs/idle`, { ...still, metadata: { ...still.metadata, annotations } });
  const done = await waitJob('the resumed job to finish', (j) => j.status?.phase === 'Succeeded');
  assert.equal(done.status.attempts[1].restoredFromStep, saved, 'resumed from the step saved on stop');
  assert.equal(done.status.conditions.find((c: any) => c.type === 'Stopped').status, 'False');

  const events = await platform.api('GET', '/api/v1/namespaces/default/events');
  const reasons = events.items.filter((e: any) => e.involvedObject?.name === 'idle').map((e: any) => e.reason);
  for (const r of ['IdleGpus', 'Stopped', 'Resumed', 'Succeeded']) assert.ok(reasons.includes(r), `event ${r} (have ${reasons.join(', ')})`);
});
