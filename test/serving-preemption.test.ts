// Serving replicas under preemption, end to end: a higher-priority TrainingJob takes a GPU from
// a ModelDeployment's replica (the scheduler frees the slot, the serving runtime stops that
// replica's process and keeps it Pending), but never more than the PodDisruptionBudget allows:
// the last replica keeps serving through the gateway and a second job waits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from './support/platform.js';

const QM = '/apis/ml.quartermaster.dev/v1alpha1';
const NS = 'serve-pdb';
const MD_PATH = `${QM}/namespaces/${NS}/modeldeployments/chat`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(platform: TestPlatform, path: string, what: string, ok: (o: any) => boolean): Promise<any> {
  let last: any;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    last = await platform.api('GET', path).catch(() => undefined);
    if (last && ok(last)) return last;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}; last status ${JSON.stringify(last?.status, null, 1)}\n${platform.logs().slice(-2000)}`);
}

const job = (name: string) => ({
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: NS },
  spec: { workers: 1, gpusPerWorker: 1, command: ['sleep', '600'], priorityClassName: 'urgent' },
});

describe('serving replicas and preemption', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({ virtualGpus: 2 });
    await platform.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    for (const [name, value] of [['batch-serving', 100], ['urgent', 1000]] as const) {
      await platform.api('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, preemptionPolicy: 'PreemptLowerPriority' });
    }
    await platform.api('POST', `${QM}/queues`, { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: NS }, spec: { namespaces: [NS], guaranteed: { 'nvidia.com/gpu': 2 } } });
    await platform.api('POST', `/apis/policy/v1/namespaces/${NS}/poddisruptionbudgets`, {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'chat', namespace: NS }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'chat' } } },
    });
  });
  after(async () => { await platform?.cleanup(); });

  it('gives up one replica to a more important job, never the last one the PDB protects', async () => {
    await platform.api('POST', `${QM}/namespaces/${NS}/modeldeployments`, {
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'chat', namespace: NS, labels: { app: 'chat' } },
      spec: {
        replicas: 2, command: ['python3', 'examples/serving/model_server.py'], resources: { 'nvidia.com/gpu': 1, cpu: '100m' },
        priorityClassName: 'batch-serving', readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 },
        terminationGracePeriodSeconds: 2,
      },
    });
    const ready = await waitFor(platform, MD_PATH, '2 ready replicas', (m) => m.status?.readyReplicas === 2);
    const endpoint = ready.status.endpoint;
    const gpusInUse = ready.status.replicaPlacements.map((p: any) => p.gpus[0]).sort();
    assert.deepEqual(gpusInUse, [0, 1], 'each replica holds its own GPU');

    await platform.api('POST', `${QM}/namespaces/${NS}/trainingjobs`, job('urgent-1'));
    await waitFor(platform, `${QM}/namespaces/${NS}/trainingjobs/urgent-1`, 'the first job to run', (j) => ['Admitted', 'Running'].includes(j.status?.phase));
    const one = await waitFor(platform, MD_PATH, 'one replica preempted and stopped', (m) => m.status?.replicas === 2 && m.status.readyReplicas === 1
      && m.status.replicaPlacements.length === 1 && m.status.replicaStatuses.some((r: any) => r.phase === 'Pending'));
    assert.equal(one.status.pendingReplicas, 1);

    await platform.api('POST', `${QM}/namespaces/${NS}/trainingjobs`, job('urgent-2'));
    const second = await waitFor(platform, `${QM}/namespaces/${NS}/trainingjobs/urgent-2`, 'the second job to be judged', (j) => typeof j.status?.pendingReason === 'string');
    assert.equal(second.status.phase, 'Pending', 'the PDB keeps the last replica');
    // The protected replica keeps answering through the gateway.
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${endpoint}v1/predict`, { method: 'POST', body: JSON.stringify({ text: 'good' }) });
      assert.equal(res.status, 200, await res.text());
    }
    const still = await platform.api('GET', MD_PATH);
    assert.equal(still.status.readyReplicas, 1);
    assert.equal(still.status.replicaPlacements.length, 1);
  });
});
