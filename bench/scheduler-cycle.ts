/**
 * Scheduler benchmark (issue "The scheduler", Performance), in scheduler time (no HTTP):
 *  (a) Kueue's performance configuration — 15,000 workloads over 30 queues in 6 cohorts (parent
 *      queues), mixed sizes (1–32 GPUs, gangs of up to 4 workers) and priorities — submitted in
 *      batches to a MemoryStore with a virtual clock and admitted through createScheduler/runPass on
 *      a cluster big enough to hold them: admissions per second of runPass time. Kueue reports
 *      about 43/s on its harness; the target here is ≥ 5,000/s.
 *  (b) the same with 50,000 workloads over 1,000 queues: target ≥ 1,000/s.
 *  (c) one cycle (scheduleCycle on a prepared input) with 10,000 pending workloads on a full
 *      2,000-node × 8-GPU cluster: p50/p99 over the cycles; target p99 < 50 ms. Two variants:
 *      steady state (same priorities as what runs) and with 1% high-priority work that preempts;
 *      cold (built from the input) and warm (a CycleMemo from the previous cycle, as the live
 *      scheduler runs: one job arrived, or one running job ended, since that cycle).
 * Baseline measured in the same run: a naive placer that tries every node for every pending
 * workload of (c) (first fit, no index, no quota, no preemption, no estimates) — the floor of
 * "just look at every node" on this machine.
 *
 *   npx tsc -b bench && node bench/dist/scheduler-cycle.js [--cycles 50] [--skip-b] [--only c|ab]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { ApiObject } from '@qm/api';
import {
  CycleMemo, FakeClock, createScheduler, cycleInputFrom, cycleOptions, makeJob, makeNode, makePriorityClass, makeQueue, scheduleCycle, seededRng,
  type CycleInput, type Recorder, type WorkloadInput,
} from '@qm/core';
import { MemoryStore } from '@qm/store';
import { percentile, printTable } from './support.js';

const { values } = parseArgs({ options: {
  cycles: { type: 'string', default: '50' }, 'skip-b': { type: 'boolean', default: false }, only: { type: 'string', default: '' }, help: { type: 'boolean', default: false },
} });
if (values.help) {
  console.log('node bench/dist/scheduler-cycle.js [--cycles 50] [--skip-b] [--only c|ab]');
  process.exit(0);
}
const CYCLES = Number(values.cycles);
const KUEUE_PER_SECOND = 43;
const T0 = Date.parse('2025-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Deterministic numbers in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

function nodeName(i: number): string {
  return `gpu-${String(i).padStart(5, '0')}`;
}

function nodes(count: number): ApiObject[] {
  return Array.from({ length: count }, (_, i) => makeNode(nodeName(i), { gpus: 8, model: i % 4 === 3 ? 'H100' : 'A100-80GB' }));
}

/** `leaves` leaf queues under `cohorts` parent queues; guarantees cover 90% of the GPUs. */
function queues(leaves: number, cohorts: number, gpuTotal: number): ApiObject[] {
  const per = Math.floor((gpuTotal * 0.9) / leaves);
  const out = Array.from({ length: cohorts }, (_, c) => makeQueue(`cohort-${c}`, {}));
  for (let i = 0; i < leaves; i++) {
    out.push(makeQueue(`q-${i}`, { parent: `cohort-${i % cohorts}`, namespaces: [`ns-${i}`], guaranteed: { 'nvidia.com/gpu': per } }));
  }
  return out;
}

const priorityClasses = () => [makePriorityClass('low', 0), makePriorityClass('normal', 100), makePriorityClass('high', 1000)];

/** [workers, gpusPerWorker, percent]: small, medium, large and gangs (mean 3.76 GPUs). */
const SIZES: Array<[number, number, number]> = [[1, 1, 40], [1, 2, 20], [1, 4, 20], [1, 8, 15], [2, 8, 4], [4, 8, 1]];

function pendingJobs(count: number, leaves: number, rnd: () => number, o: { prefix: string; highShare: number; startMs: number }): ApiObject[] {
  const out: ApiObject[] = [];
  for (let i = 0; i < count; i++) {
    let x = rnd() * 100;
    let size = SIZES[0];
    for (const s of SIZES) {
      if (x < s[2]) {
        size = s;
        break;
      }
      x -= s[2];
    }
    const p = rnd();
    const priorityClassName = p < o.highShare ? 'high' : p < 0.7 ? 'normal' : 'low';
    const q = Math.floor(rnd() * leaves);
    const h100 = rnd() < 0.2;
    out.push(makeJob(`${o.prefix}-${i}`, {
      namespace: `ns-${q}`, workers: size[0], gpusPerWorker: size[1], createdAt: iso(o.startMs + i * 10),
      spec: { priorityClassName, ...(h100 ? { nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' } } : {}) },
    }));
  }
  return out;
}

/** Running jobs filling every GPU, each to the least-used queue (the steady state fair share reaches). */
function runningFill(nodeCount: number, leaves: number, nowMs: number, rnd: () => number): ApiObject[] {
  const patterns = [[8], [4, 4], [4, 2, 1, 1], [2, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1, 1], [2, 2, 4]];
  const used = new Array<number>(leaves).fill(0);
  const out: ApiObject[] = [];
  let j = 0;
  for (let n = 0; n < nodeCount; n++) {
    let first = 0;
    for (const size of patterns[n % patterns.length]) {
      const gpus = Array.from({ length: size }, (_, k) => first + k);
      first += size;
      let q = 0;
      for (let i = 1; i < leaves; i++) if (used[i] < used[q]) q = i;
      used[q] += size;
      out.push(makeJob(`run-${j++}`, {
        namespace: `ns-${q}`, gpusPerWorker: size, createdAt: iso(T0 - 86_400_000 + j),
        spec: { priorityClassName: 'normal', ...(n % 4 === 3 ? { nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' } } : {}) },
        status: {
          phase: 'Running', queue: `q-${q}`, priority: 100, admittedAt: iso(nowMs - 3_600_000), startTime: iso(nowMs - 3_600_000),
          expectedEndTime: iso(nowMs + 60_000 + Math.floor(rnd() * 6 * 3_600_000)), workers: [{ rank: 0, node: nodeName(n), gpus, phase: 'Running' }],
        },
      }));
    }
  }
  return out;
}

const silent: Recorder = { record: () => {} };

/** (a)/(b): submit in batches, a pass after each; only runPass time counts. */
async function admissionRun(workloads: number, leaves: number, cohorts: number, batch: number) {
  const nodeCount = Math.ceil((workloads * 3.76 * 1.25) / 8);
  const clock = new FakeClock(T0);
  const store = new MemoryStore(clock);
  for (const obj of [...nodes(nodeCount), ...queues(leaves, cohorts, nodeCount * 8), ...priorityClasses()]) await store.create(obj);
  const scheduler = createScheduler({ store, recorder: silent, clock, rng: seededRng(1) });
  const jobs = pendingJobs(workloads, leaves, lcg(7), { prefix: 'w', highShare: 0.05, startMs: T0 });
  let admitted = 0;
  let passMs = 0;
  let passes = 0;
  let writes = 0;
  for (let i = 0; i < jobs.length; i += batch) {
    for (const job of jobs.slice(i, i + batch)) await store.create(job);
    clock.advance(1_000);
    const t0 = performance.now();
    const r = await scheduler.runPass();
    passMs += performance.now() - t0;
    passes++;
    admitted += r.admitted.length;
    writes += r.writes;
  }
  // Whatever a batch left pending (none when the cluster holds everything).
  for (let extra = 0; admitted < workloads && extra < 5; extra++) {
    const t0 = performance.now();
    const r = await scheduler.runPass();
    passMs += performance.now() - t0;
    passes++;
    admitted += r.admitted.length;
    if (r.admitted.length === 0) break;
  }
  // The first pass after the last batch's writes still sees those writes (our own) as changes;
  // the second sees nothing new at all.
  const t0 = performance.now();
  const idle = await scheduler.runPass();
  const idleMs = performance.now() - t0;
  const t1 = performance.now();
  const idle2 = await scheduler.runPass();
  const idle2Ms = performance.now() - t1;
  scheduler.close();
  return {
    workloads, leaves, nodes: nodeCount, admitted, passes, passMs, perSecond: admitted / (passMs / 1000), writes, idleMs, idleWrites: idle.writes + idle2.writes, idle2Ms,
  };
}

function cycleTimes(input: CycleInput, nowMs: number): { p50: number; p99: number; max: number; admitted: number; preempted: number; estimates: number } {
  const opts = cycleOptions(nowMs);
  const times: number[] = [];
  let last = scheduleCycle(input, opts);
  for (let i = 0; i < 3; i++) scheduleCycle(input, opts); // warm-up
  for (let i = 0; i < CYCLES; i++) {
    const t0 = performance.now();
    last = scheduleCycle(input, opts);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50), p99: percentile(times, 99), max: times[times.length - 1],
    admitted: last.admitted.length, preempted: last.preempted.length, estimates: last.pending.filter((p) => p.estimatedStartMs !== undefined).length,
  };
}

/**
 * (c) warm: a long-lived scheduler keeps a CycleMemo, so each cycle starts from the last one's
 * snapshot and answers. `change(i, input)` is what happened since the previous cycle.
 */
function warmCycleTimes(input: CycleInput, nowMs: number, change: (i: number, input: CycleInput) => CycleInput) {
  const memo = new CycleMemo();
  const times: number[] = [];
  let current = input;
  let last = scheduleCycle(current, { ...cycleOptions(nowMs), memo });
  for (let i = 0; i < CYCLES + 3; i++) {
    current = change(i, current);
    const t0 = performance.now();
    last = scheduleCycle(current, { ...cycleOptions(nowMs), memo });
    if (i >= 3) times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return {
    p50: percentile(times, 50), p99: percentile(times, 99),
    admitted: last.admitted.length, preempted: last.preempted.length, estimates: last.pending.filter((p) => p.estimatedStartMs !== undefined).length,
  };
}

/** One more pending job (a copy of a pending one under a new name). */
function withArrival(i: number, input: CycleInput): CycleInput {
  const template = input.workloads.find((w) => !w.admitted)!;
  const name = `arrival-${i}`;
  const w: WorkloadInput = { ...template, key: { ...template.key, name }, id: `TrainingJob/${template.namespace}/${name}`, createdMs: template.createdMs + 1e9 + i };
  return { ...input, workloads: [...input.workloads, w] };
}

/** One running job ended (the first admitted one left). */
function withEnd(_i: number, input: CycleInput): CycleInput {
  const at = input.workloads.findIndex((w) => w.admitted);
  return { ...input, workloads: [...input.workloads.slice(0, at), ...input.workloads.slice(at + 1)] };
}

/**
 * (c) live: what the server's scheduler loop sees. Each cycle's decisions take effect (admitted
 * workloads run, victims go back to pending), then before the next cycle, 2 s later, the
 * running job due first ends and one new job arrives. After 10 cycles of settling in (the
 * cold start's fair-share preemptions), each cycle is timed.
 */
function liveCycleTimes(input: CycleInput, startMs: number) {
  const memo = new CycleMemo();
  const rnd = lcg(99);
  const times: number[] = [];
  let current = input;
  let nowMs = startMs;
  let admitted = 0;
  let preempted = 0;
  for (let i = 0; i < CYCLES + 10; i++) {
    const t0 = performance.now();
    const r = scheduleCycle(current, { ...cycleOptions(nowMs), memo });
    if (i >= 10) {
      times.push(performance.now() - t0);
      admitted += r.admitted.length;
      preempted += r.preempted.length;
    }
    current = applyDecisions(current, r, nowMs, i, rnd);
    nowMs += 2_000;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99), admitted, preempted };
}

/** The next input after `r`: decisions applied, the earliest-ending running job gone, one arrival (unchanged workloads keep their identity). */
function applyDecisions(input: CycleInput, r: ReturnType<typeof scheduleCycle>, nowMs: number, i: number, rnd: () => number): CycleInput {
  const admitted = new Map(r.admitted.map((a) => [a.workload.id, a]));
  const preempted = new Set(r.preempted.map((p) => p.victim.id));
  let ending: WorkloadInput | undefined;
  for (const w of input.workloads) {
    const end = w.admitted?.expectedEndMs;
    if (end !== undefined && !preempted.has(w.id) && (!ending || end < ending.admitted!.expectedEndMs!)) ending = w;
  }
  const workloads: WorkloadInput[] = [];
  for (const w of input.workloads) {
    if (w === ending) continue;
    const a = admitted.get(w.id);
    if (a) {
      const expectedEndMs = nowMs + 60_000 + Math.floor(rnd() * 6 * 3_600_000);
      workloads.push({ ...w, admitted: { pods: a.pods, queue: a.queue, flavor: a.flavor, admittedMs: nowMs, startedMs: nowMs, expectedEndMs } });
    } else if (preempted.has(w.id)) workloads.push({ ...w, admitted: undefined, pendingSinceMs: nowMs });
    else workloads.push(w);
  }
  const template = input.workloads.find((w) => !w.admitted)!;
  const name = `live-${i}`;
  workloads.push({ ...template, key: { ...template.key, name }, id: `TrainingJob/${template.namespace}/${name}`, createdMs: nowMs, pendingSinceMs: nowMs });
  return { ...input, workloads };
}

/** The baseline: every pending workload tries every node in turn (first fit on free GPUs). */
function naiveCycleTimes(input: CycleInput): { p50: number; p99: number } {
  const times: number[] = [];
  for (let i = 0; i < CYCLES + 3; i++) {
    const t0 = performance.now();
    const free = new Map<string, number>(input.nodes.map((n) => [n.name, n.allocatable['nvidia.com/gpu'] ?? 0]));
    for (const w of input.workloads) for (const p of w.admitted?.pods ?? []) free.set(p.node, (free.get(p.node) ?? 0) - (w.podRequest['nvidia.com/gpu'] ?? 0));
    let placed = 0;
    for (const w of input.workloads) {
      if (w.admitted) continue;
      const need = w.podRequest['nvidia.com/gpu'] ?? 0;
      const chosen: string[] = [];
      for (const n of input.nodes) {
        if (chosen.length === w.pods) break;
        let ok = (free.get(n.name) ?? 0) >= need;
        for (const k in w.nodeSelector) if (n.labels[k] !== w.nodeSelector[k]) ok = false;
        if (ok) chosen.push(n.name);
      }
      if (chosen.length === w.pods) {
        for (const c of chosen) free.set(c, free.get(c)! - need);
        placed++;
      }
    }
    if (i >= 3) times.push(performance.now() - t0);
    void placed;
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

function cycleInput(highShare: number): { input: CycleInput; nowMs: number } {
  const nowMs = T0 + 3_600_000;
  const rnd = lcg(42);
  const objects = [...nodes(2000), ...queues(30, 6, 16_000), ...priorityClasses(), ...runningFill(2000, 30, nowMs, rnd),
    ...pendingJobs(10_000, 30, rnd, { prefix: 'p', highShare, startMs: T0 })];
  return { input: cycleInputFrom(objects), nowMs };
}

async function main() {
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`load average before: ${load()} (2 shared cores: numbers move with the load)`);

  if (values.only !== 'ab') await partC();
  if (values.only !== 'c') await partAB();
}

async function partC() {
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
  const steady = cycleInput(0);
  const naive = naiveCycleTimes(steady.input);
  const c1 = cycleTimes(steady.input, steady.nowMs);
  const busy = cycleInput(0.01);
  const c2 = cycleTimes(busy.input, busy.nowMs);
  const w1 = warmCycleTimes(steady.input, steady.nowMs, withArrival);
  const w2 = warmCycleTimes(steady.input, steady.nowMs, withEnd);
  const w3 = warmCycleTimes(busy.input, busy.nowMs, withArrival);
  const l1 = liveCycleTimes(steady.input, steady.nowMs);
  const l2 = liveCycleTimes(busy.input, busy.nowMs);
  console.log(`\n(c) one cycle, 10,000 pending on 2,000 nodes (16,000 GPUs, all in use), ${CYCLES} cycles`);
  printTable([
    { run: 'naive placer (baseline: every node per workload)', p50_ms: naive.p50, p99_ms: naive.p99, admitted: '', preempted: '', estimates: '' },
    { run: 'scheduleCycle, steady state', p50_ms: c1.p50, p99_ms: c1.p99, admitted: c1.admitted, preempted: c1.preempted, estimates: c1.estimates },
    { run: 'scheduleCycle, 1% high priority (preempting)', p50_ms: c2.p50, p99_ms: c2.p99, admitted: c2.admitted, preempted: c2.preempted, estimates: c2.estimates },
    { run: 'warm (memo), steady, +1 pending job per cycle', p50_ms: w1.p50, p99_ms: w1.p99, admitted: w1.admitted, preempted: w1.preempted, estimates: w1.estimates },
    { run: 'warm (memo), steady, 1 running job ended per cycle', p50_ms: w2.p50, p99_ms: w2.p99, admitted: w2.admitted, preempted: w2.preempted, estimates: w2.estimates },
    { run: 'warm (memo), 1% high, +1 pending job per cycle', p50_ms: w3.p50, p99_ms: w3.p99, admitted: w3.admitted, preempted: w3.preempted, estimates: w3.estimates },
    { run: 'live: decisions applied, 1 job ends + 1 arrives per 2 s', p50_ms: l1.p50, p99_ms: l1.p99, admitted: l1.admitted, preempted: l1.preempted, estimates: '' },
    { run: 'live, 1% high priority', p50_ms: l2.p50, p99_ms: l2.p99, admitted: l2.admitted, preempted: l2.preempted, estimates: '' },
  ]);
  console.log('live rows: admitted/preempted are totals over the timed cycles.');
  console.log('cold: every cycle builds everything from its input; warm: a CycleMemo carries the snapshot and remembered answers (as createScheduler does).');
  console.log(`target p99 < 50 ms; steady p99 / naive p99 = ${(c1.p99 / naive.p99).toFixed(2)}; load ${load()}`);
}

async function partAB() {
  const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

  const a = await admissionRun(15_000, 30, 6, 1_000);
  const rows = [a];
  if (!values['skip-b']) rows.push(await admissionRun(50_000, 1_000, 20, 2_000));
  console.log('\n(a)/(b) admissions through createScheduler/runPass on a MemoryStore (virtual clock), batches submitted between passes');
  printTable(rows.map((r) => ({
    workloads: r.workloads, queues: r.leaves, nodes: r.nodes, admitted: r.admitted, passes: r.passes, pass_s: r.passMs / 1000,
    'admissions/s': Math.round(r.perSecond), 'x Kueue(43/s)': Math.round(r.perSecond / KUEUE_PER_SECOND), writes: r.writes, after_own_writes_ms: r.idleMs, unchanged_pass_ms: r.idle2Ms, unchanged_writes: r.idleWrites,
  })));
  console.log(`targets: (a) ≥ 5,000/s, (b) ≥ 1,000/s; load ${load()}`);
}

await main();
