/**
 * Serving autoscaling under a 10× load step (issue "Model serving", Performance): the real
 * platform (scheduler, serving runtime, gateway, HPA loop at a 1 s sync period) runs the example
 * sentiment model (examples/serving/model_server.py) with 1 replica and an autoscaling/v2 HPA on
 * `http_requests_per_second` per replica. An open-loop generator offers a baseline rate until the
 * HPA is steady, then steps to 10× that rate. Reported:
 *   - time from the step until the HPA decides (spec.replicas first changes),
 *   - time until the replicas it asked for are ready (status.readyReplicas reaches spec.replicas),
 *   - the share of requests over the latency target during the scale-up window vs the share over
 *     it in the baseline window of the same run (and after the scale-up, at 10× load).
 * Latency counts from when each request was due (open loop: no coordinated omission).
 *
 *   npx tsc -b bench && node bench/dist/autoscale-step.js [--baseline-rps 3] [--step 10]
 *     [--target-rps-per-replica 10] [--latency-target-ms 100] [--baseline-s 20] [--after-s 20]
 *     [--rate-window 30s]   (the server's --gateway-rate-window: how far back requests/s averages)
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { percentile, printTable, REPO_ROOT, startBenchServer, type BenchServer } from './support.js';

const { values } = parseArgs({
  options: {
    'baseline-rps': { type: 'string', default: '3' },
    step: { type: 'string', default: '10' },
    'target-rps-per-replica': { type: 'string', default: '10' },
    'max-replicas': { type: 'string', default: '6' },
    'latency-target-ms': { type: 'string', default: '100' },
    'baseline-s': { type: 'string', default: '20' },
    'after-s': { type: 'string', default: '20' },
    'scale-up-timeout-s': { type: 'string', default: '120' },
    'rate-window': { type: 'string', default: '30s' },
  },
});
const BASELINE_RPS = Number(values['baseline-rps']);
const STEP_RPS = BASELINE_RPS * Number(values.step);
const TARGET_PER_REPLICA = Number(values['target-rps-per-replica']);
const MAX_REPLICAS = Number(values['max-replicas']);
const LATENCY_TARGET_MS = Number(values['latency-target-ms']);
const BASELINE_S = Number(values['baseline-s']);
const AFTER_S = Number(values['after-s']);
const SCALE_UP_TIMEOUT_S = Number(values['scale-up-timeout-s']);

const QM = '/apis/ml.quartermaster.dev/v1alpha1';
const NS = 'bench-serve';
const NAME = 'sentiment';
const MD_PATH = `${QM}/namespaces/${NS}/modeldeployments/${NAME}`;
const HPA_PATH = `/apis/autoscaling/v2/namespaces/${NS}/horizontalpodautoscalers`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api(server: BenchServer, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${server.url}${path}`, {
    method, headers: { Authorization: `Bearer ${server.token}`, 'Content-Type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 400) throw new Error(`${method} ${path}: HTTP ${res.status} ${text}`);
  return JSON.parse(text);
}

/** One request's outcome: when it was due and how long from then until its answer (or failure). */
interface Sample { dueMs: number; latencyMs: number; ok: boolean }

/**
 * An open-loop generator whose rate can change while it runs (what `qm load` does for one fixed
 * rate): request i is due at the previous due time + 1/rps, sent on time whatever the earlier
 * ones are doing.
 */
function openLoop(url: string, body: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1000 });
  const payload = Buffer.from(body);
  const samples: Sample[] = [];
  const pending = new Set<Promise<void>>();
  let rps = 0;
  let running = true;
  const fire = (dueMs: number) => {
    const p = new Promise<void>((resolve) => {
      let done = false;
      const finish = (ok: boolean) => {
        if (done) return;
        done = true;
        samples.push({ dueMs, latencyMs: performance.now() - dueMs, ok });
        resolve();
      };
      const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': payload.length } }, (res) => {
        res.on('data', () => {});
        res.on('end', () => finish((res.statusCode ?? 500) < 400));
        res.on('error', () => finish(false));
      });
      req.setTimeout(30_000, () => { finish(false); req.destroy(); });
      req.on('error', () => finish(false));
      req.end(payload);
    });
    pending.add(p);
    void p.then(() => pending.delete(p));
  };
  const loop = (async () => {
    let next = performance.now();
    while (running) {
      const now = performance.now();
      // Catch up on every request that is due (a late timer must not lower the offered rate).
      while (rps > 0 && next <= now) {
        fire(next);
        next += 1000 / rps;
      }
      if (rps === 0) next = now;
      await sleep(Math.max(0, Math.min(5, next - performance.now())));
    }
  })();
  return {
    samples,
    setRate(newRps: number) { rps = newRps; },
    async stop() {
      running = false;
      await loop;
      await Promise.all([...pending]);
      agent.destroy();
    },
  };
}

function windowStats(samples: Sample[], fromMs: number, toMs: number) {
  const inWindow = samples.filter((s) => s.dueMs >= fromMs && s.dueMs < toMs);
  const latencies = inWindow.map((s) => s.latencyMs).sort((a, b) => a - b);
  const over = inWindow.filter((s) => !s.ok || s.latencyMs > LATENCY_TARGET_MS).length;
  return {
    requests: inWindow.length,
    failed: inWindow.filter((s) => !s.ok).length,
    overShare: inWindow.length ? over / inWindow.length : NaN,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    seconds: (toMs - fromMs) / 1000,
  };
}

async function main() {
  // The replicas run `python3 examples/serving/model_server.py` relative to the server's cwd.
  process.chdir(REPO_ROOT);
  const server = await startBenchServer(['--hpa-sync-period', '1s', '--gateway-rate-window', values['rate-window']!]);
  console.log(`gateway rate window ${values['rate-window']}`);
  try {
    await api(server, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    await api(server, 'POST', `${QM}/queues`, {
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: NS }, spec: { namespaces: [NS], guaranteed: { cpu: '4', memory: '4Gi' } },
    });
    await api(server, 'POST', `${QM}/namespaces/${NS}/modeldeployments`, {
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: NAME, namespace: NS },
      spec: {
        replicas: 1, command: ['python3', 'examples/serving/model_server.py'], port: 8000, resources: { cpu: '100m', memory: '64Mi' },
        readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 },
        strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } }, terminationGracePeriodSeconds: 5,
      },
    });
    let md: any;
    for (const t0 = performance.now(); !(md?.status?.readyReplicas === 1 && md?.status?.endpoint);) {
      if (performance.now() - t0 > 60_000) throw new Error(`first replica not ready: ${JSON.stringify(md?.status)}`);
      await sleep(200);
      md = await api(server, 'GET', MD_PATH);
    }
    const endpoint = md.status.endpoint as string;
    await api(server, 'POST', HPA_PATH, {
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: NAME, namespace: NS },
      spec: {
        scaleTargetRef: { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', name: NAME },
        minReplicas: 1, maxReplicas: MAX_REPLICAS,
        metrics: [{ type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: String(TARGET_PER_REPLICA) } } }],
        behavior: {
          scaleUp: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: MAX_REPLICAS, periodSeconds: 1 }] },
          scaleDown: { stabilizationWindowSeconds: 300 },
        },
      },
    });

    const load = openLoop(`${endpoint}v1/predict`, JSON.stringify({ text: 'a wonderful, happy day, not slow at all' }));
    load.setRate(BASELINE_RPS);
    // Baseline: the first 5 s warm the connection and the replica; the rest is the measured window.
    await sleep(5_000);
    const baselineFrom = performance.now();
    await sleep(BASELINE_S * 1000);
    md = await api(server, 'GET', MD_PATH);
    if (md.spec.replicas !== 1) throw new Error(`the HPA already scaled at the baseline rate (spec.replicas ${md.spec.replicas}); lower --baseline-rps`);

    const stepMs = performance.now();
    load.setRate(STEP_RPS);
    let decidedMs: number | undefined;
    let readyMs: number | undefined;
    let decidedReplicas = 1;
    const replicaTimeline: string[] = [];
    let lastSeen = '';
    while (readyMs === undefined) {
      if (performance.now() - stepMs > SCALE_UP_TIMEOUT_S * 1000) break;
      md = await api(server, 'GET', MD_PATH);
      const now = performance.now();
      const seen = `${md.spec.replicas}/${md.status?.readyReplicas ?? 0}`;
      if (seen !== lastSeen) replicaTimeline.push(`+${((now - stepMs) / 1000).toFixed(1)}s spec ${md.spec.replicas} ready ${md.status?.readyReplicas ?? 0}`);
      lastSeen = seen;
      if (decidedMs === undefined && md.spec.replicas > 1) decidedMs = now;
      decidedReplicas = md.spec.replicas;
      // Ready once every replica the HPA asked for serves; wait one more sync period in case it asks for more.
      if (decidedMs !== undefined && md.status?.readyReplicas >= md.spec.replicas) {
        await sleep(1_500);
        const again = await api(server, 'GET', MD_PATH);
        if (again.spec.replicas === md.spec.replicas) readyMs = now;
      }
      await sleep(100);
    }
    const afterFrom = performance.now();
    await sleep(AFTER_S * 1000);
    const afterTo = performance.now();
    load.setRate(0);
    await load.stop();
    const hpaStatus = (await api(server, 'GET', `${HPA_PATH}/${NAME}`)).status;

    const baseline = windowStats(load.samples, baselineFrom, stepMs);
    const scaling = windowStats(load.samples, stepMs, readyMs ?? afterFrom);
    const after = windowStats(load.samples, afterFrom, afterTo);
    const row = (phase: string, rps: number, s: ReturnType<typeof windowStats>) => ({
      phase, 'offered rps': rps, seconds: s.seconds, requests: s.requests, failed: s.failed,
      [`> ${LATENCY_TARGET_MS} ms`]: `${(s.overShare * 100).toFixed(1)} %`, 'p50 ms': s.p50, 'p99 ms': s.p99,
    });
    const wanted = Math.min(MAX_REPLICAS, Math.ceil(STEP_RPS / TARGET_PER_REPLICA));
    console.log(`\nautoscale step: ${BASELINE_RPS} → ${STEP_RPS} rps, HPA Pods http_requests_per_second target ${TARGET_PER_REPLICA}/replica, sync 1s, latency target ${LATENCY_TARGET_MS} ms\n`);
    printTable([
      { measure: 'step → HPA decides (spec.replicas changes)', seconds: decidedMs !== undefined ? (decidedMs - stepMs) / 1000 : 'never' },
      { measure: `step → all ${decidedReplicas} replicas ready (formula wants ${wanted})`, seconds: readyMs !== undefined ? (readyMs - stepMs) / 1000 : 'timed out' },
      { measure: 'decision → replicas ready', seconds: readyMs !== undefined && decidedMs !== undefined ? (readyMs - decidedMs) / 1000 : '' },
    ]);
    console.log('');
    printTable([row('baseline', BASELINE_RPS, baseline), row('scale-up (step → ready)', STEP_RPS, scaling), row('after scale-up', STEP_RPS, after)]);
    console.log(`\nshare over ${LATENCY_TARGET_MS} ms, scale-up / baseline: ${baseline.overShare > 0 ? (scaling.overShare / baseline.overShare).toFixed(1) + '×' : `${(scaling.overShare * 100).toFixed(1)} % vs 0 % (baseline had none over target)`}`);
    console.log(`replicas (spec/ready) after the step: ${replicaTimeline.join(', ')}`);
    console.log(`HPA current metrics at the end: ${JSON.stringify(hpaStatus?.currentMetrics)}`);
  } finally {
    await server.stop();
  }
}

await main();
