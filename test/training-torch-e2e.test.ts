/**
 * End to end with real PyTorch DDP (examples/pytorch/ddp_train.py, gloo on CPU): a low-priority
 * two-worker job checkpoints, a high-priority job takes its GPUs, the DDP job is preempted,
 * requeued, resumes from its last committed step and finishes. Skips with a message when
 * `python3 -c "import torch"` fails (install Debian's python3-torch to run it).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, startTestPlatform, type TestPlatform } from './support/platform.js';

const probe = spawnSync('python3', ['-c', 'import torch'], { encoding: 'utf8' });
const skip = probe.error || probe.status !== 0
  ? 'torch is not installed (python3 -c "import torch" failed): skipping the PyTorch DDP end-to-end test; apt install python3-torch to run it'
  : false;
const API = '/apis/ml.quartermaster.dev/v1alpha1';
let platform: TestPlatform | undefined;

before(async () => {
  if (skip) return;
  platform = await startTestPlatform({ virtualGpus: 2 });
  await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'low' }, value: 10 });
  await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 });
  await call('POST', `${API}/queues`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'default' },
    spec: { namespaces: ['default'], guaranteed: { 'nvidia.com/gpu': 2 } },
  });
});

// cleanup() also kills the workers, which outlive the server by design.
after(async () => { await platform?.cleanup(); });

const call = (method: string, path: string, body?: unknown): Promise<any> => platform!.api(method, path, body);

async function waitJob(name: string, what: string, predicate: (s: any) => boolean, timeoutMs = 180_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await call('GET', `${API}/namespaces/default/trainingjobs/${name}`);
    if (predicate(job.status ?? {})) return job.status;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${name}: ${what}\n${JSON.stringify(job.status, null, 1)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

test('PyTorch DDP job: preempted, requeued, resumes from its last committed step, finishes', { skip }, async () => {
  await call('POST', `${API}/namespaces/default/trainingjobs`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'ddp', namespace: 'default' },
    spec: {
      workers: 2, gpusPerWorker: 1, command: ['python3', join(REPO_ROOT, 'examples', 'pytorch', 'ddp_train.py')],
      args: ['--steps', '400', '--step-sleep', '0.02'], checkpointInterval: 0.02, checkpointKeep: 2,
      terminationGracePeriodSeconds: 30, priorityClassName: 'low',
    },
  });
  await waitJob('ddp', 'a committed checkpoint', (s) => s.phase === 'Running' && (s.lastCheckpoint?.step ?? 0) > 0);
  await call('POST', `${API}/namespaces/default/trainingjobs`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'urgent', namespace: 'default' },
    spec: {
      workers: 2, gpusPerWorker: 1, priorityClassName: 'high',
      command: [process.execPath, join(REPO_ROOT, 'examples', 'training', 'contract-worker.mjs')], args: ['--steps', '10'],
    },
  });
  const preempted = await waitJob('ddp', 'the preempted attempt recorded', (s) => s.attempts?.[0]?.class === 'Preempted');
  const saved = preempted.lastCheckpoint.step;
  const done = await waitJob('ddp', 'the resumed job to finish', (s) => s.phase === 'Succeeded');
  const resumed = done.attempts.find((a: any) => a.index >= 1 && a.restoredFromStep !== undefined);
  assert.ok(resumed && resumed.restoredFromStep >= saved && resumed.restoredFromStep > 0, JSON.stringify(done.attempts));
});
