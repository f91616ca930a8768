/**
 * Kueue's performance configuration through `qm simulate` end to end (issue "The scheduler",
 * Performance): a Scenario with N workloads over Q leaf queues in cohorts (parent queues), mixed
 * sizes and priorities, submitted over virtual time on a cluster big enough to hold them, run by
 * simulateScenario — the simulator's event loop, the MemoryStore, the SimExecutor and the real
 * scheduler. Reports admissions per second of wall time for the whole simulation (stricter than
 * scheduler time alone). Baseline in the same run: the same scenario with a trivial first-fit
 * stand-in scheduler (how fast the simulator itself goes), and Kueue's published ~43 admissions/s.
 *
 *   npx tsc -b bench && node bench/dist/simulate-kueue.js [--workloads 15000] [--queues 30] [--cohorts 6]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { ApiObject, Scenario } from '@qm/api';
import { createScheduler, type Scheduler, type SchedulerDeps } from '@qm/core';
import { firstFitScheduler, simulateScenario } from '@qm/sim';
import { printTable } from './support.js';

const { values } = parseArgs({ options: {
  workloads: { type: 'string', default: '15000' }, queues: { type: 'string', default: '30' }, cohorts: { type: 'string', default: '6' },
} });
const WORKLOADS = Number(values.workloads);
const QUEUES = Number(values.queues);
const COHORTS = Number(values.cohorts);
const KUEUE_PER_SECOND = 43;
const QM = 'ml.quartermaster.dev/v1alpha1';

/** [workers, gpusPerWorker, weight]: Kueue's perf mix of small, medium and large. */
const SIZES: Array<[number, number, number]> = [[1, 1, 60], [1, 4, 25], [2, 4, 10], [4, 8, 5]];

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function scenario(): Scenario {
  const rand = lcg(42);
  const meanGpus = SIZES.reduce((a, [w, g, p]) => a + w * g * p, 0) / SIZES.reduce((a, s) => a + s[2], 0);
  // Big enough to hold every workload at once, so admission is the only thing measured.
  const nodes = Math.ceil((WORKLOADS * meanGpus * 1.3) / 8);
  const objects: ApiObject[] = [];
  for (let i = 0; i < nodes; i++) {
    objects.push({ apiVersion: QM, kind: 'Node', metadata: { name: `n-${String(i).padStart(5, '0')}`, labels: { 'quartermaster.dev/gpu-model': 'A100-80GB' } },
      status: { capacity: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': 8 } } });
  }
  for (const [name, value] of [['low', 0], ['normal', 100], ['high', 1000]] as const) {
    objects.push({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value } as ApiObject);
  }
  for (let c = 0; c < COHORTS; c++) objects.push({ apiVersion: QM, kind: 'Queue', metadata: { name: `cohort-${c}` }, spec: {} });
  const perQueue = Math.floor((nodes * 8 * 0.9) / QUEUES);
  for (let q = 0; q < QUEUES; q++) {
    objects.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: `ns-${q}` } });
    objects.push({ apiVersion: QM, kind: 'Queue', metadata: { name: `q-${q}` }, spec: { parent: `cohort-${q % COHORTS}`, namespaces: [`ns-${q}`], guaranteed: { 'nvidia.com/gpu': perQueue } } });
  }
  const total = SIZES.reduce((a, s) => a + s[2], 0);
  const submissions = Array.from({ length: WORKLOADS }, (_, i) => {
    let pick = rand() * total;
    const [workers, gpusPerWorker] = SIZES.find((s) => (pick -= s[2]) < 0) ?? SIZES[0]!;
    const p = rand();
    return {
      at: Math.floor(i / 100), // 100 submissions per virtual second, as Kueue's generator does in bursts
      work: 3600 * 24,
      object: { apiVersion: QM, kind: 'TrainingJob', metadata: { name: `w-${i}`, namespace: `ns-${i % QUEUES}` },
        spec: { workers, gpusPerWorker, command: ['train'], priorityClassName: p < 0.1 ? 'high' : p < 0.7 ? 'normal' : 'low' } } as ApiObject,
    };
  });
  return { apiVersion: QM, kind: 'Scenario', metadata: { name: 'kueue-perf' }, spec: { seed: 1, until: Math.ceil(WORKLOADS / 100) + 60, objects, submissions } } as unknown as Scenario;
}

/** Runs the scenario with `make`'s scheduler, timing its passes (scheduler time) and the whole run. */
async function run(label: string, make: (deps: SchedulerDeps) => Scheduler) {
  let passMs = 0;
  const timed = (deps: SchedulerDeps): Scheduler => {
    const inner = make(deps);
    return {
      async runPass() {
        const t0 = performance.now();
        try { return await inner.runPass(); } finally { passMs += performance.now() - t0; }
      },
      close: () => inner.close(),
    };
  };
  const started = performance.now();
  const report = await simulateScenario(scenario(), { createScheduler: timed });
  const seconds = (performance.now() - started) / 1000;
  const admitted = report.workloads.filter((w) => w.admittedAt !== null).length;
  return { label, admitted, seconds, perSecond: admitted / seconds, schedulerSeconds: passMs / 1000, perSchedulerSecond: admitted / (passMs / 1000) };
}

const baseline = await run('first-fit stand-in (simulator floor)', firstFitScheduler);
const real = await run('real scheduler', createScheduler);
console.log(`${WORKLOADS} workloads / ${QUEUES} queues / ${COHORTS} cohorts through simulateScenario:`);
printTable([baseline, real].map((r) => ({
  scheduler: r.label, admitted: r.admitted,
  'scheduler s': r.schedulerSeconds.toFixed(2), 'admissions/s of scheduler time': Math.round(r.perSchedulerSecond),
  'whole run s': r.seconds.toFixed(1), 'admissions/s of wall time': Math.round(r.perSecond),
})));
console.log(`\nscheduler time: real = ${(real.perSchedulerSecond / KUEUE_PER_SECOND).toFixed(0)}× Kueue's ~${KUEUE_PER_SECOND}/s (target ≥ 5,000/s); `
  + `whole run: real / first-fit floor = ${(real.perSecond / baseline.perSecond).toFixed(2)}× (load average ${loadavg()[0]!.toFixed(2)})`);
