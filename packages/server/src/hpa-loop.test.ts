import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '@qm/store';
import type { Recorder } from '@qm/core';
import { ExternalMetricsRegistry, startHpaLoop, type HpaMetricsSource, type HpaReplicaInfo } from './hpa-loop.js';

const T0 = Date.UTC(2026, 0, 1);

function setup() {
  let nowMs = T0;
  const clock = { now: () => nowMs };
  const store = new MemoryStore(clock);
  const events: Array<{ reason: string; message: string; object: string }> = [];
  const recorder: Recorder = { record: (ref, _type, reason, message) => { events.push({ reason, message, object: `${ref.kind}/${ref.name}` }); } };
  const state: { replicas: HpaReplicaInfo[]; rps: Map<string, number> } = { replicas: [], rps: new Map() };
  const source: HpaMetricsSource = {
    replicas: () => state.replicas,
    podMetric: (_ns, _name, metric) => (metric === 'http_requests_per_second' ? state.rps : undefined),
    deploymentMetric: () => undefined,
  };
  return { store, clock, recorder, events, state, source, advance: (ms: number) => { nowMs += ms; } };
}

const MD = { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'a' }, spec: { command: ['x'], replicas: 2 } };
const hpa = (metrics: unknown[]) => ({
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'chat', namespace: 'a' },
  spec: { scaleTargetRef: { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', name: 'chat' }, minReplicas: 1, maxReplicas: 10, metrics },
});
const RPS = { type: 'Pods', pods: { metric: { name: 'http_requests_per_second' }, target: { type: 'AverageValue', averageValue: '10' } } };

test('HPA loop: Pods requests/s from the source → spec.replicas by the HPA formula, status and events written', async () => {
  const s = setup();
  await s.store.create(MD);
  await s.store.create(hpa([RPS]));
  s.state.replicas = [0, 1].map((i) => ({ id: `chat-${i}`, ready: true, startTimeMs: T0 - 60_000, readyTransitionMs: T0 - 60_000 }));
  s.state.rps = new Map([['chat-0', 30], ['chat-1', 30]]);
  const loop = await startHpaLoop({ store: s.store, clock: s.clock, recorder: s.recorder, source: s.source, syncPeriodMs: 3_600_000 });
  try {
    await loop.tick();
    // ratio 30/10 = 3 → ceil(3·2) = 6 (legacy cap max(4, 2·2) = 4).
    assert.equal((await s.store.get('ModelDeployment', 'a', 'chat'))!.spec.replicas, 4);
    const status = (await s.store.get('HorizontalPodAutoscaler', 'a', 'chat'))!.status;
    assert.equal(status.desiredReplicas, 4);
    assert.equal(status.currentMetrics[0].pods.current.averageValue, '30');
    assert.ok(s.events.some((e) => e.reason === 'ScaledUp' && e.message.includes('2 → 4')));
  } finally {
    await loop.stop();
    await s.store.close();
  }
});

test('HPA loop: an unreadable metric is ScalingActive=False with one Warning, and never scales down', async () => {
  const s = setup();
  await s.store.create(MD);
  await s.store.create(hpa([RPS, { type: 'External', external: { metric: { name: 'queue_depth' }, target: { type: 'AverageValue', averageValue: '5' } } }]));
  s.state.replicas = [0, 1].map((i) => ({ id: `chat-${i}`, ready: true, startTimeMs: T0 - 60_000, readyTransitionMs: T0 - 60_000 }));
  s.state.rps = new Map([['chat-0', 1], ['chat-1', 1]]);
  const external = new ExternalMetricsRegistry();
  const loop = await startHpaLoop({ store: s.store, clock: s.clock, recorder: s.recorder, source: s.source, external, syncPeriodMs: 3_600_000, options: { downscaleStabilizationWindowMs: 0 } });
  try {
    await loop.tick();
    s.advance(15_000);
    await loop.tick();
    assert.equal((await s.store.get('ModelDeployment', 'a', 'chat'))!.spec.replicas, 2, 'no scale-down while a metric is invalid');
    const active = (await s.store.get('HorizontalPodAutoscaler', 'a', 'chat'))!.status.conditions.find((c: { type: string }) => c.type === 'ScalingActive');
    assert.equal(active.status, 'False');
    assert.match(active.message, /queue_depth has no value/);
    assert.equal(s.events.filter((e) => e.reason === 'FailedGetExternalMetric').length, 1, 'recorded once, not every sync');
    // Once the external metric is set (total 2 over 2 replicas → 1 per replica, target 5) both metrics say 1 replica.
    external.set('queue_depth', [2], T0);
    s.advance(15_000);
    await loop.tick();
    assert.equal((await s.store.get('ModelDeployment', 'a', 'chat'))!.spec.replicas, 1);
  } finally {
    await loop.stop();
    await s.store.close();
  }
});

test('HPA loop: a missing target is AbleToScale=False', async () => {
  const s = setup();
  await s.store.create(hpa([RPS]));
  const loop = await startHpaLoop({ store: s.store, clock: s.clock, recorder: s.recorder, source: s.source, syncPeriodMs: 3_600_000 });
  try {
    await loop.tick();
    const cond = (await s.store.get('HorizontalPodAutoscaler', 'a', 'chat'))!.status.conditions[0];
    assert.deepEqual([cond.type, cond.status, cond.reason], ['AbleToScale', 'False', 'FailedGetScale']);
  } finally {
    await loop.stop();
    await s.store.close();
  }
});

test('HPA loop: a non-positive sync period is refused', async () => {
  const s = setup();
  await assert.rejects(startHpaLoop({ store: s.store, clock: s.clock, recorder: s.recorder, source: s.source, syncPeriodMs: 0 }), /hpa-sync-period/);
  await s.store.close();
});
