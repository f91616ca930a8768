/**
 * Training start and preemption latency (issue "Training jobs for real", Performance), on a real
 * server (HTTP, SQLite, live scheduler, local executor) with virtual GPUs:
 *   1. `apply → all workers running` for a 4-worker job (target p99 < 300 ms);
 *   2. `preemption decision → victim's GPUs free`: from the moment the victim's status says it was
 *      preempted to the moment the preemptor's workers run on those GPUs (the victim exits on
 *      SIGTERM at once, so no grace period is in the number).
 * Baseline measured in the same run: spawning 4 idle Node processes in parallel from this process
 * (until their 'spawn' events) — the floor of starting four workers on this machine.
 *
 *   npx tsc -b bench && node bench/dist/training-start.js [--runs 30]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { openBenchWatch, percentile, printTable, startBenchServer } from './support.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '30' } } });
const RUNS = Number(values.runs);
const QM = '/apis/ml.quartermaster.dev/v1alpha1';
const JOBS = `${QM}/namespaces/bench/trainingjobs`;
/** A worker that idles until SIGTERM (Node exits on SIGTERM by default). */
const IDLE_WORKER = [process.execPath, '-e', 'setInterval(() => {}, 1000)'];

async function api(url: string, token: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok && !(method === 'DELETE' && res.status === 404)) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

function job(name: string, workers: number, priorityClassName: string) {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: 'bench' },
    spec: { workers, gpusPerWorker: 2, command: IDLE_WORKER, terminationGracePeriodSeconds: 5, priorityClassName, resources: { cpu: '10m', memory: '16Mi' } },
  };
}

const allRunning = (o: any) => o.status?.phase === 'Running' && (o.status.workers ?? []).length > 0
  && o.status.workers.every((w: any) => w.phase === 'Running');
const preempted = (o: any) => (o.status?.conditions ?? []).some((c: any) => c.type === 'Preempted' && c.status === 'True') && o.status?.phase === 'Pending';

/** Spawns 4 idle Node processes in parallel and waits for their 'spawn' events (what "Running" means to the executor too). */
async function spawnBaseline(): Promise<number> {
  const t0 = performance.now();
  const children = await Promise.all(Array.from({ length: 4 }, async () => {
    const child = spawn(IDLE_WORKER[0]!, IDLE_WORKER.slice(1), { stdio: 'ignore', detached: true });
    await once(child, 'spawn');
    return child;
  }));
  const elapsedMs = performance.now() - t0;
  await Promise.all(children.map(async (c) => { c.kill('SIGKILL'); await once(c, 'exit'); }));
  return elapsedMs;
}

async function main(): Promise<void> {
  const server = await startBenchServer(['--virtual-gpus', '8']);
  const { url, token } = server;
  const call = (method: string, path: string, body?: unknown) => api(url, token, method, path, body);
  try {
    await call('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    await call('POST', `${QM}/queues`, { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'bench' }, spec: { namespaces: ['bench'], guaranteed: { 'nvidia.com/gpu': 8 } } });
    for (const [name, value] of [['low', 10], ['high', 1000]] as const) {
      await call('POST', '/apis/scheduling.k8s.io/v1/priorityclasses', { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value });
    }
    const watch = await openBenchWatch(url, token, JOBS);

    const baselineMs: number[] = [];
    const startMs: number[] = [];
    const preemptMs: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      baselineMs.push(await spawnBaseline());

      // 1. A 4-worker job on an idle cluster.
      const name = `start-${i}`;
      const running = watch.when(name, allRunning);
      const t0 = performance.now();
      await call('POST', JOBS, job(name, 4, 'low'));
      startMs.push((await running) - t0);

      // 2. A high-priority 4-worker job needs the same 8 GPUs: the low one is preempted.
      const hi = `preemptor-${i}`;
      const victimOut = watch.when(name, preempted);
      const hiRunning = watch.when(hi, allRunning);
      await call('POST', JOBS, job(hi, 4, 'high'));
      preemptMs.push((await hiRunning) - (await victimOut));

      await call('DELETE', `${JOBS}/${name}`);
      await call('DELETE', `${JOBS}/${hi}`);
      // Let the executor reap both gangs before the next round needs the GPUs again.
      for (let tries = 0; tries < 200; tries++) {
        const list = await call('GET', JOBS);
        if (list.items.length === 0) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    watch.close();

    for (const xs of [baselineMs, startMs, preemptMs]) xs.sort((a, b) => a - b);
    const row = (what: string, xs: number[]) => ({ what, n: xs.length, 'p50 ms': percentile(xs, 50).toFixed(1), 'p99 ms': percentile(xs, 99).toFixed(1) });
    printTable([
      row('spawn 4 node processes (baseline)', baselineMs),
      row('apply → 4 workers Running', startMs),
      row('victim preempted → preemptor Running', preemptMs),
    ]);
    console.log(`\nstart p50 / baseline p50 = ${(percentile(startMs, 50) / percentile(baselineMs, 50)).toFixed(2)}×  (target: start p99 < 300 ms)`);
  } finally {
    await server.stop();
  }
}

await main();
