/**
 * Live cost, end to end: the real platform (virtual GPUs, the contract worker), metering every
 * 0.3 s (QM_COST_INTERVAL_SECONDS). A PriceCatalog prices the host's "virtual" GPU model at
 * $3600 per GPU-hour (a dollar a GPU-second, so the numbers move visibly in seconds).
 *
 * 1. A 1-GPU job shows status.cost growing while it runs; its final cost equals its GPU-seconds
 *    (from the attempts' start and end) × the node's GPU-hour rate plus its CPU and memory
 *    charges, to the cent. `qm cost -o json` and /metrics agree.
 * 2. A budget of $1 with BlockNewWorkloads: once evaluated, a new job in the namespace is
 *    refused with a 403 naming the budget.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, startTestPlatform, type TestPlatform } from './support/platform.js';
import { runQm } from './support/qm-cli.js';

const WORKER = join(REPO_ROOT, 'examples', 'training', 'contract-worker.mjs');
const API = '/apis/ml.quartermaster.dev/v1alpha1';
const GPU_HOUR_ALL_IN = 3600;

let platform: TestPlatform;

before(async () => {
  platform = await startTestPlatform({ virtualGpus: 2, env: { QM_COST_INTERVAL_SECONDS: '0.3' } });
  await call('POST', `${API}/queues`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'default' },
    spec: { namespaces: ['default'], guaranteed: { 'nvidia.com/gpu': 2 } },
  });
  await call('POST', `${API}/pricecatalogs`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'PriceCatalog', metadata: { name: 'virtual' }, spec: { gpuHour: { virtual: GPU_HOUR_ALL_IN } },
  });
});
after(async () => { await platform?.cleanup(); });

const call = (method: string, path: string, body?: unknown): Promise<any> => platform.api(method, path, body);

function job(name: string, steps: number): unknown {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: 'default' },
    spec: {
      workers: 1, gpusPerWorker: 1, resources: { cpu: '100m', memory: '64Mi' },
      command: [process.execPath, WORKER], args: ['--steps', String(steps), '--step-ms', '50'], terminationGracePeriodSeconds: 5,
    },
  };
}

async function poll<T>(what: string, read: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${platform.logs().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The host node's rates by docs/prices.md: price P = GPUs × $3600; host CPU and memory at OpenCost's on-demand rates (≤ P/2); GPUs share the rest. */
async function hostRates(): Promise<{ gpuHour: number; cpuCoreHour: number; memoryGiBHour: number }> {
  const node = (await call('GET', `${API}/nodes`)).items[0];
  const gpus = Number(node.status.capacity['nvidia.com/gpu']);
  const cpu = Number(node.status.capacity.cpu);
  const kib = /^(\d+)Ki$/.exec(node.status.capacity.memory);
  assert.ok(kib, `memory capacity in Ki: ${node.status.capacity.memory}`);
  const memoryGiB = Number(kib![1]) / 2 ** 20;
  const price = gpus * GPU_HOUR_ALL_IN;
  const host = cpu * 0.031611 + memoryGiB * 0.004237;
  const share = Math.min(host, price / 2);
  return { gpuHour: (price - share) / gpus, cpuCoreHour: 0.031611 * share / host, memoryGiBHour: 0.004237 * share / host };
}

test('status.cost grows while the job runs and ends at GPU-seconds × the GPU-hour rate (+ CPU, memory) to the cent', async () => {
  await call('POST', `${API}/namespaces/default/trainingjobs`, job('priced', 80));
  const seen: number[] = [];
  await poll('two growing costs while Running', async () => {
    const s = (await call('GET', `${API}/namespaces/default/trainingjobs/priced`)).status ?? {};
    if (s.phase === 'Running' && typeof s.cost?.usd === 'number' && s.cost.usd !== seen[seen.length - 1]) seen.push(s.cost.usd);
    if (s.phase === 'Succeeded' && seen.length < 2) throw new Error(`finished before two running costs were seen: ${JSON.stringify(seen)}`);
    return seen.length >= 2 ? true : undefined;
  });
  assert.ok(seen[1] > seen[0] && seen[0] > 0, `growing: ${seen.join(' → ')}`);

  const rates = await hostRates();
  const final = await poll('the final cost', async () => {
    const s = (await call('GET', `${API}/namespaces/default/trainingjobs/priced`)).status ?? {};
    if (s.phase !== 'Succeeded' || !s.attempts?.every((a: any) => a.endTime) || !s.cost) return undefined;
    const seconds = s.attempts.reduce((sum: number, a: any) => sum + (Date.parse(a.endTime) - Date.parse(a.startTime)) / 1000, 0);
    const want = (seconds / 3600) * (1 * rates.gpuHour + 0.1 * rates.cpuCoreHour + (64 / 1024) * rates.memoryGiBHour);
    return Math.round(s.cost.usd * 100) === Math.round(want * 100) ? { status: s, want, seconds } : undefined;
  }, 15_000).catch(async (err) => {
    const s = (await call('GET', `${API}/namespaces/default/trainingjobs/priced`)).status;
    throw new Error(`${(err as Error).message}\ncost ${JSON.stringify(s?.cost)} attempts ${JSON.stringify(s?.attempts)}`);
  });
  const c = final.status.cost;
  assert.equal(c.priced, true);
  assert.equal(c.spotUSD, 0);
  assert.equal(Math.round(c.onDemandUSD * 100), Math.round(final.want * 100));
  assert.equal(Math.round(c.gpuHours * 1e4), Math.round((final.seconds / 3600) * 1e4), 'GPU-hours = GPU-seconds / 3600');
  assert.equal(c.lostUSD, 0);

  const report = await runQm(platform, ['cost', '--by', 'job', '--since', '1h', '-o', 'json']);
  assert.equal(report.code, 0, report.stderr);
  const row = JSON.parse(report.stdout).rows.find((r: any) => r.key === 'default/TrainingJob/priced');
  assert.equal(Math.round(row.usd * 100), Math.round(c.usd * 100), 'qm cost agrees with status.cost');
  const table = await runQm(platform, ['cost']);
  assert.match(table.stdout, /^NAMESPACE\s+GPU-HOURS\s+CPU-HOURS\s+MEM GIB-HOURS\s+SPOT\s+ON-DEMAND\s+USD\s+IDLE SHARE\s+TOTAL/m);
  assert.match(table.stdout, /Nodes \$[\d.]+ = charged \$[\d.]+ \+ idle \$[\d.]+/);

  const metrics = await (await fetch(`${platform.url}/metrics`, { headers: { Authorization: `Bearer ${platform.token}` } })).text();
  const counted = /qm_cost_usd_total\{namespace="default",queue="default"\} ([\d.e+-]+)/.exec(metrics);
  assert.ok(counted, 'qm_cost_usd_total is exported');
  assert.ok(Math.abs(Number(counted![1]) - c.usd) < 0.01, `metric ${counted![1]} vs ${c.usd}`);
});

test('a blocking budget refuses new jobs of its namespace with a 403 naming it', async () => {
  await call('POST', `${API}/namespaces/default/budgets`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Budget', metadata: { name: 'tiny', namespace: 'default' },
    spec: { target: { namespace: 'default' }, period: 'Monthly', amountUSD: 1, action: 'BlockNewWorkloads', thresholds: [{ percent: 80 }] },
  });
  const status = await poll('the budget to block', async () => {
    const b = await call('GET', `${API}/namespaces/default/budgets/tiny`);
    return b.status?.blocking ? b.status : undefined;
  }, 15_000);
  assert.ok(status.spentUSD >= 1);
  const refused = await call('POST', `${API}/namespaces/default/trainingjobs`, job('after-budget', 5)).then(() => undefined, (err) => err);
  assert.equal(refused?.status, 403);
  assert.match(refused.body, /budget default\/tiny blocks new workloads/);
  const got = await runQm(platform, ['get', 'budgets']);
  assert.match(got.stdout, /tiny\s+namespace\/default\s+Monthly\s+\$1\.00\s+\$[\d.]+\s+\$[\d.]+\s+80%\s+true/);
});
