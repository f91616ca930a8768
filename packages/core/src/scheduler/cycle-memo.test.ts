import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { makeDeployment, makeJob, makeNode, makePriorityClass, makeQueue } from '../testing/builders.js';
import { T0, cycleInputFrom, cycleOptions } from '../testing/cycle-builders.js';
import { CycleMemo } from './cycle-memo.js';
import { openCycle, scheduleCycle } from './cycle.js';
import type { CycleInput, CycleResult, NodeInput, QueueInput, WorkloadInput } from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** Every field of a result that a person or the controller sees. */
function view(r: CycleResult): unknown {
  return {
    admitted: r.admitted.map((a) => [a.workload.id, a.queue, a.flavor, a.pods]),
    preempted: r.preempted.map((p) => [p.victim.id, p.preemptor.id, p.rule, p.message]),
    pending: r.pending.map((p) => [p.workload.id, p.reason, p.queuePosition, p.estimatedStartMs]),
    queues: r.queues,
  };
}

/** The next input: admissions take effect, victims go back to pending, the earliest end finishes (new objects, others kept by identity). */
function advance(input: CycleInput, r: CycleResult, nowMs: number, finishOne: boolean): CycleInput {
  const admitted = new Map(r.admitted.map((a) => [a.workload.id, a]));
  const preempted = new Set(r.preempted.map((p) => p.victim.id));
  const ending = finishOne
    ? input.workloads.filter((w) => w.admitted?.expectedEndMs !== undefined).sort((a, b) => a.admitted!.expectedEndMs! - b.admitted!.expectedEndMs!)[0]
    : undefined;
  const workloads: WorkloadInput[] = [];
  for (const w of input.workloads) {
    if (w === ending) continue;
    const a = admitted.get(w.id);
    if (a) workloads.push({ ...w, admitted: { pods: a.pods, queue: a.queue, flavor: a.flavor, admittedMs: nowMs, startedMs: nowMs, expectedEndMs: nowMs + 3_600_000 } });
    else if (preempted.has(w.id)) workloads.push({ ...w, admitted: undefined, pendingSinceMs: nowMs });
    else workloads.push(w);
  }
  return { ...input, workloads };
}

const running = (node: string, gpus: number[], queue: string, endMin: number) => ({
  phase: 'Running', queue, admittedAt: iso(T0), startTime: iso(T0), expectedEndTime: iso(T0 + endMin * 60_000),
  workers: [{ rank: 0, node, gpus }],
});

const scenarios: Array<{ name: string; objects: ApiObject[]; config?: object }> = [
  {
    name: 'two queues borrowing and reclaiming, gangs, estimates',
    objects: [
      makeNode('n1'), makeNode('n2'), makeNode('n3', { model: 'H100' }), makeNode('n4', { gpus: 4 }),
      makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 12 } }),
      makeQueue('team-b', { namespaces: ['team-b'], guaranteed: { 'nvidia.com/gpu': 12 } }),
      makePriorityClass('low', 0), makePriorityClass('high', 1000),
      makeJob('b-run-1', { namespace: 'team-b', gpusPerWorker: 8, status: running('n1', [0, 1, 2, 3, 4, 5, 6, 7], 'team-b', 30) }),
      makeJob('b-run-2', { namespace: 'team-b', gpusPerWorker: 8, status: running('n2', [0, 1, 2, 3, 4, 5, 6, 7], 'team-b', 90) }),
      makeJob('b-run-3', { namespace: 'team-b', gpusPerWorker: 4, status: running('n3', [0, 1, 2, 3], 'team-b', 45) }),
      makeJob('a-1', { namespace: 'team-a', gpusPerWorker: 8 }),
      makeJob('a-gang', { namespace: 'team-a', workers: 2, gpusPerWorker: 4 }),
      makeJob('a-2', { namespace: 'team-a', gpusPerWorker: 2, spec: { priorityClassName: 'high' } }),
      makeJob('b-1', { namespace: 'team-b', gpusPerWorker: 4, spec: { priorityClassName: 'low' } }),
      makeJob('b-h100', { namespace: 'team-b', gpusPerWorker: 4, spec: { nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' } } }),
    ],
  },
  {
    name: 'within-queue priority preemption, replicas and a starving gang',
    objects: [
      makeNode('n1', { gpus: 4 }), makeNode('n2', { gpus: 4 }),
      makeQueue('q', { namespaces: ['team-a'] }),
      makePriorityClass('low', 0), makePriorityClass('high', 1000),
      makeJob('low-1', { gpusPerWorker: 2, spec: { priorityClassName: 'low' }, status: running('n1', [0, 1], 'q', 20) }),
      makeJob('low-2', { gpusPerWorker: 2, spec: { priorityClassName: 'low' }, status: running('n2', [0, 1], 'q', 40) }),
      makeJob('urgent', { gpusPerWorker: 4, spec: { priorityClassName: 'high' } }),
      makeJob('gang', { workers: 2, gpusPerWorker: 4, createdAt: iso(T0 - 3_600_000) }),
      makeDeployment('serve', { replicas: 3, gpus: 1 }),
    ],
    config: { starvationBoundMs: 60_000 },
  },
];

for (const sc of scenarios) {
  test(`memo: ${sc.name} — every cycle equals a cycle from scratch`, () => {
    const memo = new CycleMemo();
    let input = cycleInputFrom(sc.objects);
    let nowMs = T0 + 3_600_000;
    let changes = 0;
    for (let i = 0; i < 8; i++) {
      const opts = cycleOptions(nowMs, sc.config);
      const fresh = scheduleCycle(input, opts);
      const reused = scheduleCycle(input, { ...opts, memo });
      assert.deepEqual(view(reused), view(fresh), `cycle ${i}`);
      // Decided and closed without estimates (a pass between refreshes): the same decisions, none estimated.
      const decidedOnly = openCycle(input, { ...opts, memo });
      decidedOnly.close();
      assert.deepEqual(view(decidedOnly.result), view({ ...fresh, pending: fresh.pending.map((p) => ({ ...p, estimatedStartMs: undefined })) }), `cycle ${i} without estimates`);
      // The same input again: the memo must have undone the cycle's own changes.
      assert.deepEqual(view(scheduleCycle(input, { ...opts, memo })), view(fresh), `cycle ${i} repeated`);
      changes += fresh.admitted.length + fresh.preempted.length;
      // Only a new pending workload: the starting snapshot stays, remembered searches are reused.
      const template = input.workloads.find((w) => !w.admitted && w.queue);
      if (template) {
        const name = `late-${i}`;
        const late: CycleInput = { ...input, workloads: [...input.workloads, { ...template, key: { ...template.key, name }, id: `${template.key.kind}/${template.namespace}/${name}`, createdMs: nowMs }] };
        assert.deepEqual(view(scheduleCycle(late, { ...opts, memo })), view(scheduleCycle(late, opts)), `cycle ${i} with a late arrival`);
      }
      input = advance(input, fresh, nowMs, i % 2 === 1);
      nowMs += 10 * 60_000;
    }
    assert.ok(changes > 0, 'the scenario must admit or preempt something');
  });
}

test('memo: a cycle that throws drops the reused snapshot', () => {
  const memo = new CycleMemo();
  const input = cycleInputFrom(scenarios[0].objects);
  const opts = cycleOptions();
  const before = view(scheduleCycle(input, { ...opts, memo }));
  const broken = { ...input, workloads: [...input.workloads, null as unknown as WorkloadInput] };
  assert.throws(() => scheduleCycle(broken, { ...opts, memo }));
  assert.deepEqual(view(scheduleCycle(input, { ...opts, memo })), before);
});

test('memo: an open cycle estimates after its decisions are read, once; closing twice is harmless', () => {
  const memo = new CycleMemo();
  const input = cycleInputFrom(scenarios[0].objects);
  const opts = cycleOptions();
  const whole = view(scheduleCycle(input, opts));
  const cycle = openCycle(input, { ...opts, memo });
  assert.ok(cycle.result.pending.every((p) => p.estimatedStartMs === undefined));
  cycle.estimate();
  cycle.estimate();
  assert.deepEqual(view(cycle.result), whole);
  assert.ok(cycle.result.pending.some((p) => p.estimatedStartMs !== undefined), 'the scenario must have an estimate');
  cycle.close();
  cycle.close();
  assert.deepEqual(view(scheduleCycle(input, { ...opts, memo })), whole);
});

interface Step {
  name: string;
  change: (input: CycleInput) => CycleInput;
}

/** Applies each step to the input in turn; a memo cycle after it must equal a cycle from scratch (twice). */
function stepsEqualFreshCycles(objects: ApiObject[], steps: Step[]): void {
  const memo = new CycleMemo();
  let input = cycleInputFrom(objects);
  let nowMs = T0 + 3_600_000;
  scheduleCycle(input, { ...cycleOptions(nowMs), memo });
  let decisions = 0;
  for (const step of steps) {
    input = step.change(input);
    nowMs += 60_000;
    const fresh = scheduleCycle(input, cycleOptions(nowMs));
    assert.deepEqual(view(scheduleCycle(input, { ...cycleOptions(nowMs), memo })), view(fresh), step.name);
    assert.deepEqual(view(scheduleCycle(input, { ...cycleOptions(nowMs), memo })), view(fresh), `${step.name}, repeated`);
    decisions += fresh.admitted.length + fresh.preempted.length;
    input = advance(input, fresh, nowMs, false);
  }
  assert.ok(decisions > 0, 'the steps must admit or preempt something');
}

/** The same nodes with `change` applied to the one named `name` (a new input object, as a new version would be). */
function withNode(input: CycleInput, name: string, change: (n: NodeInput) => NodeInput | undefined): CycleInput {
  const nodes: NodeInput[] = [];
  for (const n of input.nodes) {
    const next = n.name === name ? change(n) : n;
    if (next) nodes.push(next);
  }
  return { ...input, nodes };
}

test('memo: nodes cordoned, relabelled, added and removed — the snapshot takes them over and every cycle equals one from scratch', () => {
  const extra = cycleInputFrom([makeNode('n5'), makeNode('n6', { model: 'H100' })]).nodes;
  const flavored = makeQueue('team-f', {
    namespaces: ['team-f'],
    flavors: [
      { name: 'h100', nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' }, guaranteed: { 'nvidia.com/gpu': 4 } },
      { name: 'a100', nodeSelector: { 'quartermaster.dev/gpu-model': 'A100-80GB' }, guaranteed: { 'nvidia.com/gpu': 8 } },
    ],
  });
  const objects = [
    ...scenarios[0].objects, flavored,
    // Its flavor is not recorded: it is inferred from its node's labels (a relabel moves it).
    makeJob('f-run', { namespace: 'team-f', gpusPerWorker: 2, status: running('n4', [0, 1], 'team-f', 60) }),
    makeJob('f-1', { namespace: 'team-f', gpusPerWorker: 4 }),
  ];
  const steps: Step[] = [
    { name: 'cordon n2', change: (i) => withNode(i, 'n2', (n) => ({ ...n, unschedulableReason: 'is cordoned' })) },
    { name: 'add n5 and n6', change: (i) => ({ ...i, nodes: [...i.nodes, ...extra] }) },
    { name: 'uncordon n2', change: (i) => withNode(i, 'n2', (n) => ({ ...n, unschedulableReason: undefined })) },
    { name: 'remove n1 (its pods take nothing)', change: (i) => withNode(i, 'n1', () => undefined) },
    { name: 'n4 becomes an H100 (an inferred flavor moves: rebuilt)', change: (i) => withNode(i, 'n4', (n) => ({ ...n, labels: { ...n.labels, 'quartermaster.dev/gpu-model': 'H100' } })) },
    { name: 'n3 shrinks to 4 GPUs', change: (i) => withNode(i, 'n3', (n) => ({ ...n, allocatable: { ...n.allocatable, 'nvidia.com/gpu': 4 }, deviceIndices: { 'nvidia.com/gpu': [0, 1, 2, 3] } })) },
  ];
  stepsEqualFreshCycles(objects, steps);
});

/** The same queues with `change` applied to the one named `name` (undefined removes it). */
function withQueue(input: CycleInput, name: string, change: (q: QueueInput) => QueueInput | undefined): CycleInput {
  const queues: QueueInput[] = [];
  for (const q of input.queues) {
    const next = q.name === name ? change(q) : q;
    if (next) queues.push(next);
  }
  return { ...input, queues };
}

test('memo: queues and namespace quotas changed — the snapshot takes them over and every cycle equals one from scratch', () => {
  const objects = [
    ...scenarios[0].objects,
    makeQueue('team-f', {
      namespaces: ['team-f'],
      flavors: [{ name: 'a100', nodeSelector: { 'quartermaster.dev/gpu-model': 'A100-80GB' }, guaranteed: { 'nvidia.com/gpu': 4 } }],
    }),
    makeJob('f-run', { namespace: 'team-f', gpusPerWorker: 2, status: running('n4', [0, 1], 'team-f', 60) }),
    makeJob('f-1', { namespace: 'team-f', gpusPerWorker: 4 }),
    makeJob('b-2', { namespace: 'team-b', gpusPerWorker: 2 }),
  ];
  const gpus = (n: number) => ({ 'nvidia.com/gpu': n });
  const steps: Step[] = [
    { name: "team-a's guarantee falls to 4", change: (i) => withQueue(i, 'team-a', (q) => ({ ...q, guaranteed: gpus(4) })) },
    { name: 'team-b weighs 3', change: (i) => withQueue(i, 'team-b', (q) => ({ ...q, weight: 3 })) },
    { name: 'team-f gains an H100 flavor first (its running job stays where it is charged)', change: (i) => withQueue(i, 'team-f', (q) => ({
      ...q, flavors: [{ name: 'h100', nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' }, guaranteed: gpus(4) }, ...q.flavors],
    })) },
    { name: "team-f's A100 flavor is renamed (a job charged to it by inference moves)", change: (i) => withQueue(i, 'team-f', (q) => ({
      ...q, flavors: q.flavors.map((f) => (f.name === 'a100' ? { ...f, name: 'a100-new' } : f)),
    })) },
    { name: "team-f's running job ends (its charge comes off the flavor it moved to)", change: (i) => ({ ...i, workloads: i.workloads.filter((w) => w.key.name !== 'f-run') }) },
    { name: 'a ResourceQuota caps team-b at 8 GPUs', change: (i) => ({ ...i, namespaceQuotas: [{ namespace: 'team-b', name: 'cap', hard: { 'requests.nvidia.com/gpu': 8 } }] }) },
    { name: 'the cap rises to 24', change: (i) => ({ ...i, namespaceQuotas: [{ namespace: 'team-b', name: 'cap', hard: { 'requests.nvidia.com/gpu': 24 } }] }) },
    { name: 'team-a is deleted (its workloads stay admitted)', change: (i) => withQueue(i, 'team-a', () => undefined) },
  ];
  stepsEqualFreshCycles(objects, steps);
});
