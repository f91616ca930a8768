import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NODE_LABELS, QM_API_VERSION, SPOT_TAINT, isQmError, type NodePool } from '@qm/api';
import { planNodePoolScaling } from './plan.js';
import { nodePoolShape } from './pool-shape.js';
import type { ClusterNodeInput, NodePoolHistory, NodePoolScalingPlan, PendingPodInput } from './types.js';

const NOW = 1_700_000_000_000;
const S = 1000;

interface PoolOpts {
  gpus?: number;
  model?: string;
  price?: number;
  spot?: boolean;
  min?: number;
  max?: number;
  provisioningSeconds?: number;
  unneededSeconds?: number;
}

function pool(name: string, o: PoolOpts = {}): NodePool {
  return {
    apiVersion: QM_API_VERSION, kind: 'NodePool', metadata: { name },
    spec: {
      gpuModel: o.model ?? 'A100-80GB', gpusPerNode: o.gpus ?? 8, cpu: '96', memory: '1Ti',
      capacityType: o.spot ? 'spot' : 'on-demand', maxNodes: o.max ?? 10, minNodes: o.min ?? 0,
      ...(o.price !== undefined ? { pricePerHour: o.price } : {}),
      provisioningSeconds: o.provisioningSeconds ?? 300, scaleDownUnneededSeconds: o.unneededSeconds ?? 600,
    },
  } as NodePool;
}

const gpuPod = (id: string, gpus: number, o: Partial<PendingPodInput> = {}): PendingPodInput => ({ id, requests: { 'nvidia.com/gpu': gpus, cpu: '4' }, ...o });

/** A node of `p` as the pool would make it, with `usedGpus` taken. */
function nodeOf(p: NodePool, name: string, o: { pods?: number; usedGpus?: number; createdMs?: number; noFree?: boolean } = {}): ClusterNodeInput {
  const shape = nodePoolShape(p);
  return {
    name, pool: p.metadata.name, podCount: o.pods ?? 0, createdMs: o.createdMs, labels: shape.labels, taints: shape.taints,
    ...(o.noFree ? {} : { free: { 'nvidia.com/gpu': (p.spec.gpusPerNode ?? 0) - (o.usedGpus ?? 0), cpu: '96', memory: '1Ti' } }),
  };
}

interface Case {
  name: string;
  pools: NodePool[];
  nodes?: ClusterNodeInput[];
  pending?: PendingPodInput[];
  history?: NodePoolHistory;
  nowMs?: number;
  add: NodePoolScalingPlan['add'];
  remove?: string[];
  /** Substrings, per unhelpable id. */
  unhelpable?: Record<string, string>;
}

const a100 = pool('a100', { price: 32 });
const a100Spot = pool('a100-spot', { price: 12, spot: true });
const h100 = pool('h100', { price: 40, model: 'H100' });

const cases: Case[] = [
  { name: 'scale up: the cheapest pool whose node fits', pools: [h100, a100], pending: [gpuPod('job', 8)], add: [{ pool: 'a100', count: 1 }] },
  { name: 'spot first when the workload tolerates spot', pools: [a100, a100Spot], pending: [gpuPod('job', 8, { useSpot: true })], add: [{ pool: 'a100-spot', count: 1 }] },
  { name: 'spot first even when it costs more, if the workload tolerates spot', pools: [a100, pool('pricey-spot', { price: 50, spot: true })],
    pending: [gpuPod('job', 8, { useSpot: true })], add: [{ pool: 'pricey-spot', count: 1 }] },
  { name: 'a spot pool is not used for a workload that does not tolerate spot', pools: [a100, a100Spot], pending: [gpuPod('job', 8)], add: [{ pool: 'a100', count: 1 }] },
  { name: 'a toleration for the spot taint also opens spot pools (priced as usual)', pools: [a100, a100Spot],
    pending: [gpuPod('job', 8, { tolerations: [{ key: SPOT_TAINT.key, operator: 'Exists' }] })], add: [{ pool: 'a100-spot', count: 1 }] },
  { name: 'a pool whose nodes are too small is skipped', pools: [pool('small', { gpus: 4, price: 1 }), a100], pending: [gpuPod('job', 8)], add: [{ pool: 'a100', count: 1 }] },
  { name: 'nodeSelector picks the pool with the label', pools: [a100, h100], pending: [gpuPod('job', 8, { nodeSelector: { [NODE_LABELS.gpuModel]: 'H100' } })],
    add: [{ pool: 'h100', count: 1 }] },
  { name: 'required node affinity is honoured', pools: [a100, h100],
    pending: [gpuPod('job', 8, { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
      { matchExpressions: [{ key: NODE_LABELS.gpuModel, operator: 'In', values: ['H100'] }] }] } } } })],
    add: [{ pool: 'h100', count: 1 }] },
  { name: 'small pods are packed onto one new node', pools: [a100], pending: [gpuPod('a', 2), gpuPod('b', 2), gpuPod('c', 2), gpuPod('d', 2)], add: [{ pool: 'a100', count: 1 }] },
  { name: 'a gang of 3 needs 3 nodes', pools: [a100], pending: [gpuPod('job', 8, { count: 3 })], add: [{ pool: 'a100', count: 3 }] },
  { name: 'maxNodes: a gang that does not fit whole adds nothing', pools: [pool('a100', { max: 2 })], pending: [gpuPod('job', 8, { count: 3 })], add: [],
    unhelpable: { job: 'at maxNodes (2)' } },
  { name: 'maxNodes: separate pods get what fits', pools: [pool('a100', { max: 2 })], pending: [gpuPod('x', 8), gpuPod('y', 8), gpuPod('z', 8)],
    add: [{ pool: 'a100', count: 2 }], unhelpable: { z: 'at maxNodes (2)' } },
  { name: 'maxNodes counts the existing nodes', pools: [pool('a100', { max: 2 })], nodes: [nodeOf(a100, 'a100-1', { pods: 1, usedGpus: 8 }), nodeOf(a100, 'a100-2', { pods: 1, usedGpus: 8 })],
    pending: [gpuPod('job', 8)], add: [], unhelpable: { job: 'a100: at maxNodes (2)' } },
  { name: 'no pool fits: the reason names each pool', pools: [pool('small', { gpus: 4 })], pending: [gpuPod('job', 8)], add: [],
    unhelpable: { job: 'small: its nodes are too small for one pod (nvidia.com/gpu)' } },
  { name: 'free room on an existing node needs no new node', pools: [a100], nodes: [nodeOf(a100, 'a100-1', { pods: 1, usedGpus: 4 })], pending: [gpuPod('job', 4)], add: [] },
  { name: 'in flight: a node still provisioning takes the pending pod', pools: [a100], pending: [gpuPod('job', 8)],
    history: { inFlight: [{ pool: 'a100', count: 1, sinceMs: NOW - 60 * S }], emptySinceMs: {} }, add: [] },
  { name: 'in flight expires after provisioningSeconds: ask again', pools: [a100], pending: [gpuPod('job', 8)],
    history: { inFlight: [{ pool: 'a100', count: 1, sinceMs: NOW - 300 * S }], emptySinceMs: {} }, add: [{ pool: 'a100', count: 1 }] },
  { name: 'in flight counts toward maxNodes', pools: [pool('a100', { max: 1 })], pending: [gpuPod('x', 8), gpuPod('y', 8)],
    history: { inFlight: [{ pool: 'a100', count: 1, sinceMs: NOW - 60 * S }], emptySinceMs: {} }, add: [], unhelpable: { y: 'at maxNodes (1)' } },
  { name: 'a node that appeared is not counted twice as in flight', pools: [pool('a100', { max: 2 })], nodes: [nodeOf(a100, 'a100-1', { createdMs: NOW - 10 * S })],
    pending: [gpuPod('x', 8), gpuPod('y', 8)], history: { inFlight: [{ pool: 'a100', count: 1, sinceMs: NOW - 60 * S }], emptySinceMs: {} },
    add: [{ pool: 'a100', count: 1 }] },
  { name: 'minNodes: a pool below its minimum grows to it', pools: [pool('a100', { min: 2 })], add: [{ pool: 'a100', count: 2 }] },
  { name: 'minNodes nodes also take pending pods', pools: [pool('a100', { min: 1 })], pending: [gpuPod('job', 8)], add: [{ pool: 'a100', count: 1 }] },
  { name: 'a gang that fails gives back the room it took', pools: [pool('a100', { max: 1 })], nodes: [nodeOf(a100, 'a100-1')],
    pending: [gpuPod('a-gang', 8, { count: 2 }), gpuPod('b-single', 8)], add: [], unhelpable: { 'a-gang': 'needs room for all 2 pods' } },
  { name: 'scale down: empty for scaleDownUnneededSeconds', pools: [a100], nodes: [nodeOf(a100, 'a100-1')],
    history: { inFlight: [], emptySinceMs: { 'a100-1': NOW - 600 * S } }, add: [], remove: ['a100-1'] },
  { name: 'scale down: not yet empty long enough', pools: [a100], nodes: [nodeOf(a100, 'a100-1')],
    history: { inFlight: [], emptySinceMs: { 'a100-1': NOW - 599 * S } }, add: [], remove: [] },
  { name: 'scale down: never below minNodes (the longest-empty node goes)', pools: [pool('a100', { min: 1 })], nodes: [nodeOf(a100, 'a100-1'), nodeOf(a100, 'a100-2')],
    history: { inFlight: [], emptySinceMs: { 'a100-1': NOW - 700 * S, 'a100-2': NOW - 900 * S } }, add: [], remove: ['a100-2'] },
  { name: 'scale down: a node a pending pod will use stays', pools: [a100], nodes: [nodeOf(a100, 'a100-1')], pending: [gpuPod('job', 8)],
    history: { inFlight: [], emptySinceMs: { 'a100-1': NOW - 900 * S } }, add: [], remove: [] },
  { name: 'scale down: nodes outside any pool are left alone', pools: [a100], nodes: [{ name: 'laptop', podCount: 0 }],
    history: { inFlight: [], emptySinceMs: { laptop: NOW - 9000 * S } }, add: [], remove: [] },
  { name: 'scale down: a node with pods stays', pools: [a100], nodes: [nodeOf(a100, 'a100-1', { pods: 2, usedGpus: 8 })],
    history: { inFlight: [], emptySinceMs: { 'a100-1': NOW - 9000 * S } }, add: [], remove: [] },
];

for (const c of cases) {
  test(`planNodePoolScaling: ${c.name}`, () => {
    const plan = planNodePoolScaling({ pools: c.pools, nodes: c.nodes ?? [], pendingPods: c.pending ?? [], nowMs: c.nowMs ?? NOW, history: c.history });
    assert.deepEqual(plan.add, c.add);
    assert.deepEqual(plan.remove, c.remove ?? []);
    const want = c.unhelpable ?? {};
    assert.deepEqual(plan.unhelpable.map((u) => u.id).sort(), Object.keys(want).sort());
    for (const u of plan.unhelpable) assert.ok(u.reason.includes(want[u.id]), `${u.id}: ${u.reason} should mention ${want[u.id]}`);
  });
}

test('planNodePoolScaling: history records new requests and how long nodes have been empty', () => {
  const plan = planNodePoolScaling({
    pools: [a100], nowMs: NOW, pendingPods: [gpuPod('job', 8)],
    nodes: [nodeOf(a100, 'a100-1', { pods: 1, usedGpus: 8 }), nodeOf(a100, 'a100-2', { pods: 0, noFree: true })],
    history: { inFlight: [], emptySinceMs: { 'a100-1': NOW - 50 * S, gone: NOW - 50 * S } },
  });
  assert.deepEqual(plan.add, [{ pool: 'a100', count: 1 }]);
  assert.deepEqual(plan.history.inFlight, [{ pool: 'a100', count: 1, sinceMs: NOW }]);
  // a100-1 has pods again; 'gone' no longer exists; a100-2 starts its empty clock now.
  assert.deepEqual(plan.history.emptySinceMs, { 'a100-2': NOW });
  // The next run, 10 minutes later, removes a100-2 and keeps nothing in flight.
  const later = planNodePoolScaling({
    pools: [a100], nowMs: NOW + 600 * S, pendingPods: [],
    nodes: [nodeOf(a100, 'a100-1', { pods: 1, usedGpus: 8 }), nodeOf(a100, 'a100-2', { noFree: true }), nodeOf(a100, 'a100-3', { pods: 1, usedGpus: 8, createdMs: NOW + 300 * S })],
    history: plan.history,
  });
  assert.deepEqual(later.remove, ['a100-2']);
  assert.deepEqual(later.history.inFlight, []);
});

test('planNodePoolScaling: bad input throws Invalid naming the field', async (t) => {
  const bad: Array<[string, Parameters<typeof planNodePoolScaling>[0], string]> = [
    ['duplicate pool', { pools: [a100, a100], nodes: [], pendingPods: [], nowMs: NOW }, 'pools[1].metadata.name'],
    ['pool without maxNodes', { pools: [{ ...a100, spec: { ...a100.spec, maxNodes: -1 } }], nodes: [], pendingPods: [], nowMs: NOW }, 'pools[0].spec.maxNodes'],
    ['gang of zero', { pools: [a100], nodes: [], pendingPods: [gpuPod('job', 1, { count: 0 })], nowMs: NOW }, 'pendingPods[0].count'],
    ['bad request', { pools: [a100], nodes: [], pendingPods: [{ id: 'job', requests: { cpu: 'lots' } }], nowMs: NOW }, 'pendingPods[0].requests.cpu'],
    ['no clock', { pools: [a100], nodes: [], pendingPods: [], nowMs: Number.NaN }, 'nowMs'],
  ];
  for (const [name, input, field] of bad) {
    await t.test(name, () => {
      assert.throws(() => planNodePoolScaling(input), (err: unknown) => isQmError(err, 'Invalid') && err.message.startsWith(field));
    });
  }
});
