import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { makeDeployment, makeJob, makeNode, makePriorityClass, makeQueue } from '../testing/builders.js';
import { T0, cycleInputFrom, cycleOptions } from '../testing/cycle-builders.js';
import { scheduleCycle } from './cycle.js';
import type { CycleResult } from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();
const running = (nodes: Array<[string, number[]]>, extra: Record<string, unknown> = {}) => ({
  phase: 'Running', queue: extra.queue, admittedAt: iso(T0), startTime: iso(T0),
  workers: nodes.map(([node, gpus], rank) => ({ rank, node, gpus })), ...extra,
});

function run(objects: ApiObject[], config = {}, nowMs?: number): CycleResult {
  return scheduleCycle(cycleInputFrom(objects), cycleOptions(nowMs, config));
}
const names = (r: CycleResult) => r.admitted.map((a) => a.workload.key.name).sort();
const victims = (r: CycleResult) => r.preempted.map((p) => `${p.victim.key.name}:${p.rule}`).sort();
const reasonOf = (r: CycleResult, name: string) => r.pending.find((p) => p.workload.key.name === name)?.reason ?? '';

const qa = makeQueue('team-a', { namespaces: ['team-a'] });

const cases: Array<{ name: string; objects: ApiObject[]; config?: object; check(r: CycleResult): void }> = [
  {
    name: 'fits on one node, GPUs 0..3 of the best-packed node',
    objects: [makeNode('n1', { gpus: 8 }), makeNode('n2', { gpus: 8 }), qa,
      makeJob('busy', { gpusPerWorker: 4, status: running([['n2', [0, 1, 2, 3]]], { queue: 'team-a' }) }), makeJob('a', { gpusPerWorker: 4 })],
    check: (r) => {
      assert.deepEqual(names(r), ['a']);
      assert.deepEqual(r.admitted[0].pods, [{ node: 'n2', devices: { 'nvidia.com/gpu': [4, 5, 6, 7] } }]);
    },
  },
  {
    name: '4+4 fragmentation does not admit an 8-GPU pod',
    objects: [makeNode('n1'), makeNode('n2'), qa,
      makeJob('x', { gpusPerWorker: 4, status: running([['n1', [0, 1, 2, 3]]], { queue: 'team-a' }) }),
      makeJob('y', { gpusPerWorker: 4, status: running([['n2', [0, 1, 2, 3]]], { queue: 'team-a' }) }),
      makeJob('big', { gpusPerWorker: 8 })],
    config: { starvationBoundMs: 1e12 },
    check: (r) => {
      assert.deepEqual(names(r), []);
      assert.equal(reasonOf(r, 'big'), 'waiting for 8 × A100-80GB on one node; largest free block is 4 on n1');
    },
  },
  {
    name: 'gang all-or-nothing: 3 workers × 8 on 2 nodes admits none',
    objects: [makeNode('n1'), makeNode('n2'), qa, makeJob('gang', { workers: 3, gpusPerWorker: 8 })],
    check: (r) => {
      assert.deepEqual(names(r), []);
      assert.match(reasonOf(r, 'gang'), /only 2 of 3 fit now/);
    },
  },
  {
    name: 'node selector, taints, cordon and affinity filter nodes',
    objects: [makeNode('h1', { model: 'H100', unschedulable: true }), makeNode('h2', { model: 'H100', spot: true }), makeNode('a1'), qa,
      makeJob('wants-h100', { spec: { nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' } } }),
      makeJob('spot-ok', { spec: { nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' }, useSpot: true } }),
      makeJob('affinity', { spec: { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'quartermaster.dev/gpu-model', operator: 'In', values: ['A100-80GB'] }] }] } } } } })],
    check: (r) => {
      assert.deepEqual(names(r), ['affinity', 'spot-ok']);
      assert.equal(r.admitted.find((a) => a.workload.key.name === 'spot-ok')!.pods[0].node, 'h2');
      assert.equal(r.admitted.find((a) => a.workload.key.name === 'affinity')!.pods[0].node, 'a1');
      const why = reasonOf(r, 'wants-h100');
      assert.match(why, /^no node can run it: /);
      assert.match(why, /1 node is cordoned/);
      assert.match(why, /1 node has untolerated taint quartermaster.dev\/capacity-type=spot:NoSchedule/);
    },
  },
  {
    name: 'MIG slices are their own resource',
    objects: [makeNode('m1', { gpus: 0, mig: { '1g.10gb': 2 } }), qa,
      makeJob('s1', { gpusPerWorker: 0, spec: { resources: { 'nvidia.com/mig-1g.10gb': 1 } } }),
      makeJob('s2', { gpusPerWorker: 0, spec: { resources: { 'nvidia.com/mig-1g.10gb': 2 } } })],
    check: (r) => {
      assert.deepEqual(names(r), ['s1']);
      assert.match(reasonOf(r, 's2'), /MIG slice/);
    },
  },
  {
    name: 'queue max caps admissions with a clear reason',
    objects: [makeNode('n1'), makeQueue('team-a', { namespaces: ['team-a'], max: { 'nvidia.com/gpu': 4 } }),
      makeJob('a', { gpusPerWorker: 4 }), makeJob('b', { gpusPerWorker: 1 })],
    check: (r) => {
      assert.deepEqual(names(r), ['a']);
      assert.equal(reasonOf(r, 'b'), 'queue team-a is at its max of 4 GPUs (4 GPUs in use, needs 1 GPU more)');
    },
  },
  {
    name: 'lendingLimit keeps part of a guarantee from borrowers',
    objects: [makeNode('n1'), makeQueue('team-a', { namespaces: ['team-a'] }),
      makeQueue('team-b', { namespaces: ['team-b'], guaranteed: { 'nvidia.com/gpu': 8 }, lendingLimit: { 'nvidia.com/gpu': 2 } }),
      makeJob('borrow3', { gpusPerWorker: 3 }), makeJob('borrow2', { gpusPerWorker: 2, createdAt: iso(T0 + 60_000) })],
    check: (r) => {
      assert.deepEqual(names(r), ['borrow2']);
      assert.match(reasonOf(r, 'borrow3'), /unclaimed/);
    },
  },
  {
    name: 'three-level tree: parent max caps all its children',
    objects: [makeNode('n1'), makeNode('n2'), makeQueue('org', { max: { 'nvidia.com/gpu': 10 } }), makeQueue('dept', { parent: 'org' }),
      makeQueue('team-a', { parent: 'dept', namespaces: ['team-a'] }), makeQueue('team-b', { parent: 'dept', namespaces: ['team-b'] }),
      makeJob('a', { gpusPerWorker: 8 }), makeJob('b', { namespace: 'team-b', gpusPerWorker: 4 })],
    check: (r) => {
      assert.equal(r.admitted.length, 1);
      const blocked = r.pending[0];
      assert.match(blocked.reason, /parent queue org is at its max of 10 GPUs/);
    },
  },
  {
    name: 'namespace ResourceQuota caps GPUs',
    objects: [makeNode('n1'), qa, { apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'gpu-cap', namespace: 'team-a' }, spec: { hard: { 'requests.nvidia.com/gpu': 2 } } },
      makeJob('a', { gpusPerWorker: 2 }), makeJob('b', { gpusPerWorker: 1 })],
    check: (r) => {
      assert.deepEqual(names(r), ['a']);
      assert.equal(reasonOf(r, 'b'), 'namespace team-a ResourceQuota gpu-cap: requests.nvidia.com/gpu 2/2 used, needs 1');
    },
  },
  {
    name: 'no queue for namespace',
    objects: [makeNode('n1'), makeJob('lost', { namespace: 'nowhere' })],
    check: (r) => assert.equal(reasonOf(r, 'lost'), 'no queue for namespace nowhere: create a Queue with spec.namespaces: [nowhere] or set spec.queue'),
  },
  {
    name: 'fair share: the queue using less above its guarantee goes first',
    objects: [makeNode('n1', { gpus: 4 }), makeQueue('team-a', { namespaces: ['team-a'] }), makeQueue('team-b', { namespaces: ['team-b'] }),
      makeJob('a-old', { gpusPerWorker: 2, status: running([['n1', [0, 1]]], { queue: 'team-a' }) }),
      makeJob('a-new', { gpusPerWorker: 2 }), makeJob('b-new', { namespace: 'team-b', gpusPerWorker: 2, createdAt: iso(T0 + 100_000) })],
    check: (r) => assert.deepEqual(names(r), ['b-new']),
  },
  {
    name: 'withinQueue: higher priority preempts the minimal set, least work lost first',
    objects: [makeNode('n1', { gpus: 4 }), qa, makePriorityClass('high', 1000),
      makeJob('ckpt-old', { gpusPerWorker: 2, status: running([['n1', [0, 1]]], { queue: 'team-a', lastCheckpoint: { time: iso(T0 + 3_000_000) } }) }),
      makeJob('no-ckpt', { gpusPerWorker: 2, status: running([['n1', [2, 3]]], { queue: 'team-a' }) }),
      makeJob('urgent', { gpusPerWorker: 2, spec: { priorityClassName: 'high' } })],
    check: (r) => {
      assert.deepEqual(names(r), ['urgent']);
      assert.deepEqual(victims(r), ['ckpt-old:withinQueue']);
    },
  },
  {
    name: 'preemptionPolicy Never never preempts',
    objects: [makeNode('n1', { gpus: 2 }), qa, makePriorityClass('polite', 1000, { never: true }),
      makeJob('low', { gpusPerWorker: 2, status: running([['n1', [0, 1]]], { queue: 'team-a' }) }),
      makeJob('polite', { gpusPerWorker: 2, spec: { priorityClassName: 'polite' } })],
    check: (r) => {
      assert.deepEqual(names(r), []);
      assert.deepEqual(victims(r), []);
    },
  },
  {
    name: 'reclaim: a queue under its guarantee takes back borrowed GPUs',
    objects: [makeNode('n1', { gpus: 8 }), makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 4 } }),
      makeQueue('team-b', { namespaces: ['team-b'] }),
      makeJob('b1', { namespace: 'team-b', gpusPerWorker: 4, status: running([['n1', [0, 1, 2, 3]]], { queue: 'team-b' }) }),
      makeJob('b2', { namespace: 'team-b', gpusPerWorker: 4, status: running([['n1', [4, 5, 6, 7]]], { queue: 'team-b' }) }),
      makeJob('a', { gpusPerWorker: 4 })],
    check: (r) => {
      assert.deepEqual(names(r), ['a']);
      assert.equal(victims(r).length, 1);
      assert.match(victims(r)[0], /:reclaim$/);
    },
  },
  {
    name: 'reclaim waits for the queue reclaim delay',
    objects: [makeNode('n1', { gpus: 4 }), makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 4 } }, { 'quartermaster.dev/reclaim-delay-seconds': '7200' }),
      makeQueue('team-b', { namespaces: ['team-b'] }),
      makeJob('b1', { namespace: 'team-b', gpusPerWorker: 4, status: running([['n1', [0, 1, 2, 3]]], { queue: 'team-b' }) }),
      makeJob('a', { gpusPerWorker: 4 })],
    check: (r) => assert.deepEqual(victims(r), []),
  },
  {
    name: 'borrowers never preempt a queue within its guarantee',
    objects: [makeNode('n1', { gpus: 4 }), makeQueue('team-a', { namespaces: ['team-a'] }),
      makeQueue('team-b', { namespaces: ['team-b'], guaranteed: { 'nvidia.com/gpu': 4 } }),
      makeJob('b1', { namespace: 'team-b', gpusPerWorker: 4, status: running([['n1', [0, 1, 2, 3]]], { queue: 'team-b' }) }),
      makeJob('a', { gpusPerWorker: 2 })],
    check: (r) => assert.deepEqual(victims(r), []),
  },
  {
    name: 'fair share preemption does not flap: equal shares preempt nothing',
    objects: [makeNode('n1', { gpus: 4 }), makeQueue('team-a', { namespaces: ['team-a'] }), makeQueue('team-b', { namespaces: ['team-b'] }),
      makeJob('a1', { gpusPerWorker: 2, status: running([['n1', [0, 1]]], { queue: 'team-a' }) }),
      makeJob('b1', { namespace: 'team-b', gpusPerWorker: 2, status: running([['n1', [2, 3]]], { queue: 'team-b' }) }),
      makeJob('a2', { gpusPerWorker: 2 })],
    check: (r) => assert.deepEqual(victims(r), []),
  },
  {
    name: 'fair share preemption takes from the queue far above its share',
    objects: [makeNode('n1', { gpus: 4 }), makeQueue('team-a', { namespaces: ['team-a'] }), makeQueue('team-b', { namespaces: ['team-b'] }),
      makeJob('b1', { namespace: 'team-b', gpusPerWorker: 2, status: running([['n1', [0, 1]]], { queue: 'team-b' }) }),
      makeJob('b2', { namespace: 'team-b', gpusPerWorker: 2, status: running([['n1', [2, 3]]], { queue: 'team-b' }) }),
      makeJob('a1', { gpusPerWorker: 1 })],
    check: (r) => {
      assert.deepEqual(names(r), ['a1']);
      assert.equal(victims(r).length, 1);
      assert.match(victims(r)[0], /:fairShare$/);
    },
  },
  {
    name: 'minRuntime protects young workloads',
    objects: [makeNode('n1', { gpus: 2 }), qa, makePriorityClass('high', 1000),
      makeJob('young', { gpusPerWorker: 2, status: running([['n1', [0, 1]]], { queue: 'team-a', startTime: iso(T0 + 3_590_000) }) }),
      makeJob('urgent', { gpusPerWorker: 2, spec: { priorityClassName: 'high' } })],
    config: { minRuntimeBeforePreemptionMs: 60_000 },
    check: (r) => assert.deepEqual(victims(r), []),
  },
  {
    name: 'PDB protects serving replicas',
    objects: [makeNode('n1', { gpus: 2 }), qa, makePriorityClass('high', 1000),
      { ...makeDeployment('chat', { replicas: 2, labels: { app: 'chat' } }), status: { queue: 'team-a', replicaPlacements: [{ index: 0, node: 'n1', gpus: [0] }, { index: 1, node: 'n1', gpus: [1] }] } },
      { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'chat', namespace: 'team-a' }, spec: { minAvailable: 2, selector: { matchLabels: { app: 'chat' } } } },
      makeJob('urgent', { gpusPerWorker: 1, spec: { priorityClassName: 'high' } })],
    check: (r) => assert.deepEqual(victims(r), []),
  },
  {
    name: 'starvation: a big gang heading its queue past the bound gets nodes held',
    objects: [makeNode('n1', { gpus: 8 }), makeNode('n2', { gpus: 8 }), qa,
      makeJob('small-running', { gpusPerWorker: 1, status: running([['n1', [0]]], { queue: 'team-a' }) }),
      makeJob('big', { gpusPerWorker: 8, workers: 2, createdAt: iso(T0) }),
      makeJob('small', { gpusPerWorker: 1, createdAt: iso(T0 + 1000) })],
    check: (r) => {
      assert.deepEqual(names(r), []);
      assert.match(reasonOf(r, 'big'), /capacity is held for it/);
      assert.match(reasonOf(r, 'small'), /held for a starving gang/);
    },
  },
  {
    name: 'positions and estimates come from expected end times',
    objects: [makeNode('n1', { gpus: 4 }), qa,
      makeJob('r', { gpusPerWorker: 4, status: running([['n1', [0, 1, 2, 3]]], { queue: 'team-a', expectedEndTime: iso(T0 + 7_200_000) }) }),
      makeJob('p1', { gpusPerWorker: 4, createdAt: iso(T0) }), makeJob('p2', { gpusPerWorker: 4, createdAt: iso(T0 + 1) })],
    check: (r) => {
      const p1 = r.pending.find((p) => p.workload.key.name === 'p1')!;
      const p2 = r.pending.find((p) => p.workload.key.name === 'p2')!;
      assert.equal(p1.queuePosition, 1);
      assert.equal(p2.queuePosition, 2);
      assert.equal(p1.estimatedStartMs, T0 + 7_200_000);
      assert.equal(p2.estimatedStartMs, undefined);
    },
  },
  {
    name: 'serving replicas are one-pod workloads',
    objects: [makeNode('n1', { gpus: 2 }), qa, makeDeployment('chat', { replicas: 3 })],
    check: (r) => {
      assert.equal(r.admitted.length, 2);
      assert.equal(r.pending.length, 1);
      assert.equal(r.pending[0].workload.key.replica, 2);
    },
  },
];

for (const c of cases) test(c.name, () => c.check(run(c.objects, c.config)));

test('the same input gives the same decisions', () => {
  const objects = cases[0].objects;
  assert.deepEqual(run(objects), run(objects));
});
