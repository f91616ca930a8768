import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiObject } from '@qm/api';
import { reconcileModelDeployment } from './reconcile.js';
import { templateRevision } from './revision.js';
import { resolveFenceposts } from './rollout-math.js';
import type { ObservedServingReplica, ServingDecision } from './types.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const V1 = { command: ['serve'], args: ['--v', '1'] };
const V2 = { command: ['serve'], args: ['--v', '2'] };
const R1 = templateRevision(V1);
const R2 = templateRevision(V2);

function md(spec: Record<string, any>, status: Record<string, any> = {}): ApiObject {
  return { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'ml', generation: 2 }, spec, status };
}

/** `r('a', 0, R1)` a ready running replica; opts override. */
function r(name: string, index: number, revision: string, opts: Partial<ObservedServingReplica> = {}): ObservedServingReplica {
  return { name, index, revision, phase: 'Running', ready: true, createdMs: T0, restarts: 0, ...opts };
}

const seats = (...indices: number[]) => indices.map((index) => ({ index, node: 'host', gpus: [], admittedAt: '2026-01-01T00:00:00.000Z' }));
const cond = (d: ServingDecision, type: string) => (d.status.conditions as Array<Record<string, any>>).find((c) => c.type === type);
const summary = (d: ServingDecision) => ({
  create: d.create.map((c) => `${c.revision === R2 ? 'v2' : 'v1'}@${c.index}`),
  remove: d.remove.map((x) => `${x.name}:${x.reason}`),
  moves: d.moves.map((m) => `${m.name}:${m.from}->${m.to}`),
  surge: d.status.surgeReplicas,
});

interface Case {
  name: string;
  spec: Record<string, any>;
  status?: Record<string, any>;
  replicas: ObservedServingReplica[];
  nowMs?: number;
  want: ReturnType<typeof summary>;
  check?: (d: ServingDecision) => void;
}

const rolling = (maxSurge: number | string, maxUnavailable: number | string) => ({ strategy: { rollingUpdate: { maxSurge, maxUnavailable } } });

const cases: Case[] = [
  {
    name: 'fresh deployment creates every replica in slots 0..n-1',
    spec: { ...V1, replicas: 3 }, replicas: [],
    want: { create: ['v1@0', 'v1@1', 'v1@2'], remove: [], moves: [], surge: 0 },
    check: (d) => {
      assert.equal(d.status.replicas, 3);
      assert.equal(d.status.readyReplicas, 0);
      assert.equal(cond(d, 'Progressing')?.reason, 'ReplicaSetUpdated');
      assert.equal(cond(d, 'Available')?.status, 'False');
      assert.deepEqual(d.create.map((c) => c.name), [`chat-${R1}-0`, `chat-${R1}-1`, `chat-${R1}-2`]);
      assert.equal(d.nextSeq, 3);
    },
  },
  {
    name: 'all ready on the current revision: complete, nothing to do',
    spec: { ...V1, replicas: 2 }, status: { updateRevision: R1, replicas: 2, updatedReplicas: 2, readyReplicas: 1 },
    replicas: [r('a', 0, R1), r('b', 1, R1)],
    want: { create: [], remove: [], moves: [], surge: 0 },
    check: (d) => {
      assert.equal(cond(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
      assert.equal(cond(d, 'Available')?.status, 'True');
      assert.deepEqual(d.events.map((e) => e.reason), ['RolloutComplete']);
    },
  },
  {
    name: 'spec change with defaults (3 replicas → surge 1, unavailable 0): one new replica in a surge slot, no old one goes',
    spec: { ...V2, replicas: 3 }, status: { updateRevision: R1, replicaPlacements: seats(0, 1, 2) },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('c', 2, R1)],
    want: { create: ['v2@3'], remove: [], moves: [], surge: 1 },
    check: (d) => assert.ok(d.events.some((e) => e.reason === 'RolloutStarted')),
  },
  {
    name: 'readiness gating: the new replica is not ready, so no old replica goes',
    spec: { ...V2, replicas: 3 }, status: { updateRevision: R2 },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('c', 2, R1), r('n', 3, R2, { phase: 'Starting', ready: false })],
    want: { create: [], remove: [], moves: [], surge: 1 },
  },
  {
    name: 'the new replica is ready: one old replica goes (highest slot first)',
    spec: { ...V2, replicas: 3 }, status: { updateRevision: R2 },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('c', 2, R1), r('n', 3, R2)],
    want: { create: [], remove: ['c:Superseded'], moves: [], surge: 1 },
  },
  {
    name: 'a terminating replica still holds its slot: nothing new goes there yet',
    spec: { ...V2, replicas: 3 }, status: { updateRevision: R2 },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('c', 2, R1, { phase: 'Terminating', ready: false }), r('n', 3, R2)],
    want: { create: [], remove: [], moves: [], surge: 1 },
  },
  {
    name: 'the freed slot takes the next new replica',
    spec: { ...V2, replicas: 3 }, status: { updateRevision: R2 },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('n', 3, R2)],
    want: { create: ['v2@2'], remove: [], moves: [], surge: 1 },
  },
  {
    name: 'last old replica gone: the surge replica moves into the free slot with its seat',
    spec: { ...V2, replicas: 3 }, status: { updateRevision: R2, replicaPlacements: [...seats(0, 1, 2), { index: 3, node: 'host', gpus: [7] }] },
    replicas: [r('x', 1, R2), r('y', 2, R2), r('n', 3, R2)],
    want: { create: [], remove: [], moves: ['n:3->0'], surge: 0 },
    check: (d) => {
      assert.deepEqual(d.status.replicaPlacements.map((p: any) => [p.index, p.gpus]), [[0, [7]], [1, []], [2, []]]);
      assert.equal(cond(d, 'Progressing')?.reason, 'NewReplicaSetAvailable');
    },
  },
  {
    name: 'a Pending replica in a surge slot moves onto the free slot\'s seat instead',
    spec: { ...V2, replicas: 2 }, status: { updateRevision: R2, replicaPlacements: [...seats(0, 1), { index: 2, node: 'host', gpus: [5] }] },
    replicas: [r('x', 1, R2), r('n', 2, R2, { phase: 'Pending', ready: false })],
    want: { create: [], remove: [], moves: ['n:2->0'], surge: 0 },
    check: (d) => assert.deepEqual(d.status.replicaPlacements.map((p: any) => [p.index, p.gpus]), [[0, []], [1, []]]),
  },
  {
    name: 'surge 0, unavailable 1: an old replica goes first, the new one comes next step',
    spec: { ...V2, replicas: 3, ...rolling(0, 1) }, status: { updateRevision: R1 },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('c', 2, R1)],
    want: { create: [], remove: ['c:Superseded'], moves: [], surge: 0 },
  },
  {
    name: '25%/25% of 10 (surge rounds up to 3, unavailable down to 2)',
    spec: { ...V2, replicas: 10 }, status: { updateRevision: R1 },
    replicas: Array.from({ length: 10 }, (_, i) => r(`o${i}`, i, R1)),
    want: { create: ['v2@10', 'v2@11', 'v2@12'], remove: ['o9:Superseded', 'o8:Superseded'], moves: [], surge: 3 },
  },
  {
    name: 'percent strategy: 50% surge of 3 rounds up to 2, 34% unavailable of 3 rounds down to 1',
    spec: { ...V2, replicas: 3, ...rolling('50%', '34%') }, status: { updateRevision: R1 },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('c', 2, R1)],
    want: { create: ['v2@3', 'v2@4'], remove: ['c:Superseded'], moves: [], surge: 2 },
  },
  {
    name: 'unhealthy old replicas go first',
    spec: { ...V2, replicas: 3, ...rolling(1, 1) }, status: { updateRevision: R2 },
    replicas: [r('a', 0, R1, { ready: false, phase: 'Failed' }), r('b', 1, R1), r('c', 2, R1), r('n', 3, R2, { ready: false, phase: 'Starting' })],
    want: { create: [], remove: ['a:Unhealthy'], moves: [], surge: 1 },
  },
  {
    name: 'scale down via spec.replicas: not-ready first, then the highest slot',
    spec: { ...V1, replicas: 1 }, status: { updateRevision: R1 },
    replicas: [r('a', 0, R1), r('b', 1, R1), r('c', 2, R1, { ready: false })],
    want: { create: [], remove: ['c:ScaledDown', 'b:ScaledDown'], moves: [], surge: 2 },
  },
  {
    name: 'scale down: surviving replica in a high slot moves down once the low slot is free',
    spec: { ...V1, replicas: 1 }, status: { updateRevision: R1, replicaPlacements: seats(0, 1) },
    replicas: [r('b', 1, R1)],
    want: { create: [], remove: [], moves: ['b:1->0'], surge: 0 },
  },
  {
    name: 'scale up: new slots after the used ones',
    spec: { ...V1, replicas: 3 }, status: { updateRevision: R1 },
    replicas: [r('a', 0, R1)],
    want: { create: ['v1@1', 'v1@2'], remove: [], moves: [], surge: 0 },
  },
  {
    name: 'scale to zero removes everything',
    spec: { ...V1, replicas: 0 }, status: { updateRevision: R1 },
    replicas: [r('a', 0, R1), r('b', 1, R1)],
    want: { create: [], remove: ['b:ScaledDown', 'a:ScaledDown'], moves: [], surge: 2 },
  },
];

test('reconcileModelDeployment: rolling update and scaling steps', () => {
  for (const c of cases) {
    const d = reconcileModelDeployment({ deployment: md(c.spec, c.status), replicas: c.replicas, nowMs: c.nowMs ?? T0, nextSeq: 0 });
    assert.deepEqual(summary(d), c.want, c.name);
    c.check?.(d);
  }
});

test('a revision that never becomes ready: rollout stalls, then ProgressDeadlineExceeded; old keeps serving', () => {
  const spec = { ...V2, replicas: 2, progressDeadlineSeconds: 30 };
  const replicas = [r('a', 0, R1), r('b', 1, R1), r('n', 2, R2, { phase: 'Running', ready: false, message: 'readiness probe failed: HTTP 503' })];
  const started = reconcileModelDeployment({ deployment: md(spec, { updateRevision: R1 }), replicas: replicas.slice(0, 2), nowMs: T0, nextSeq: 0 });
  assert.equal(cond(started, 'Progressing')?.status, 'True');
  let status: Record<string, any> = { ...started.status, replicaPlacements: seats(0, 1, 2) };
  // Before the deadline: no progress, condition unchanged, no old replica removed.
  const before = reconcileModelDeployment({ deployment: md(spec, status), replicas, nowMs: T0 + 29_000, nextSeq: 1 });
  assert.deepEqual(summary(before), { create: [], remove: [], moves: [], surge: 1 });
  assert.equal(cond(before, 'Progressing')?.status, 'True');
  status = before.status;
  const after = reconcileModelDeployment({ deployment: md(spec, status), replicas, nowMs: T0 + 31_000, nextSeq: 1 });
  assert.deepEqual(summary(after), { create: [], remove: [], moves: [], surge: 1 });
  const p = cond(after, 'Progressing')!;
  assert.equal(p.status, 'False');
  assert.equal(p.reason, 'ProgressDeadlineExceeded');
  assert.match(p.message, /replica n is not ready \(readiness probe failed: HTTP 503\)/);
  assert.match(p.message, /2 replicas of the previous revision keep serving/);
  assert.equal(cond(after, 'Available')?.status, 'True');
  assert.equal(after.status.readyReplicas, 2);
  assert.ok(after.events.some((e) => e.type === 'Warning' && e.reason === 'ProgressDeadlineExceeded'));
  // Once False it stays False (one warning) until something progresses.
  const later = reconcileModelDeployment({ deployment: md(spec, after.status), replicas, nowMs: T0 + 60_000, nextSeq: 1 });
  assert.equal(cond(later, 'Progressing')?.reason, 'ProgressDeadlineExceeded');
  assert.equal(later.events.length, 0);
  const fixed = reconcileModelDeployment({ deployment: md(spec, after.status), replicas: replicas.map((x) => ({ ...x, ready: true })), nowMs: T0 + 61_000, nextSeq: 1 });
  assert.equal(cond(fixed, 'Progressing')?.status, 'True');
});

test('status: endpoint, counts, revision and the scheduler\'s fields kept', () => {
  const d = reconcileModelDeployment({
    deployment: md({ ...V1, replicas: 2 }, { updateRevision: R1, pendingReason: 'waiting', conditions: [{ type: 'Admitted', status: 'True' }] }),
    replicas: [r('a', 0, R1), r('b', 1, R1, { ready: false, phase: 'Starting', message: 'readiness probe failed: connection refused' })],
    nowMs: T0, nextSeq: 5, endpoint: 'http://127.0.0.1:9/ml/chat/',
  });
  assert.equal(d.status.endpoint, 'http://127.0.0.1:9/ml/chat/');
  assert.equal(d.status.pendingReason, 'waiting');
  assert.deepEqual([d.status.replicas, d.status.readyReplicas, d.status.updatedReplicas, d.status.observedGeneration], [2, 1, 2, 2]);
  assert.equal(d.status.updateRevision, R1);
  assert.ok(cond(d, 'Admitted'));
  assert.equal(d.status.replicaStatuses[1].message, 'readiness probe failed: connection refused');
  assert.equal(d.nextSeq, 5);
});

test('a whole rolling update converges with at least replicas - maxUnavailable ready at every step', () => {
  for (const strategy of [rolling(1, 0), rolling(0, 1), rolling('25%', '25%'), rolling(2, 1)]) {
    const n = 4;
    const spec = { ...V2, replicas: n, ...strategy };
    let status: Record<string, any> = { updateRevision: R1, replicaPlacements: seats(0, 1, 2, 3) } as Record<string, any>;
    let replicas: ObservedServingReplica[] = Array.from({ length: n }, (_, i) => r(`o${i}`, i, R1));
    let seq = 0;
    const fp = resolveFenceposts(strategy.strategy.rollingUpdate.maxSurge, strategy.strategy.rollingUpdate.maxUnavailable, n);
    const minReady = n - fp.maxUnavailable;
    for (let step = 0; step < 40; step++) {
      const d = reconcileModelDeployment({ deployment: md(spec, status), replicas, nowMs: T0 + step * 1000, nextSeq: seq });
      seq = d.nextSeq;
      status = d.status;
      // Apply: removed replicas vanish, created ones start ready next step, moves relabel.
      const gone = new Set(d.remove.map((x) => x.name));
      replicas = replicas.filter((x) => !gone.has(x.name)).map((x) => ({ ...x, index: d.moves.find((m) => m.name === x.name)?.to ?? x.index, ready: true, phase: 'Running' as const }));
      replicas.push(...d.create.map((c) => r(c.name, c.index, c.revision, { ready: false, phase: 'Starting' })));
      assert.ok(replicas.filter((x) => x.ready).length >= minReady, `${JSON.stringify(strategy)} step ${step}`);
      assert.ok(replicas.length <= n + fp.maxSurge, 'never above replicas + maxSurge');
      if (cond(d, 'Progressing')?.reason === 'NewReplicaSetAvailable') break;
    }
    assert.equal(cond({ status } as ServingDecision, 'Progressing')?.reason, 'NewReplicaSetAvailable', JSON.stringify(strategy));
    assert.deepEqual(replicas.map((x) => x.index).sort(), [0, 1, 2, 3]);
    assert.ok(replicas.every((x) => x.revision === R2));
    assert.equal(status.surgeReplicas, 0);
  }
});
