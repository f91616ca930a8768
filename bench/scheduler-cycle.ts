/**
 * Scheduler benchmark (issue "The scheduler", Performance), in scheduler time (no HTTP):
 *  (a) Kueue's performance configuration — 15,000 workloads over 30 queues in 6 cohorts (parent
 *      queues), mixed sizes (1–32 GPUs, gangs of up to 4 workers) and priorities — submitted in
 *      batches to a MemoryStore with a virtual clock and admitted through createScheduler/runPass on
 *      a cluster big enough to hold them: admissions per second of runPass time. Kueue reports
 *      about 43/s on its harness; the target here is ≥ 5,000/s.
 *  (b) the same with 50,000 workloads over 1,000 queues: target ≥ 1,000/s.
 *  (c) one cycle (openCycle on a prepared input) with 10,000 pending workloads on a full
 *      2,000-node × 8-GPU cluster: p50/p99 over the cycles of the decisions (target p99 < 50 ms)
 *      and, apart, of the estimates computed after them. Variants: steady state (same priorities
 *      as what runs) and with 1% high-priority work that preempts; cold (built from the input),
 *      warm (a CycleMemo from the previous cycle: one job arrived, one running job ended, one
 *      node was cordoned or uncordoned, or one queue's max changed since that cycle) and
 *      live (decisions applied, as the server's loop runs). Cold is what only the first cycle
 *      of a process does.
 * Baseline measured in the same run: a naive placer that tries every node for every pending
 * workload of (c) (first fit, no index, no quota, no preemption, no estimates) — the floor of
 * "just look at every node" on this machine.
 *
 *   npx tsc -b bench && node bench/dist/scheduler-cycle.js [--cycles 100] [--skip-b] [--only c|ab]
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { ApiObject } from '@qm/api';
import {
  CycleMemo, FakeClock, createScheduler, cycleInputFrom, cycleOptions, makeJob, makeNode, makePriorityClass, makeQueue, openCycle, seededRng,
  type CycleInput, type CycleOptions, type CycleResult, type Recorder, type WorkloadInput,
} from '@qm/core';
import { MemoryStore } from '@qm/store';
import { percentile, printTable } from './support.js';

const { values } = parseArgs({ options: {
  cycles: { type: 'string', default: '100' }, 'skip-b': { type: 'boolean', default: false }, only: { type: 'string', default: '' }, help: { type: 'boolean', default: false },
} });
if (values.help) {
  console.log('node bench/dist/scheduler-cycle.js [--cycles 100] [--skip-b] [--only c|ab]');
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

/** Decision and estimate times of the timed cycles, sorted, and what the last cycle did. */
class CycleTimes {
  readonly decide: number[] = [];
  readonly estimate: number[] = [];
  last?: CycleResult;

  /** One cycle: decisions timed apart from the estimates (skipped when `estimate` is false), as the controller runs them. */
  run(input: CycleInput, opts: CycleOptions, timed: boolean, estimate = true): CycleResult {
    const t0 = performance.now();
    const cycle = openCycle(input, opts);
    const t1 = performance.now();
    if (estimate) cycle.estimate();
    cycle.close();
    const t2 = performance.now();
    if (timed) {
      this.decide.push(t1 - t0);
      if (estimate) this.estimate.push(t2 - t1);
    }
    this.last = cycle.result;
    return cycle.result;
  }

  row(run: string, totals?: { admitted: number; preempted: number }): Record<string, string | number> {
    const d = [...this.decide].sort((a, b) => a - b);
    const e = [...this.estimate].sort((a, b) => a - b);
    const last = this.last!;
    return {
      run, decide_p50_ms: percentile(d, 50), decide_p99_ms: percentile(d, 99), estimate_p50_ms: e.length ? percentile(e, 50) : '', estimate_p99_ms: e.length ? percentile(e, 99) : '',
      admitted: totals?.admitted ?? last.admitted.length, preempted: totals?.preempted ?? last.preempted.length,
      estimates: e.length && !totals ? last.pending.filter((p) => p.estimatedStartMs !== undefined).length : '',
    };
  }
}

/** (c) cold: every cycle builds its snapshot from the input. */
function coldCycleTimes(input: CycleInput, nowMs: number): CycleTimes {
  const t = new CycleTimes();
  // The first ~8 cycles of a fresh process run while the JIT compiles the scheduler: not timed.
  for (let i = 0; i < CYCLES + 10; i++) t.run(input, cycleOptions(nowMs), i >= 10);
  return t;
}

/**
 * (c) warm: a long-lived scheduler keeps a CycleMemo, so each cycle starts from the last one's
 * snapshot and answers. `change(i, input)` is what happened since the previous cycle.
 */
function warmCycleTimes(input: CycleInput, nowMs: number, change: (i: number, input: CycleInput) => CycleInput): CycleTimes {
  const memo = new CycleMemo();
  const t = new CycleTimes();
  let current = input;
  t.run(current, { ...cycleOptions(nowMs), memo }, false);
  for (let i = 0; i < CYCLES + 3; i++) {
    current = change(i, current);
    t.run(current, { ...cycleOptions(nowMs), memo }, i >= 3);
  }
  return t;
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

/** One node cordoned, or uncordoned again (a new node input, as a new version of the Node gives). */
function withCordonToggled(i: number, input: CycleInput): CycleInput {
  const at = (i * 7) % input.nodes.length;
  const nodes = [...input.nodes];
  const n = nodes[at];
  nodes[at] = { ...n, unschedulableReason: n.unschedulableReason ? undefined : 'is cordoned' };
  return { ...input, nodes };
}

/**
 * One leaf queue's max set far above its use, or taken off again: a new queue input, as an edited
 * Queue gives, that changes no decision (so the row times taking a queue change over, not the
 * reclaims a new guarantee would start).
 */
function withMaxToggled(i: number, input: CycleInput): CycleInput {
  const leaves = input.queues.filter((q) => q.parent);
  const target = leaves[i % leaves.length];
  const max = target.max ? undefined : { 'nvidia.com/gpu': 1_000_000 };
  return { ...input, queues: input.queues.map((q) => (q === target ? { ...q, max } : q)) };
}

/**
 * (c) live: what the server's scheduler loop sees. Each cycle's decisions take effect (admitted
 * workloads run, victims go back to pending), then before the next cycle, 2 s later, the
 * running job due first ends and one new job arrives. The estimates are refreshed every 10 s,
 * after the decisions, as createScheduler does (estimateIntervalMs). After 20 cycles of
 * settling in — the cold start's fair-share preemptions, and the JIT compiling the memo's
 * paths (cycles 10–15 of a fresh process still take 2–3× a later one) — each cycle is timed.
 */
function liveCycleTimes(input: CycleInput, startMs: number): { times: CycleTimes; admitted: number; preempted: number } {
  const memo = new CycleMemo();
  const rnd = lcg(99);
  const t = new CycleTimes();
  let current = input;
  let nowMs = startMs;
  let admitted = 0;
  let preempted = 0;
  for (let i = 0; i < CYCLES + 20; i++) {
    const r = t.run(current, { ...cycleOptions(nowMs), memo }, i >= 20, i % 5 === 0);
    if (i >= 20) {
      admitted += r.admitted.length;
      preempted += r.preempted.length;
    }
    current = applyDecisions(current, r, nowMs, i, rnd);
    nowMs += 2_000;
  }
  return { times: t, admitted, preempted };
}

/** The next input after `r`: decisions applied, the earliest-ending running job gone, one arrival (unchanged workloads keep their identity). */
function applyDecisions(input: CycleInput, r: CycleResult, nowMs: number, i: number, rnd: () => number): CycleInput {
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
  const c1 = coldCycleTimes(steady.input, steady.nowMs);
  const busy = cycleInput(0.01);
  const c2 = coldCycleTimes(busy.input, busy.nowMs);
  const w1 = warmCycleTimes(steady.input, steady.nowMs, withArrival);
  const w2 = warmCycleTimes(steady.input, steady.nowMs, withEnd);
  const w3 = warmCycleTimes(busy.input, busy.nowMs, withArrival);
  const w4 = warmCycleTimes(steady.input, steady.nowMs, withCordonToggled);
  const w5 = warmCycleTimes(steady.input, steady.nowMs, withMaxToggled);
  const l1 = liveCycleTimes(steady.input, steady.nowMs);
  const l2 = liveCycleTimes(busy.input, busy.nowMs);
  console.log(`\n(c) one cycle, 10,000 pending on 2,000 nodes (16,000 GPUs, all in use), ${CYCLES} cycles`);
  printTable([
    { run: 'naive placer (baseline: every node per workload)', decide_p50_ms: naive.p50, decide_p99_ms: naive.p99, estimate_p50_ms: '', estimate_p99_ms: '', admitted: '', preempted: '', estimates: '' },
    c1.row('cold, steady state'),
    c2.row('cold, 1% high priority (preempting)'),
    w1.row('warm (memo), steady, +1 pending job per cycle'),
    w2.row('warm (memo), steady, 1 running job ended per cycle'),
    w3.row('warm (memo), 1% high, +1 pending job per cycle'),
    w4.row('warm (memo), steady, a node cordoned or uncordoned per cycle'),
    w5.row("warm (memo), steady, a queue's max changed per cycle"),
    l1.times.row('live: decisions applied, 1 job ends + 1 arrives per 2 s', l1),
    l2.times.row('live, 1% high priority', l2),
  ]);
  console.log('decide: openCycle (admissions, preemptions, pending reasons and positions, queue reports); estimate: the forward simulation after it.');
  console.log('cold: every cycle builds everything from its input (only a process\'s first cycle does); warm: a CycleMemo carries the snapshot and remembered answers (as createScheduler does).');
  console.log('live rows: estimates refreshed every 5th cycle (10 s, the default estimateIntervalMs); admitted/preempted are totals over the timed cycles.');
  const c1p99 = c1.row('').decide_p99_ms as number;
  console.log(`target: decision p99 < 50 ms; cold steady decide p99 / naive p99 = ${(c1p99 / naive.p99).toFixed(2)}; load ${load()}`);
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
