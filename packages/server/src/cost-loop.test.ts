import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Registry } from 'prom-client';
import type { ApiObject } from '@qm/api';
import { MemoryStore } from '@qm/store';
import type { Recorder } from '@qm/core';
import { budgetAdmission } from './budget-admission.js';
import { evaluateAll } from './budget-loop.js';
import { gatewayRequestCounter, startCostLoop, shouldWrite, type CostLoop } from './cost-loop.js';
import { costReportDocument, registerCostReportRoute } from './cost-report-route.js';
import { startTestServer, QM, type TestServer } from './test-support.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 5, 10);
const iso = (ms: number) => new Date(ms).toISOString();
// NodePool price $24.32/h on 8 GPUs, 64 cores, 512 GiB. Host at OpenCost's on-demand rates:
// 64 × 0.031611 + 512 × 0.004237 = 4.192448 → each GPU (24.32 − 4.192448) / 8 = 2.515944 $/h.
const GPU_HOUR = 2.515944;
const API = 'ml.quartermaster.dev/v1alpha1';

const clock = { t: T0 + 3 * H, now() { return this.t; } };
let store: MemoryStore;
let registry: Registry;
let loop: CostLoop;

const node: ApiObject = {
  apiVersion: API, kind: 'Node', metadata: { name: 'gpu-1', labels: { 'quartermaster.dev/pool': 'pool-a', 'quartermaster.dev/gpu-model': 'A100-80GB' } },
  status: { capacity: { cpu: '64', memory: '512Gi', 'nvidia.com/gpu': '8' } },
};
const pool: ApiObject = { apiVersion: API, kind: 'NodePool', metadata: { name: 'pool-a' }, spec: { maxNodes: 1, pricePerHour: 24.32 } };

function job(attempts: Array<Record<string, unknown>>, phase: string): ApiObject {
  return {
    apiVersion: API, kind: 'TrainingJob', metadata: { name: 'bert', namespace: 'team-a' },
    spec: { workers: 1, gpusPerWorker: 2, command: ['train'] },
    status: { phase, attempts, workers: [{ rank: 0, node: 'gpu-1', gpus: [0, 1] }] },
  };
}

async function writeStatus(kind: string, ns: string | undefined, name: string, status: Record<string, unknown>): Promise<void> {
  const obj = (await store.get(kind, ns, name))!;
  await store.update({ ...obj, status: { ...obj.status, ...status } }, { subresource: 'status' });
}

const cost = async () => (await store.get('TrainingJob', 'team-a', 'bert'))!.status!.cost;
const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} ≠ ${b}`);

before(async () => {
  store = new MemoryStore(clock);
  registry = new Registry();
  await store.create(node);
  await store.create(pool);
  const created = await store.create(job([], 'Pending'));
  await store.update({ ...created, status: job([
    { index: 0, startTime: iso(T0), endTime: iso(T0 + H), nodes: ['gpu-1'], endReason: 'Preempted', lostWorkSeconds: 1800 },
    { index: 1, startTime: iso(T0 + 2 * H), nodes: ['gpu-1'] },
  ], 'Running').status }, { subresource: 'status' });
  loop = await startCostLoop({ store, clock, registry, intervalMs: 3_600_000 });
});
after(async () => { await loop.stop(); await store.close(); });

test('status.cost: GPU-hours × the node GPU rate, lost work, spot/on-demand split; written only on a cent of change', async () => {
  await loop.tick();
  let c = await cost();
  near(c.usd, 2 * 2 * GPU_HOUR, 'usd after 2 h on 2 GPUs');
  near(c.gpuHours, 4, 'gpuHours');
  near(c.lostUSD, 2 * GPU_HOUR * 0.5, 'half of attempt 0 was lost');
  near(c.onDemandUSD, c.usd, 'all on-demand');
  assert.equal(c.spotUSD, 0);
  assert.equal(c.priced, true);

  clock.t += 60_000;
  await loop.tick();
  c = await cost();
  near(c.usd, 2 * GPU_HOUR * (2 + 1 / 60), 'a minute later');
  const rv = (await store.get('TrainingJob', 'team-a', 'bert'))!.metadata.resourceVersion;
  clock.t += 1000; // 2 GPUs × 1 s ≈ $0.0014: below a cent
  await loop.tick();
  assert.equal((await store.get('TrainingJob', 'team-a', 'bert'))!.metadata.resourceVersion, rv, 'no write for less than a cent');

  // Completion: the attempt closes; the final numbers are exact from its start and end.
  const end = T0 + 2 * H + 90 * 60_000 + 500;
  await writeStatus('TrainingJob', 'team-a', 'bert', { phase: 'Succeeded', attempts: [
    { index: 0, startTime: iso(T0), endTime: iso(T0 + H), nodes: ['gpu-1'], endReason: 'Preempted', lostWorkSeconds: 1800 },
    { index: 1, startTime: iso(T0 + 2 * H), endTime: iso(end), nodes: ['gpu-1'], endReason: 'Succeeded', lostWorkSeconds: 0 },
  ] });
  clock.t = end + 10 * H;
  await loop.tick();
  c = await cost();
  const gpuSeconds = 2 * (3600 + 90 * 60 + 0.5);
  near(c.usd, Math.round(gpuSeconds / 3600 * GPU_HOUR * 1e6) / 1e6, 'GPU-seconds × rate');
  const text = await registry.metrics();
  assert.match(text, /qm_cost_usd_total\{namespace="team-a",queue=""\} [\d.]+/);
  assert.match(text, /qm_gpu_hours_total\{namespace="team-a",queue=""\} 5\.00/);
});

test('an unpriced node gives priced: false with the reason, never a silent 0', async () => {
  const cpuNode: ApiObject = { apiVersion: API, kind: 'Node', metadata: { name: 'cpu-1' }, status: { capacity: { cpu: '8', memory: '32Gi' } } };
  await store.create(cpuNode);
  const j = await store.create({ ...job([], 'Pending'), metadata: { name: 'etl', namespace: 'team-a' } });
  await store.update({ ...j, status: { phase: 'Running', attempts: [{ index: 0, startTime: iso(clock.t - H), nodes: ['cpu-1'] }], workers: [{ rank: 0, node: 'cpu-1' }] } }, { subresource: 'status' });
  await loop.tick();
  const c = (await store.get('TrainingJob', 'team-a', 'etl'))!.status!.cost;
  assert.equal(c.priced, false);
  assert.equal(c.usd, 0);
  assert.equal(c.unpricedGpuHours, 2);
  assert.match(c.unpricedReason, /unpriced: no NodePool/);
});

test('shouldWrite: phase changes and final numbers always; running numbers only past a cent', () => {
  const cases: Array<[string, Record<string, unknown> | undefined, Record<string, unknown>, boolean, boolean, boolean]> = [
    ['nothing stored', undefined, { usd: 0 }, false, false, true],
    ['half a cent, running', { usd: 1, priced: true }, { usd: 1.005, priced: true }, false, false, false],
    ['a cent, running', { usd: 1, priced: true }, { usd: 1.01, priced: true }, false, false, true],
    ['phase changed', { usd: 1, priced: true }, { usd: 1.001, priced: true }, false, true, true],
    ['final differs by a micro-dollar', { usd: 1, priced: true }, { usd: 1.000001, priced: true }, true, false, true],
    ['final equal', { usd: 1, priced: true }, { usd: 1, priced: true }, true, false, false],
  ];
  for (const [name, stored, next, final, phaseChanged, want] of cases) assert.equal(shouldWrite(stored, next, final, phaseChanged), want, name);
});

test('budgets: 100 % forecast then 80 % actual fire once each; BlockNewWorkloads refuses new workloads naming the budget', async () => {
  const server: TestServer = await startTestServer({ memory: true });
  const events: string[] = [];
  const recorder: Recorder = { record: (_ref, _type, reason) => { events.push(reason); } };
  const t = { now: T0 + 3 * H };
  const c = { now: () => t.now };
  try {
    const s = server.store;
    await s.create(node);
    await s.create(pool);
    const created = await s.create(job([], 'Pending'));
    await s.update({ ...created, status: { phase: 'Running', attempts: [{ index: 0, startTime: iso(T0 + H), nodes: ['gpu-1'] }], workers: [{ rank: 0, node: 'gpu-1' }] } }, { subresource: 'status' });
    await s.create({
      apiVersion: API, kind: 'Budget', metadata: { name: 'team-a-monthly', namespace: 'team-a' },
      spec: { target: { namespace: 'team-a' }, period: 'Monthly', amountUSD: 20, action: 'BlockNewWorkloads', thresholds: [{ percent: 80, type: 'Actual' }, { percent: 100, type: 'Forecasted' }] },
    });
    await evaluateAll({ store: s, clock: c, recorder });
    let b = (await s.get('Budget', 'team-a', 'team-a-monthly'))!;
    near(b.status!.spentUSD, Math.round(2 * 2 * GPU_HOUR * 100) / 100, 'spent: 2 h × 2 GPUs');
    assert.deepEqual(events, ['BudgetForecastThresholdReached']);
    assert.equal(b.status!.blocking, true);
    await evaluateAll({ store: s, clock: c, recorder });
    assert.deepEqual(events, ['BudgetForecastThresholdReached'], 'once per period');
    t.now = T0 + 4.3 * H; // 3.3 h × 5.031888 $/h = 16.6 ≥ 80 % of 20
    await evaluateAll({ store: s, clock: c, recorder });
    assert.deepEqual(events, ['BudgetForecastThresholdReached', 'BudgetThresholdReached']);
    b = (await s.get('Budget', 'team-a', 'team-a-monthly'))!;
    assert.deepEqual(b.status!.triggered.map((x: { percent: number; type: string }) => `${x.percent}/${x.type}`), ['100/Forecasted', '80/Actual']);

    const admit = budgetAdmission({ store: s, clock: c });
    const info = { kind: 'TrainingJob', plural: 'trainingjobs', group: 'ml.quartermaster.dev', namespaced: true } as never;
    const user = { name: 'admin', groups: [] };
    await assert.rejects(admit({ verb: 'create', kindInfo: info, object: { ...job([], 'Pending'), metadata: { name: 'new', namespace: 'team-a' } }, user }),
      (err: Error & { code?: string }) => err.code === 'Forbidden' && /budget team-a\/team-a-monthly blocks new workloads/.test(err.message));
    await admit({ verb: 'create', kindInfo: info, object: { ...job([], 'Pending'), metadata: { name: 'new', namespace: 'team-b' } }, user });
    await admit({ verb: 'update', kindInfo: info, object: { ...job([], 'Running') }, user });
  } finally {
    await server.close();
  }
});

test('costreport: rows by namespace reconcile with idle to the node cost; bad parameters are named', async () => {
  const server = await startTestServer({ memory: true });
  try {
    const s = server.store;
    await s.create(node);
    await s.create(pool);
    const created = await s.create(job([], 'Pending'));
    const now = Date.now() + 3 * H; // the node exists from about now − 3 h, the window's start
    await s.update({ ...created, status: { phase: 'Succeeded', attempts: [{ index: 0, startTime: iso(now - 2 * H), endTime: iso(now - H), nodes: ['gpu-1'] }] } }, { subresource: 'status' });
    registerCostReportRoute(server.app, { store: s, clock: { now: () => now } });
    const res = await server.call('GET', `${QM}/costreport?by=namespace&since=3h`);
    assert.equal(res.statusCode, 200, res.body);
    const report = res.json();
    assert.equal(report.kind, 'CostReport');
    const team = report.rows.find((r: { key: string }) => r.key === 'team-a');
    near(team.usd, 2 * GPU_HOUR, 'one hour on 2 GPUs');
    near(team.gpuHours, 2, 'gpuHours');
    const rows = report.rows.reduce((sum: number, r: { usd: number }) => sum + r.usd, 0);
    assert.ok(Math.abs(rows + report.idle.usd - report.totals.nodeUSD) < 1e-5, `Σ rows ${rows} + idle ${report.idle.usd} = node ${report.totals.nodeUSD}`);
    assert.ok(report.totals.nodeUSD > 24.32 * 2.9, 'about 3 h of the node');
    near(team.idleShareUSD, report.idle.usd, 'the only row takes all idle');
    const bad = await server.call('GET', `${QM}/costreport?by=team`);
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /^by: must be one of namespace, queue, job, node/);
    const badSince = await server.call('GET', `${QM}/costreport?since=soon`);
    assert.equal(badSince.statusCode, 400);
    assert.match(badSince.json().message, /^since:/);
  } finally {
    await server.close();
  }
});

test('ModelDeployment: cost accrues from the placed replicas since status.cost.accruedAt', async () => {
  const md = await store.create({
    apiVersion: API, kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'team-a' },
    spec: { command: ['serve'], replicas: 1, resources: { 'nvidia.com/gpu': '1' } },
  });
  await store.update({ ...md, status: { replicaPlacements: [{ index: 0, node: 'gpu-1', gpus: [3], admittedAt: iso(clock.t - H) }] } }, { subresource: 'status' });
  await loop.tick();
  const first = (await store.get('ModelDeployment', 'team-a', 'chat'))!.status!.cost;
  near(first.usd, GPU_HOUR, 'one replica-hour');
  assert.equal(first.accruedAt, iso(clock.t));
  clock.t += 2 * H;
  await loop.tick();
  const second = (await store.get('ModelDeployment', 'team-a', 'chat'))!.status!.cost;
  near(second.usd, 3 * GPU_HOUR, 'three replica-hours');
  near(second.gpuHours, 3, 'gpuHours');
});

test('gatewayRequestCounter: never decreases as replicas come, go and rejoin', () => {
  let replicas: Array<{ id: string; requestsTotal: number }> | undefined;
  const count = gatewayRequestCounter(() => (replicas ? { replicas } : undefined));
  const steps: Array<[string, typeof replicas, number]> = [
    ['unknown deployment', undefined, 0],
    ['two replicas', [{ id: 'r0', requestsTotal: 10 }, { id: 'r1', requestsTotal: 5 }], 15],
    ['both grow', [{ id: 'r0', requestsTotal: 12 }, { id: 'r1', requestsTotal: 9 }], 21],
    ['r1 leaves: its count is kept', [{ id: 'r0', requestsTotal: 20 }], 29],
    ['r1 rejoins from 0', [{ id: 'r0', requestsTotal: 20 }, { id: 'r1', requestsTotal: 3 }], 32],
    ['the gateway forgets the deployment', undefined, 32],
  ];
  for (const [name, now, want] of steps) {
    replicas = now;
    assert.equal(count('team-a', 'chat'), want, name);
  }
});

test('ModelDeployment with gateway counts: status.cost.requests accrues, usdPer1kRequests = usd × 1000 / requests, shown by job', async () => {
  const s = new MemoryStore(clock);
  let served = 0;
  const l = await startCostLoop({ store: s, clock, intervalMs: 3_600_000, requestCounts: (ns, name) => (ns === 'team-a' && name === 'chat' ? served : 0) });
  try {
    await s.create(node);
    await s.create(pool);
    const md = await s.create({
      apiVersion: API, kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'team-a' },
      spec: { command: ['serve'], replicas: 1, resources: { 'nvidia.com/gpu': '1' } },
    });
    await s.update({ ...md, status: { replicaPlacements: [{ index: 0, node: 'gpu-1', gpus: [3], admittedAt: iso(clock.t - H) }] } }, { subresource: 'status' });
    served = 20_000;
    await l.tick();
    const get = async () => (await s.get('ModelDeployment', 'team-a', 'chat'))!.status!.cost;
    let c = await get();
    assert.equal(c.requests, 20_000);
    near(c.usdPer1kRequests, GPU_HOUR * 1000 / 20_000, 'one replica-hour over 20k requests');
    clock.t += H;
    served = 50_000;
    await l.tick();
    c = await get();
    assert.equal(c.requests, 50_000, 'only what the gateway counted since the last write is added');
    near(c.usdPer1kRequests, 2 * GPU_HOUR * 1000 / 50_000, 'two replica-hours over 50k requests');
    const doc = await costReportDocument(s, clock.t, { by: 'job', since: '3h' });
    const row = doc.rows.find((r) => r.key === 'team-a/ModelDeployment/chat')!;
    assert.equal(row.usdPer1kRequests, c.usdPer1kRequests);
    const byNs = await costReportDocument(s, clock.t, { by: 'namespace', since: '3h' });
    assert.ok(byNs.rows.every((r) => r.usdPer1kRequests === undefined), 'only by job');
  } finally {
    await l.stop();
    await s.close();
  }
});
