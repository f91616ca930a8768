// Model serving end to end: the real server (scheduler, serving runtime, gateway) runs the
// example model server (examples/serving/model_server.py) as replica processes. A deployment
// becomes ready and answers through the gateway; a rolling update under steady load fails no
// request; a revision that never becomes ready stops the rollout while the old one keeps
// serving; spec.replicas scales up and down, and stopped replicas' processes are gone.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestPlatform, type TestPlatform } from './support/platform.js';

const QM = '/apis/ml.quartermaster.dev/v1alpha1';
const NS = 'serve';
const MD_PATH = `${QM}/namespaces/${NS}/modeldeployments/sentiment`;

function deployment(replicas: number) {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment',
    metadata: { name: 'sentiment', namespace: NS },
    spec: {
      replicas, command: ['python3', 'examples/serving/model_server.py'], port: 8000,
      env: [{ name: 'MODEL_VERSION', value: 'v1' }], resources: { cpu: '100m', memory: '64Mi' },
      readinessProbe: { httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 1, failureThreshold: 1 },
      livenessProbe: { httpGet: { path: '/livez' }, periodSeconds: 2, failureThreshold: 3 },
      strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      terminationGracePeriodSeconds: 5,
    },
  };
}

/** A JSON merge patch of the deployment. */
async function patch(platform: TestPlatform, body: unknown): Promise<any> {
  const res = await fetch(`${platform.url}${MD_PATH}`, {
    method: 'PATCH', headers: { authorization: `Bearer ${platform.token}`, 'content-type': 'application/merge-patch+json' }, body: JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const cond = (md: any, type: string) => (md?.status?.conditions ?? []).find((c: any) => c.type === type);

async function waitFor(platform: TestPlatform, what: string, ok: (md: any) => boolean, timeoutMs = 60_000): Promise<any> {
  let last: any;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    last = await platform.api('GET', MD_PATH).catch(() => undefined);
    if (last && ok(last)) return last;
    await sleep(100);
  }
  assert.fail(`timed out waiting for ${what}; last status ${JSON.stringify(last?.status, null, 1)}\n${platform.logs().slice(-3000)}`);
}

async function predict(endpoint: string, text: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${endpoint}v1/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text }) });
  const raw = await res.text();
  let body: any;
  try { body = JSON.parse(raw); } catch { body = raw; }
  return { status: res.status, body };
}

/** Steady closed-loop load from `workers` clients; stop() returns every outcome. */
function steadyLoad(endpoint: string, workers: number) {
  let running = true;
  const failures: string[] = [];
  const versions: string[] = [];
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      try {
        const { status, body } = await predict(endpoint, w % 2 ? 'great, I love it' : 'terrible and slow');
        if (status !== 200) failures.push(`HTTP ${status}: ${JSON.stringify(body)}`);
        else versions.push(body.version);
      } catch (err) {
        failures.push(`fetch: ${(err as Error).message} ${(err as any).cause?.code ?? ''}`);
      }
      await sleep(10);
    }
  });
  return {
    versions,
    async stop() {
      running = false;
      await Promise.all(loops);
      return { failures, versions };
    },
  };
}

/** Pids of replica processes still recorded as running under dataDir/serving. */
function recordedPids(dataDir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'replica.json') {
        const s = JSON.parse(readFileSync(p, 'utf8'));
        if (s.pid) out.set(s.name, s.pid);
      }
    }
  };
  walk(join(dataDir, 'serving'));
  return out;
}
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('serving: replicas, gateway, rolling updates, scaling', () => {
  let platform: TestPlatform;
  let endpoint: string;
  let gatewayPort: number;
  before(async () => {
    // --gateway-port: the gateway listens where it is told (a port free right now).
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    gatewayPort = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    platform = await startTestPlatform({ extraArgs: ['--gateway-port', String(gatewayPort)] });
    await platform.api('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await platform.api('POST', `${QM}/queues`, {
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: NS },
      spec: { namespaces: [NS], guaranteed: { cpu: '2', memory: '2Gi' } },
    });
  });
  after(async () => { await platform?.cleanup(); });

  it('deploys, becomes ready, and answers through the gateway endpoint from every replica', async () => {
    await platform.api('POST', `${QM}/namespaces/${NS}/modeldeployments`, deployment(2));
    const md = await waitFor(platform, '2 ready replicas', (m) => m.status?.readyReplicas === 2 && cond(m, 'Progressing')?.reason === 'NewReplicaSetAvailable');
    endpoint = md.status.endpoint;
    assert.equal(endpoint, `http://127.0.0.1:${gatewayPort}/${NS}/sentiment/`);
    assert.equal(cond(md, 'Available')?.status, 'True');
    assert.deepEqual([md.status.replicas, md.status.updatedReplicas, md.status.surgeReplicas], [2, 2, 0]);
    assert.equal(md.status.replicaPlacements.length, 2);

    const replicasSeen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const { status, body } = await predict(endpoint, i % 2 ? 'this is not good' : 'great, I love it');
      assert.equal(status, 200, JSON.stringify(body));
      assert.equal(body.predictions[0].label, i % 2 ? 'negative' : 'positive');
      assert.equal(body.version, 'v1');
      replicasSeen.add(body.replica);
    }
    assert.deepEqual([...replicasSeen].sort(), md.status.replicaStatuses.map((r: any) => r.name).sort(), 'both replicas served');
  });

  it('rolls out a new revision under steady load without failing a request', async () => {
    const load = steadyLoad(endpoint, 4);
    await sleep(500);
    const before = await platform.api('GET', MD_PATH);
    await patch(platform, { spec: { env: [{ name: 'MODEL_VERSION', value: 'v2' }] } });
    const done = await waitFor(platform, 'the rollout to v2', (m) => m.status?.updateRevision !== before.status.updateRevision
      && cond(m, 'Progressing')?.reason === 'NewReplicaSetAvailable' && m.status.readyReplicas === 2
      && m.status.replicaStatuses.length === 2 && m.status.replicaStatuses.every((r: any) => r.revision === m.status.updateRevision));
    await sleep(500);
    const { failures, versions } = await load.stop();
    assert.deepEqual(failures, [], 'no request failed during the rollout');
    assert.ok(versions.includes('v1') && versions.includes('v2'), 'traffic moved from v1 to v2');
    assert.equal(versions.at(-1), 'v2');
    assert.equal(done.status.surgeReplicas, 0, 'the surge slot is given back');
    assert.equal(done.status.replicaPlacements.length, 2);
    const events = await platform.api('GET', `/api/v1/namespaces/${NS}/events`);
    const reasons = events.items.filter((e: any) => e.involvedObject?.name === 'sentiment').map((e: any) => e.reason);
    assert.ok(reasons.includes('RolloutStarted') && reasons.includes('ReplicaCreated') && reasons.includes('ReplicaDeleted'), reasons.join(','));
  });

  it('stops a rollout whose replicas never become ready; the old revision keeps serving', async () => {
    const before = await platform.api('GET', MD_PATH);
    // A readiness path the model server does not have: the new replicas never become ready.
    await patch(platform, { spec: {
      env: [{ name: 'MODEL_VERSION', value: 'v3' }], progressDeadlineSeconds: 2,
      readinessProbe: { httpGet: { path: '/ready-typo', port: 8000 }, periodSeconds: 1, failureThreshold: 1 },
    } });
    const stuck = await waitFor(platform, 'ProgressDeadlineExceeded', (m) => cond(m, 'Progressing')?.reason === 'ProgressDeadlineExceeded');
    const progressing = cond(stuck, 'Progressing');
    assert.equal(progressing.status, 'False');
    // The condition keeps the probe failure seen at the deadline: a 404 once the replica listens,
    // a connection error if it was still starting (2 s is short on a loaded machine).
    assert.match(progressing.message, /is not ready \(readiness probe failed: (HTTP 404 from )?GET \/ready-typo/);
    // The replica's own status follows its probe: it settles on the 404.
    await waitFor(platform, 'the 404 on the stuck replica', (m) => m.status.replicaStatuses.some((r: any) => r.revision === m.status.updateRevision
      && /readiness probe failed: HTTP 404 from GET \/ready-typo/.test(r.message ?? '')));
    assert.match(progressing.message, /2 replicas of the previous revision keep serving/);
    assert.notEqual(stuck.status.updateRevision, before.status.updateRevision);
    assert.equal(stuck.status.readyReplicas, 2);
    assert.equal(stuck.status.updatedReplicas, 1, 'only the one surge replica of the bad revision exists');
    assert.equal(cond(stuck, 'Available')?.status, 'True');
    for (let i = 0; i < 10; i++) {
      const { status, body } = await predict(endpoint, 'lovely');
      assert.equal(status, 200);
      assert.equal(body.version, 'v2', 'the old revision serves');
    }
    // Fixing the probe resumes the rollout to completion.
    await patch(platform, { spec: { readinessProbe: { httpGet: { path: '/healthz', port: 8000 }, periodSeconds: 1, failureThreshold: 1 } } });
    await waitFor(platform, 'the fixed rollout', (m) => cond(m, 'Progressing')?.reason === 'NewReplicaSetAvailable' && m.status.readyReplicas === 2
      && m.status.replicaStatuses.length === 2 && m.status.replicaStatuses.every((r: any) => r.revision === m.status.updateRevision));
    const { body } = await predict(endpoint, 'lovely');
    assert.equal(body.version, 'v3');
  });

  it('scales with spec.replicas, and the processes of removed replicas are gone', async () => {
    await patch(platform, { spec: { replicas: 3 } });
    const up = await waitFor(platform, '3 ready', (m) => m.status?.readyReplicas === 3 && m.status.replicas === 3);
    assert.equal(up.status.replicaPlacements.length, 3);
    const names = up.status.replicaStatuses.map((r: any) => r.name);
    const pids = recordedPids(platform.dataDir);
    assert.ok(names.every((n: string) => pids.has(n)), 'every replica has a recorded process');

    await patch(platform, { spec: { replicas: 1 } });
    const down = await waitFor(platform, '1 replica', (m) => m.status?.replicas === 1 && m.status.readyReplicas === 1
      && m.status.replicaStatuses.length === 1 && m.status.surgeReplicas === 0);
    assert.equal(down.status.replicaPlacements.length, 1);
    assert.equal(down.status.replicaPlacements[0].index, 0);
    const kept = down.status.replicaStatuses[0].name;
    for (const n of names.filter((x: string) => x !== kept)) assert.equal(alive(pids.get(n)!), false, `${n} stopped`);
    const { status, body } = await predict(endpoint, 'great');
    assert.equal(status, 200);
    assert.equal(body.replica, kept);
  });

  it('deleting the deployment stops its replicas and the gateway forgets it', async () => {
    const pids = recordedPids(platform.dataDir);
    await platform.api('DELETE', MD_PATH);
    const deadline = Date.now() + 30_000;
    while ([...pids.values()].some(alive) && Date.now() < deadline) await sleep(100);
    const describePid = (pid: number) => { try { return `${pid}: ${readFileSync(`/proc/${pid}/stat`, 'utf8')} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8')}`; } catch (err) { return `${pid}: ${(err as Error).message}`; } };
    assert.deepEqual([...pids.values()].filter(alive).map(describePid), [], 'no replica process left');
    let code = 0;
    while (Date.now() < deadline) {
      code = (await fetch(`${endpoint}v1/predict`, { method: 'POST', body: '{}' })).status;
      if (code === 404) break;
      await sleep(100);
    }
    assert.equal(code, 404);
  });
});
