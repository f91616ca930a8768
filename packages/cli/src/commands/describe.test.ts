import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { startFakeApi } from '../testing/fake-api-server.js';
import { runQm } from '../testing/harness.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

function event(name: string, reason: string, kind: string, objName: string, lastMsAgo: number, count = 1): ApiObject {
  return {
    apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'team-a' },
    type: 'Normal', reason, message: `${reason} message`, count,
    firstTimestamp: ago(lastMsAgo + 60_000 * (count - 1)), lastTimestamp: ago(lastMsAgo),
    involvedObject: { kind, name: objName, namespace: 'team-a' }, source: { component: 'scheduler' },
  };
}

test('describe shows metadata, spec, status with conditions and workers, and the object\'s events only', async () => {
  const api = await startFakeApi({ token: 't' });
  try {
    api.put({
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
      metadata: { name: 'bert', namespace: 'team-a', labels: { team: 'nlp', app: 'bert' }, creationTimestamp: ago(600_000) },
      spec: { workers: 2, gpusPerWorker: 4, command: ['python', 'train.py'] },
      status: {
        phase: 'Pending', pendingReason: 'waiting for 8 GPUs; queue team-a has 4 free', queuePosition: 2,
        conditions: [{ type: 'Admitted', status: 'False', reason: 'QuotaExceeded', message: 'needs 8', lastTransitionTime: ago(300_000) }],
        workers: [{ rank: 0, node: 'gpu-1', gpus: [0, 1], phase: 'Pending' }],
        cost: { gpuHours: 1.5 },
      },
    });
    api.put(event('e1', 'Queued', 'TrainingJob', 'bert', 300_000));
    api.put(event('e2', 'Preempted', 'TrainingJob', 'bert', 60_000, 3));
    api.put(event('e3', 'Queued', 'TrainingJob', 'other', 10_000));
    api.put(event('e4', 'Queued', 'ModelDeployment', 'bert', 10_000));

    const run = await runQm(api.url, 't', ['describe', 'tj', 'bert', '-n', 'team-a'], { now: () => NOW });
    assert.equal(run.code, 0, run.stderr);
    const out = run.stdout;
    assert.match(out, /^Name: {9}bert\nNamespace: {4}team-a\nLabels: {7}app=bert\n {14}team=nlp\nAnnotations: {2}<none>\nCreated: {6}\S+ \(10m ago\)\n/);
    assert.match(out, /\nSpec:\n  workers: 2\n  gpusPerWorker: 4\n  command:\n    - python\n    - train.py\n/);
    assert.match(out, /\nStatus:\n  Phase: +Pending\n  Pending Reason: +waiting for 8 GPUs; queue team-a has 4 free\n  Queue Position: +2\n/);
    assert.match(out, /  Conditions:\n    TYPE +STATUS +REASON +MESSAGE +AGE\n    Admitted +False +QuotaExceeded +needs 8 +5m\n/);
    assert.match(out, /  Workers:\n    RANK +NODE +GPUS +PHASE +EXIT CODE +RESTARTS\n    0 +gpu-1 +0,1 +Pending +<none> +0\n/);
    assert.match(out, /  cost:\n    gpuHours: 1.5\n/);
    assert.match(out, /\nEvents:\n  TYPE +REASON +AGE +FROM +MESSAGE\n  Normal +Queued +5m +scheduler +Queued message\n  Normal +Preempted +60s \(x3 over 3m\) +scheduler +Preempted message\n$/);
    const events = api.requests.find((r) => r.path === '/api/v1/namespaces/team-a/events')!;
    assert.equal(events.query.fieldSelector, 'involvedObject.name=bert,involvedObject.kind=TrainingJob');

    api.put({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high', creationTimestamp: ago(1000) }, value: 1000, globalDefault: false });
    const pc = await runQm(api.url, 't', ['describe', 'pc', 'high'], { now: () => NOW });
    assert.match(pc.stdout, /\nValue: +1000\nGlobalDefault: false\n/);
    assert.match(pc.stdout, /\nEvents: {7}<none>\n$/);
    const clusterEvents = api.requests.filter((r) => r.path === '/api/v1/events');
    assert.equal(clusterEvents.length, 1, 'cluster-scoped objects look for events in every namespace');

    const missing = await runQm(api.url, 't', ['describe', 'tj', 'nope', '-n', 'team-a']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: trainingjobs "nope" not found\n');
    const noName = await runQm(api.url, 't', ['describe', 'tj']);
    assert.equal(noName.code, 2);
  } finally {
    await api.close();
  }
});
