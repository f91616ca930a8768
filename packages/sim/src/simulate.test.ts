import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Scheduler, SchedulerDeps } from '@qm/core';
import { formatReportJson, formatReportTable } from './format-report.js';
import { parseScenarioText } from './scenario-file.js';
import { simulateScenario } from './simulate.js';
import { firstFitScheduler } from './testing/first-fit-scheduler.js';

const NODE = (name: string, gpus: number, labels = '{quartermaster.dev/gpu-model: A100-80GB}') =>
  `{apiVersion: ml.quartermaster.dev/v1alpha1, kind: Node, metadata: {name: ${name}, labels: ${labels}}, status: {capacity: {cpu: "96", memory: 1Ti, nvidia.com/gpu: ${gpus}}}}`;
const QUEUE = (name: string, guaranteed: number) =>
  `{apiVersion: ml.quartermaster.dev/v1alpha1, kind: Queue, metadata: {name: ${name}}, spec: {namespaces: [${name}], guaranteed: {nvidia.com/gpu: ${guaranteed}}}}`;
const SUB = (at: string, work: string | undefined, ns: string, name: string, spec: string) =>
  `    - {at: ${at}, ${work ? `work: ${work}, ` : ''}object: {apiVersion: ml.quartermaster.dev/v1alpha1, kind: TrainingJob, metadata: {name: ${name}, namespace: ${ns}}, spec: ${spec}}}`;

function scenario(body: { until?: string; objects: string[]; submissions?: string[]; events?: string[] }) {
  const text = [
    'apiVersion: ml.quartermaster.dev/v1alpha1', 'kind: Scenario', 'metadata: {name: t}', 'spec:', '  seed: 3',
    ...(body.until ? [`  until: ${body.until}`] : []),
    '  objects:', ...body.objects.map((o) => `    - ${o}`),
    ...(body.submissions ? ['  submissions:', ...body.submissions] : []),
    ...(body.events ? ['  events:', ...body.events.map((e) => `    - ${e}`)] : []),
  ].join('\n');
  return parseScenarioText('t.yaml', `${text}\n`);
}

const opts = { createScheduler: firstFitScheduler };

const basic = () => scenario({
  until: '6h',
  objects: [NODE('gpu-1', 8), QUEUE('team-a', 4), QUEUE('team-b', 4)],
  submissions: [
    SUB('0', '2h', 'team-a', 'big', '{workers: 2, gpusPerWorker: 4, command: [x], checkpointInterval: 30}'),
    SUB('10m', '1h', 'team-b', 'small', '{gpusPerWorker: 4, command: [x]}'),
    SUB('20m', '1h', 'team-b', 'huge', '{gpusPerWorker: 16, command: [x]}'),
  ],
});

test('report: workloads with times, queues split by guarantee, metrics; never-admitted times are null', async () => {
  const r = await simulateScenario(basic(), opts);
  assert.equal(r.scenario, 't');
  assert.equal(r.endTime, 21600);
  const [big, small, huge] = r.workloads;
  assert.deepEqual(
    { name: big.name, phase: big.phase, submittedAt: big.submittedAt, admittedAt: big.admittedAt, startedAt: big.startedAt, finishedAt: big.finishedAt, nodes: big.nodes, gpus: big.gpus, queue: big.queue },
    { name: 'big', phase: 'Succeeded', submittedAt: 0, admittedAt: 0, startedAt: 0, finishedAt: 7200, nodes: ['gpu-1'], gpus: 8, queue: 'team-a' },
  );
  assert.deepEqual([small.name, small.submittedAt, small.admittedAt, small.finishedAt], ['small', 600, 7200, 10800]);
  assert.deepEqual([huge.name, huge.phase, huge.admittedAt, huge.startedAt, huge.finishedAt], ['huge', 'Pending', null, null, null]);
  assert.deepEqual(r.queues, [
    { name: 'team-a', gpuSecondsUsed: 8 * 7200, guaranteedGpuSeconds: 4 * 7200, borrowedGpuSeconds: 4 * 7200 },
    { name: 'team-b', gpuSecondsUsed: 4 * 3600, guaranteedGpuSeconds: 4 * 3600, borrowedGpuSeconds: 0 },
  ]);
  assert.equal(r.metrics.jobs, 3);
  assert.equal(r.metrics.finished, 2);
  assert.equal(r.metrics.avgJctSeconds, (7200 + 10200) / 2);
  assert.equal(r.metrics.avgQueueingDelaySeconds, (0 + 6600) / 2);
  assert.equal(r.metrics.makespanSeconds, 10800);
  assert.equal(r.metrics.gpuUtilization, Math.round((8 * 7200 + 4 * 3600) / (8 * 21600) * 1e6) / 1e6);
  assert.deepEqual(r.events.filter((e) => e.object === 'team-b/small').map((e) => [e.t, e.reason]), [[7200, 'Admitted'], [7200, 'Started'], [10800, 'Succeeded']]);
});

test('-o json is byte-identical on reruns', async () => {
  const a = formatReportJson(await simulateScenario(basic(), opts));
  const b = formatReportJson(await simulateScenario(basic(), opts));
  assert.equal(a, b);
  assert.ok(a.endsWith('}\n'));
  assert.deepEqual(Object.keys(JSON.parse(a)), ['scenario', 'endTime', 'workloads', 'events', 'queues', 'metrics']);
});

test('untilSeconds stops the run early and running work is counted up to then', async () => {
  const r = await simulateScenario(basic(), { ...opts, untilSeconds: 3600 });
  assert.equal(r.endTime, 3600);
  assert.equal(r.workloads[0].phase, 'Running');
  assert.equal(r.workloads[0].finishedAt, null);
  assert.equal(r.workloads[0].gpuSeconds, 8 * 3600);
  assert.ok(r.events.every((e) => e.t <= 3600));
});

test('without until, the run ends at the last thing that happened', async () => {
  const s = scenario({ objects: [NODE('gpu-1', 8)], submissions: [SUB('5m', '1h', 'team-a', 'one', '{gpusPerWorker: 8, command: [x]}')] });
  const r = await simulateScenario(s, opts);
  assert.equal(r.endTime, 300 + 3600);
  assert.equal(r.metrics.gpuUtilization, Math.round(3600 / 3900 * 1e6) / 1e6);
});

test('spot interruption: notice, interruption, node removed, resumed elsewhere from the save', async () => {
  const s = scenario({
    until: '4h',
    objects: [NODE('spot-1', 8), NODE('zzz-ondemand', 8)],
    submissions: [
      SUB('0', '2h', 'team-a', 'ckpt', '{gpusPerWorker: 4, command: [x], checkpointInterval: 30}'),
      SUB('0', '2h', 'team-a', 'plain', '{gpusPerWorker: 4, command: [x]}'),
    ],
    events: ['{at: 1h, action: spotInterrupt, node: spot-1, noticeSeconds: 120}'],
  });
  const r = await simulateScenario(s, opts);
  const byName = Object.fromEntries(r.workloads.map((w) => [w.name, w]));
  assert.deepEqual([byName.ckpt.preemptions, byName.ckpt.interruptions, byName.ckpt.lostWorkSeconds], [1, 1, 0]);
  assert.deepEqual([byName.plain.preemptions, byName.plain.lostWorkSeconds], [1, 3720]);
  assert.equal(byName.ckpt.finishedAt, 7200); // saved all 3720 s on notice, resumed at once: 3720 + (7200 − 3720)
  assert.equal(byName.plain.finishedAt, 3720 + 7200);
  assert.deepEqual(byName.ckpt.nodes, ['zzz-ondemand']);
  const reasons = r.events.map((e) => `${e.t} ${e.reason} ${e.object}`);
  assert.ok(reasons.includes('3600 SpotInterruption spot-1'), reasons.join('\n'));
  assert.ok(reasons.includes('3720 Interrupted team-a/ckpt'));
  assert.ok(reasons.includes('3720 NodeRemoved spot-1'));
  assert.ok(reasons.includes('3720 Resumed team-a/ckpt'));
  assert.equal(r.metrics.preemptions, 2);
  assert.equal(r.metrics.lostGpuHours, Math.round(3720 * 4 / 3600 * 1e6) / 1e6);
});

test('addNode from a NodePool appears after provisioningSeconds; cost from the pool price', async () => {
  // maxNodes 0: the cluster autoscaler adds no node for the pending job by itself; the event does.
  const pool = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: NodePool, metadata: {name: a100}, spec: {gpuModel: A100-80GB, gpusPerNode: 8, maxNodes: 0, pricePerHour: 32, provisioningSeconds: 300}}';
  const s = scenario({
    objects: [pool],
    submissions: [SUB('0', '1h', 'team-a', 'waits', '{gpusPerWorker: 8, command: [x]}')],
    events: ['{at: 10m, action: addNode, nodePool: a100}'],
  });
  const r = await simulateScenario(s, opts);
  const w = r.workloads[0];
  assert.deepEqual([w.admittedAt, w.finishedAt, w.nodes], [900, 4500, ['a100-1']]);
  assert.equal(w.costUSD, 32);
  assert.equal(r.metrics.costUSD, 32);
  assert.ok(r.events.some((e) => e.t === 900 && e.reason === 'NodeAdded' && e.object === 'a100-1'));
});

test('a pass that preempts is followed by another pass at the same instant', async () => {
  let passes = 0;
  const preemptOnce = (deps: SchedulerDeps): Scheduler => {
    const inner = firstFitScheduler(deps);
    return {
      async runPass() {
        passes++;
        const r = await inner.runPass();
        return passes === 1 ? { ...r, preempted: [{ victim: { kind: 'TrainingJob', namespace: 'x', name: 'v' }, preemptor: { kind: 'TrainingJob', namespace: 'x', name: 'p' }, rule: 'reclaim' }] } : r;
      },
      close() {},
    };
  };
  await simulateScenario(scenario({ objects: [NODE('gpu-1', 8)] }), { createScheduler: preemptOnce });
  assert.equal(passes, 2);
});

test('table output lists workloads, queues and metrics', async () => {
  const table = formatReportTable(await simulateScenario(basic(), opts));
  assert.match(table, /^Scenario t: 3 workloads, ended at 6h \(t=21600s\)/);
  assert.match(table, /team-a\/big\s+TrainingJob\s+team-a\s+Succeeded\s+0s\s+0s\s+2h\s+0\s+0s\s+8\s+gpu-1/);
  assert.match(table, /team-b\/huge\s+TrainingJob\s+team-b\s+Pending\s+20m\s+-\s+-/);
  assert.match(table, /gpuUtilization\s+\d+(\.\d)?%/);
});

test('wake-ups: a pass runs when a pending job\'s queue reclaim delay runs out, and none for stale timers', async () => {
  const passTimes: number[] = [];
  const recording = (deps: SchedulerDeps): Scheduler => {
    const inner = firstFitScheduler(deps);
    return { async runPass() { passTimes.push((deps.clock.now() - Date.UTC(2026, 0, 1)) / 1000); return inner.runPass(); }, close() {} };
  };
  const delayed = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: Queue, metadata: {name: team-a, annotations: {quartermaster.dev/reclaim-delay-seconds: "300"}}, spec: {namespaces: [team-a]}}';
  const s = scenario({
    objects: [NODE('gpu-1', 8), delayed],
    submissions: [
      SUB('10', '100', 'team-a', 'fits', '{gpusPerWorker: 8, command: [x]}'),
      SUB('20', '1h', 'team-a', 'later', '{gpusPerWorker: 8, command: [x]}'),
      SUB('30', '1h', 'team-a', 'never', '{gpusPerWorker: 16, command: [x]}'),
    ],
  });
  await simulateScenario(s, { createScheduler: recording });
  // 0 start; 10, 20, 30 submissions; 110 fits done, later starts; 310 (fits' wake: admitted at once, stale — no pass);
  // 320 (later's wake: running by then, stale — no pass); 330 never's reclaim delay is over and it still waits: a pass;
  // 3710 later done.
  assert.deepEqual(passTimes, [0, 10, 20, 30, 110, 330, 3710]);
});

test('ModelDeployment: replicas serve from placement, lose a removed node and come back, load is recorded, delete ends usage', async () => {
  const md = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: ModelDeployment, metadata: {name: chat, namespace: team-a}, spec: {command: [serve], replicas: 2, resources: {nvidia.com/gpu: 4}}}';
  const prices = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: PriceCatalog, metadata: {name: p}, spec: {gpuHour: {A100-80GB: 3}}}';
  const s = scenario({
    objects: [NODE('gpu-1', 4), NODE('gpu-2', 4), NODE('gpu-3', 4), prices],
    submissions: [`    - {at: 0, object: ${md}}`],
    events: [
      '{at: 1h, action: removeNode, node: gpu-1}',
      '{at: 90m, action: load, target: {namespace: team-a, name: chat}, rps: 800}',
      '{at: 2h, action: delete, target: {kind: ModelDeployment, namespace: team-a, name: chat}}',
    ],
  });
  const r = await simulateScenario(s, opts);
  const chat = r.workloads[0];
  assert.deepEqual(
    [chat.kind, chat.phase, chat.admittedAt, chat.startedAt, chat.finishedAt, chat.gpus, chat.preemptions, chat.nodes, chat.offeredRps],
    ['ModelDeployment', 'Deleted', 0, 0, null, 8, 1, ['gpu-2', 'gpu-3'], 800],
  );
  assert.equal(chat.gpuSeconds, 8 * 7200);
  // OpenCost split: a 4-GPU node at 4 × $3 = $12/h; host 96 vCPU + 1 TiB at OpenCost rates exceeds half the price, so
  // it takes $6 and each GPU $1.5/h. The replicas ask for GPUs only: 8 GPUs × 2 h × $1.5 (the rest is idle).
  assert.equal(chat.costUSD, 8 * 2 * 1.5);
  assert.equal(r.metrics.nodeCostUSD! - r.metrics.idleCostUSD!, chat.costUSD);
  // 800 requests/s served from 90 m to 2 h (no per-replica cap): 1,440,000 requests for $24.
  assert.equal(chat.serving?.servedRequests, 800 * 1800);
  assert.equal(chat.serving?.usdPer1kRequests, 0.016667);
  const lines = r.events.filter((e) => e.object === 'team-a/chat').map((e) => `${e.t} ${e.reason} ${e.message}`);
  assert.deepEqual(lines, [
    '0 Started replicas 0 on gpu-1, 1 on gpu-2 started',
    '3600 Interrupted 1 replica lost: node gpu-1 was removed',
    '3600 Started replica 0 on gpu-3 started',
    '5400 LoadChanged offered load is now 800 requests/s',
    '7200 Deleted ModelDeployment deleted by the scenario',
  ]);
});

test('serving: an HPA scales a ModelDeployment in virtual time; the cluster autoscaler adds a pool node for the replica that does not fit', async () => {
  const pool = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: NodePool, metadata: {name: p}, spec: {gpusPerNode: 1, maxNodes: 2, provisioningSeconds: 30, scaleDownUnneededSeconds: 60}}';
  const md = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: ModelDeployment, metadata: {name: chat, namespace: team-a}, spec: {command: [x], replicas: 1, resources: {nvidia.com/gpu: 1}, simulation: {requestsPerSecondPerReplica: 10}}}';
  const hpa = '{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: chat, namespace: team-a}, spec: {scaleTargetRef: {kind: ModelDeployment, name: chat}, maxReplicas: 3, metrics: [{type: Pods, pods: {metric: {name: http_requests_per_second}, target: {type: AverageValue, averageValue: "5"}}}]}}';
  const s = scenario({
    until: '10m',
    objects: [NODE('gpu-1', 1), QUEUE('team-a', 4), pool, md, hpa],
    events: ['{at: 30, action: load, target: {namespace: team-a, name: chat}, rps: 10}'],
  });
  const r = await simulateScenario(s, { ...opts, hpaSyncPeriodMs: 10_000 });
  const at = (reason: string) => r.events.filter((e) => e.reason === reason).map((e) => [e.t, e.object]);
  // t=30: 1 replica serving 10 → ratio 2 → 2 replicas; the second fits nowhere → a pool node at 60.
  assert.deepEqual(at('ScaledUp'), [[30, 'team-a/chat']]);
  assert.deepEqual(at('NodeAdded'), [[60, 'p-1']]);
  assert.equal(r.workloads[0].serving?.peakReplicas, 2);
  assert.equal(r.workloads[0].serving?.refusedRequests, 0, 'one replica serves 10/s until the second is up');
});

test('serving: without until, HPA ticks stop once nothing else is left to happen', async () => {
  const md = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: ModelDeployment, metadata: {name: chat, namespace: team-a}, spec: {command: [x], replicas: 1}}';
  const hpa = '{apiVersion: autoscaling/v2, kind: HorizontalPodAutoscaler, metadata: {name: chat, namespace: team-a}, spec: {scaleTargetRef: {kind: ModelDeployment, name: chat}, maxReplicas: 3, metrics: [{type: Pods, pods: {metric: {name: in_flight_requests}, target: {type: AverageValue, averageValue: "5"}}}]}}';
  const r = await simulateScenario(scenario({ objects: [NODE('gpu-1', 1), QUEUE('team-a', 4), md, hpa] }), opts);
  assert.equal(r.endTime, 0, 'no activity after t=0: the report ends there');
});
