// Autoscaling end to end: the real platform (scheduler, serving runtime, gateway, HPA loop at a
// 1 s sync period) runs the example sentiment model; `qm load` drives requests through the
// gateway; an autoscaling/v2 HPA on requests/s per replica scales the deployment up to what the
// Kubernetes formula gives (capped by maxReplicas) without a failed request, and back down to
// minReplicas after its scale-down stabilization window once the load stops.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { runQm } from './support/qm-cli.js';

const QM = '/apis/ml.quartermaster.dev/v1alpha1';
const NS = 'hpa';
const TARGET_RPS_PER_REPLICA = 4;
const MAX_REPLICAS = 3;
/** Offered load: 16 rps ÷ 4 per replica = 4 replicas wanted, so the HPA must stop at maxReplicas. */
const LOAD_RPS = 16;

const deployment = {
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'sentiment', namespace: NS },
  spec: {
    replicas: 1, command: ['python3', 'examples/serving/model_server.py'], port: 8000, resources: { cpu: '100m', memory: '64Mi' },
    readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 },
    strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, terminationGracePeriodSeconds: 5,
  },
};

const hpa = {
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'sentiment', namespace: NS },
  spec: {
    scaleTargetRef: { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', name: 'sentiment' },
    minReplicas: 1, maxReplicas: MAX_REPLICAS,
    metrics: [{ type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: String(TARGET_RPS_PER_REPLICA) } } }],
    behavior: {
      scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 4, periodSeconds: 1 }] },
      scaleDown: { stabilizationWindowSeconds: 3, policies: [{ type: 'Percent', value: 100, periodSeconds: 1 }] },
    },
  },
};

describe('HPA on requests/s per replica, live', () => {
  let platform: TestPlatform;
  before(async () => {
    platform = await startTestPlatform({ extraArgs: ['--hpa-sync-period', '1s'] });
    await platform.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await platform.api('POST', `${QM}/queues`, {
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: NS }, spec: { namespaces: [NS], guaranteed: { cpu: '2', memory: '2Gi' } },
    });
  });
  after(async () => { await platform?.cleanup(); });

  /** Polls the deployment until `ready` holds; fails with the last status and the HPA's. */
  async function waitFor(what: string, ready: (md: any) => boolean, timeoutMs = 90_000): Promise<any> {
    let md: any;
    for (const started = Date.now(); Date.now() - started < timeoutMs;) {
      md = await platform.api('GET', `${QM}/namespaces/${NS}/modeldeployments/sentiment`);
      if (ready(md)) return md;
      await new Promise((r) => setTimeout(r, 250));
    }
    const h = await platform.api('GET', `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/sentiment`).catch(() => undefined);
    assert.fail(`timed out waiting for ${what}: spec.replicas ${md?.spec?.replicas}, status ${JSON.stringify(md?.status)}\nHPA status ${JSON.stringify(h?.status)}`);
  }

  it('scales up under load to maxReplicas with no failed request, and back down after the window', async () => {
    await platform.api('POST', `${QM}/namespaces/${NS}/modeldeployments`, deployment);
    const ready = await waitFor('the first replica to be ready', (md) => md.status?.readyReplicas === 1 && Boolean(md.status?.endpoint));
    await platform.api('POST', `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`, hpa);

    const load = runQm(platform, ['load', `${ready.status.endpoint}v1/predict`, '--rps', String(LOAD_RPS), '--duration', '30s',
      '--body', JSON.stringify({ text: 'a wonderful, happy day' }), '-o', 'json'], { timeoutMs: 90_000 });
    const scaled = await waitFor(`scale-up to ${MAX_REPLICAS}`, (md) => md.spec.replicas === MAX_REPLICAS && md.status?.readyReplicas === MAX_REPLICAS);
    assert.equal(scaled.spec.replicas, MAX_REPLICAS, 'ceil(16 rps / 4 per replica) = 4, capped at maxReplicas');

    const result = await load;
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const report = JSON.parse(result.stdout);
    assert.equal(report.errorCount, 0, `no request fails while the deployment scales: ${JSON.stringify(report.errors)}`);
    assert.ok(report.ok >= LOAD_RPS * 20, `most of the offered requests were answered (${report.ok})`);

    const h = await platform.api('GET', `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers/sentiment`);
    assert.ok(h.status?.lastScaleTime, 'the HPA records when it scaled');
    assert.ok((h.status?.conditions ?? []).some((c: any) => c.type === 'AbleToScale' && c.status === 'True'), JSON.stringify(h.status?.conditions));

    // With no load the measured rate decays; after the 3 s stabilization window it goes back to minReplicas.
    const down = await waitFor('scale-down to minReplicas', (md) => md.spec.replicas === 1, 120_000);
    assert.equal(down.spec.replicas, 1);
  });
});
