/**
 * Live admission latency (issue "The scheduler", Performance): on a real server (HTTP, SQLite,
 * the live scheduler loop) with free GPUs, the time from submitting a TrainingJob that fits to
 * seeing it `Admitted` on a watch. Baseline measured in the same run: the time from submitting
 * a Namespace (nothing to decide) to seeing its ADDED event on the same kind of watch — the
 * floor of write + watch delivery on this machine. Target: admission p99 < 50 ms.
 *
 *   npx tsc -b bench && node bench/dist/admission-latency.js [--jobs 300]
 */
import { parseArgs } from 'node:util';
import { openBenchWatch, percentile, printTable, startBenchServer } from './support.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '300' } } });
const JOBS = Number(values.jobs);
const QM = '/apis/ml.quartermaster.dev/v1alpha1';

async function post(url: string, token: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

async function del(url: string, token: string, path: string): Promise<void> {
  const res = await fetch(`${url}${path}`, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
}

async function main(): Promise<void> {
  const server = await startBenchServer(['--virtual-gpus', '8']);
  const { url, token } = server;
  try {
    await post(url, token, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    await post(url, token, `${QM}/queues`, {
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'bench' },
      spec: { namespaces: ['bench'], guaranteed: { 'nvidia.com/gpu': 8 } },
    });

    // Baseline: write → watch delivery, nothing decided.
    const nsWatch = await openBenchWatch(url, token, '/api/v1/namespaces');
    const baselineMs: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const name = `floor-${i}`;
      const seen = nsWatch.when(name, () => true);
      const t0 = performance.now();
      await post(url, token, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      baselineMs.push((await seen) - t0);
    }
    nsWatch.close();

    // Admission: submit a 1-GPU job into an empty 8-GPU cluster, wait for Admitted, delete it.
    const jobWatch = await openBenchWatch(url, token, `${QM}/namespaces/bench/trainingjobs`);
    const admitMs: number[] = [];
    for (let i = 0; i < JOBS; i++) {
      const name = `job-${i}`;
      const admitted = jobWatch.when(name, (o) => o.status?.phase === 'Admitted' || o.status?.phase === 'Running');
      const t0 = performance.now();
      await post(url, token, `${QM}/namespaces/bench/trainingjobs`, {
        apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: 'bench' },
        spec: { workers: 1, gpusPerWorker: 1, command: ['true'] },
      });
      admitMs.push((await admitted) - t0);
      await del(url, token, `${QM}/namespaces/bench/trainingjobs/${name}`);
    }
    jobWatch.close();

    baselineMs.sort((a, b) => a - b);
    admitMs.sort((a, b) => a - b);
    const row = (what: string, xs: number[]) => ({ what, n: xs.length, 'p50 ms': percentile(xs, 50).toFixed(1), 'p99 ms': percentile(xs, 99).toFixed(1), 'max ms': xs[xs.length - 1]!.toFixed(1) });
    printTable([row('write → watch (baseline)', baselineMs), row('apply → Admitted', admitMs)]);
    console.log(`\nadmission p99 / baseline p99 = ${(percentile(admitMs, 99) / percentile(baselineMs, 99)).toFixed(2)}×  (target: admission p99 < 50 ms)`);
  } finally {
    await server.stop();
  }
}

await main();
