// Reference cases from Kubernetes' pkg/controller/podautoscaler/horizontal_test.go for a whole sync
// (reconcileAutoscaler), rewritten as our own table; each case names the Kubernetes test it mirrors.
// As there, a pod's cpu usage is given in millicores and its request defaults to one core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { HorizontalPodAutoscalerSpec, HPAScalingRules, MetricSpec } from '@qm/api';
import { isQmError } from '@qm/api';
import { computeHpaDecision } from './hpa-decision.js';
import type { HpaDecision, HpaHistory, HpaMetricReading, HpaPod, HpaPodPhase, HpaRecommendation } from './types.js';

const NOW = 1_700_000_000_000;
const LONG_AGO = NOW - 24 * 3600_000;
// The controller flags Kubernetes' tests use (2 min CPU initialization, 10 s readiness delay).
const OPTIONS = { cpuInitializationPeriodMs: 120_000, delayOfInitialReadinessStatusMs: 10_000 };

type Cond = [type: string, status: string, reason: string];
const OK: Cond[] = [['AbleToScale', 'True', 'SucceededRescale'], ['ScalingActive', 'True', 'ValidMetricFound'], ['ScalingLimited', 'False', 'DesiredWithinRange']];

/** Kubernetes' statusOkWithOverrides. */
function okWith(...overrides: Cond[]): Cond[] {
  const out = OK.map((c) => [...c] as Cond);
  for (const o of overrides) {
    const i = out.findIndex((c) => c[0] === o[0]);
    if (i >= 0) out[i] = o;
    else out.push(o);
  }
  return out;
}

interface Case {
  name: string;
  min?: number;
  max: number;
  specReplicas: number;
  statusReplicas?: number;
  cpuTarget?: number;
  /** Per-pod cpu usage, millicores. */
  levels?: number[];
  /** Per-pod cpu requests; their count is the pod count (default: statusReplicas pods of 1 core). */
  requests?: string[];
  readiness?: boolean[];
  phases?: HpaPodPhase[];
  /** More metrics after the cpu one, with what their sources returned. */
  extra?: Array<{ spec: MetricSpec; reading: HpaMetricReading }>;
  scaleUp?: HPAScalingRules;
  scaleDown?: HPAScalingRules;
  /** Undefined: first sync (the current size is the initial recommendation). */
  recommendations?: HpaRecommendation[];
  expected: number;
  conditions?: Cond[];
}

function run(c: Case, extraInput: { history?: HpaHistory; nowMs?: number } = {}): HpaDecision {
  const statusReplicas = c.statusReplicas ?? c.specReplicas;
  const requests = c.requests ?? Array(statusReplicas).fill('1.0');
  const pods: HpaPod[] = requests.map((cpu, i) => ({
    name: `test-pod-${i}`, phase: c.phases?.[i] ?? 'Running', ready: c.readiness?.[i] ?? true,
    startTimeMs: LONG_AGO, readyTransitionMs: LONG_AGO, requests: { cpu },
  }));
  const metrics: MetricSpec[] = [];
  const readings: HpaMetricReading[] = [];
  if (c.cpuTarget !== undefined) {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: c.cpuTarget } } });
    readings.push({ kind: 'pods', samples: (c.levels ?? []).map((l, i) => ({ pod: `test-pod-${i}`, value: `${l}m`, timestampMs: NOW, windowMs: 60_000 })) });
  }
  for (const e of c.extra ?? []) {
    metrics.push(e.spec);
    readings.push(e.reading);
  }
  const spec: HorizontalPodAutoscalerSpec = {
    scaleTargetRef: { kind: 'ModelDeployment', name: 'chat' }, minReplicas: c.min ?? 1, maxReplicas: c.max, metrics,
    ...(c.scaleUp || c.scaleDown ? { behavior: { ...(c.scaleUp ? { scaleUp: c.scaleUp } : {}), ...(c.scaleDown ? { scaleDown: c.scaleDown } : {}) } } : {}),
  };
  const history = extraInput.history ?? (c.recommendations ? { recommendations: c.recommendations, scaleEvents: { up: [], down: [] } } : undefined);
  return computeHpaDecision({
    hpa: { metadata: { name: 'test-hpa', namespace: 'test-namespace' }, spec },
    currentReplicas: c.specReplicas, statusReplicas, pods, metrics: readings, history, nowMs: extraInput.nowMs ?? NOW, options: OPTIONS,
  });
}

const conds = (d: HpaDecision): Cond[] => (d.status.conditions ?? []).map((c) => [c.type, c.status, c.reason ?? ''] as Cond);

const qps = (type: 'Pods' | 'Object' | 'External', target: { value?: string; averageValue?: string }): MetricSpec => {
  const t = { type: target.averageValue !== undefined ? 'AverageValue' as const : 'Value' as const, ...target };
  if (type === 'Pods') return { type, pods: { metric: { name: 'qps' }, target: t } };
  if (type === 'Object') return { type, object: { describedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'some-deployment' }, metric: { name: 'qps' }, target: t } };
  return { type, external: { metric: { name: 'qps', selector: { matchLabels: { label: 'value' } } }, target: t } };
};
const podsReading = (levelsMilli: number[]): HpaMetricReading => ({
  kind: 'pods', samples: levelsMilli.map((l, i) => ({ pod: `test-pod-${i}`, value: `${l}m`, timestampMs: NOW })),
});
const externalDown: HpaMetricReading = { kind: 'error', message: 'something went wrong' };

const cases: Case[] = [
  { name: 'TestScaleUp', min: 2, max: 6, specReplicas: 3, cpuTarget: 30, levels: [300, 500, 700], expected: 5, conditions: OK },
  { name: 'TestScaleUpUnreadyLessScale', min: 2, max: 6, specReplicas: 3, cpuTarget: 30, levels: [300, 500, 700], readiness: [false, true, true], expected: 4, conditions: OK },
  { name: 'TestScaleUpUnreadyNoScale', min: 2, max: 6, specReplicas: 3, cpuTarget: 30, levels: [400, 500, 700], readiness: [true, false, false], expected: 3,
    conditions: okWith(['AbleToScale', 'True', 'ReadyForNewScale']) },
  { name: 'TestScaleUpIgnoresFailedPods', min: 2, max: 6, specReplicas: 2, cpuTarget: 30, levels: [500, 700], requests: ['1.0', '1.0', '1.0', '1.0'],
    readiness: [true, true, false, false], phases: ['Running', 'Running', 'Failed', 'Failed'], expected: 4, conditions: OK },
  { name: 'TestScaleUpCM', min: 2, max: 6, specReplicas: 3, extra: [{ spec: qps('Pods', { averageValue: '15' }), reading: podsReading([20000, 10000, 30000]) }],
    expected: 4, conditions: OK },
  { name: 'TestScaleUpCMObject', min: 2, max: 6, specReplicas: 3, extra: [{ spec: qps('Object', { value: '15' }), reading: { kind: 'object', value: '20' } }],
    expected: 4, conditions: OK },
  { name: 'TestScaleUpPerPodCMObject', min: 2, max: 6, specReplicas: 3, extra: [{ spec: qps('Object', { averageValue: '5' }), reading: { kind: 'object', value: '20' } }],
    expected: 4, conditions: OK },
  { name: 'TestScaleUpCMExternal', min: 2, max: 6, specReplicas: 3, extra: [{ spec: qps('External', { value: '4400m' }), reading: { kind: 'external', values: ['8600m'] } }],
    expected: 6, conditions: OK },
  { name: 'TestScaleUpPerPodCMExternal', min: 2, max: 6, specReplicas: 3, extra: [{ spec: qps('External', { averageValue: '2150m' }), reading: { kind: 'external', values: ['8600m'] } }],
    expected: 4, conditions: OK },
  { name: 'TestScaleDown', min: 2, max: 6, specReplicas: 5, cpuTarget: 50, levels: [100, 300, 500, 250, 250], recommendations: [], expected: 3, conditions: OK },
  { name: 'TestScaleDownStabilizeInitialSize (first sync: the current size is a recent recommendation)', min: 2, max: 6, specReplicas: 5, cpuTarget: 50,
    levels: [100, 300, 500, 250, 250], expected: 5, conditions: okWith(['AbleToScale', 'True', 'ScaleDownStabilized']) },
  { name: 'TestScaleUpOneMetricEmpty (a failing metric does not block a scale-up)', min: 2, max: 6, specReplicas: 3, cpuTarget: 30, levels: [300, 400, 500],
    extra: [{ spec: qps('External', { value: '100m' }), reading: externalDown }], expected: 4, conditions: OK },
  { name: 'TestNoScaleDownOneMetricEmpty (never scale down while a metric is invalid)', min: 2, max: 6, specReplicas: 5, cpuTarget: 50,
    levels: [100, 300, 500, 250, 250], recommendations: [], extra: [{ spec: qps('External', { value: '1' }), reading: externalDown }], expected: 5,
    conditions: [['AbleToScale', 'True', 'SucceededGetScale'], ['ScalingActive', 'False', 'FailedGetExternalMetric']] },
  { name: 'TestReplicaLimits: scale down clamped to min replicas', min: 2, max: 5, specReplicas: 3, cpuTarget: 90, levels: [10, 95, 10], requests: ['0.9', '1.0', '1.1'],
    recommendations: [], expected: 2, conditions: okWith(['ScalingLimited', 'True', 'TooFewReplicas']) },
  { name: 'TestReplicaLimits: scale down to zero when min replicas is zero', min: 0, max: 5, specReplicas: 3, cpuTarget: 90, levels: [0, 0, 0], requests: ['0.9', '1.0', '1.1'],
    recommendations: [], expected: 0, conditions: OK },
  { name: 'TestReplicaLimits: scale down clamped to min when desired is zero', min: 2, max: 5, specReplicas: 3, cpuTarget: 90, levels: [0, 0, 0], requests: ['0.9', '1.0', '1.1'],
    recommendations: [], expected: 2, conditions: okWith(['ScalingLimited', 'True', 'TooFewReplicas']) },
  { name: 'TestReplicaLimits: no scaling when spec replicas is zero', min: 3, max: 5, specReplicas: 0, cpuTarget: 90, levels: [], requests: [], expected: 0,
    conditions: [['AbleToScale', 'True', 'SucceededGetScale'], ['ScalingActive', 'False', 'ScalingDisabled']] },
  { name: 'TestReplicaLimits: scale up to min when below min replicas', min: 3, max: 5, specReplicas: 2, cpuTarget: 90, levels: [], requests: [], expected: 3,
    conditions: [['AbleToScale', 'True', 'SucceededRescale']] },
  { name: 'TestReplicaLimits: scale down to max when above max replicas', min: 3, max: 5, specReplicas: 10, cpuTarget: 90, levels: [], requests: [], expected: 5,
    conditions: [['AbleToScale', 'True', 'SucceededRescale']] },
  { name: 'TestReplicaLimits: scale up clamped to max replicas', min: 2, max: 5, specReplicas: 3, cpuTarget: 90, levels: [8000, 9500, 1000], requests: ['0.9', '1.0', '1.1'],
    expected: 5, conditions: okWith(['ScalingLimited', 'True', 'TooManyReplicas']) },
  { name: 'TestMetricsEdgeCases: superfluous metrics reported', min: 2, max: 6, specReplicas: 4, cpuTarget: 100, levels: [4000, 9500, 3000, 7000, 3200, 2000],
    requests: ['1.0', '1.0', '1.0', '1.0'], expected: 6, conditions: okWith(['ScalingLimited', 'True', 'TooManyReplicas']) },
  { name: 'TestUpscaleCap (behavior: 700 % per 60 s)', min: 1, max: 100, specReplicas: 3, cpuTarget: 10, levels: [100, 200, 300], requests: ['0.1', '0.1', '0.1'],
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 700, periodSeconds: 60 }] },
    expected: 24, conditions: okWith(['ScalingLimited', 'True', 'ScaleUpLimit']) },
  { name: 'TestUpscaleCapGreaterThanMaxReplicas', min: 1, max: 20, specReplicas: 3, cpuTarget: 10, levels: [100, 200, 300], requests: ['0.1', '0.1', '0.1'],
    scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 700, periodSeconds: 60 }] },
    expected: 20, conditions: okWith(['ScalingLimited', 'True', 'TooManyReplicas']) },
  { name: 'legacy cap without behavior: at most 2 × current (TestUpscaleCap before behavior)', min: 1, max: 100, specReplicas: 3, cpuTarget: 10, levels: [100, 200, 300],
    requests: ['0.1', '0.1', '0.1'], expected: 6, conditions: okWith(['ScalingLimited', 'True', 'ScaleUpLimit']) },
  { name: 'TestMoreReplicasThanSpecNoScale (surge pods during a rollout)', min: 1, max: 8, specReplicas: 4, statusReplicas: 5, cpuTarget: 50,
    levels: [500, 500, 500, 500, 500], expected: 4, conditions: okWith(['AbleToScale', 'True', 'ReadyForNewScale']) },
  { name: 'TestConfigurableTolerance: scaling up because of a 1% configurable tolerance', min: 1, max: 5, specReplicas: 3, cpuTarget: 100,
    levels: [1010, 1030, 1020], requests: ['0.9', '1.0', '1.1'], scaleUp: { tolerance: '0.01' }, expected: 4, conditions: OK },
  { name: 'TestConfigurableTolerance: no scale-down because of a 90% configurable tolerance', min: 1, max: 5, specReplicas: 3, cpuTarget: 100,
    levels: [300, 300, 300], scaleDown: { tolerance: '0.9' }, expected: 3, conditions: okWith(['AbleToScale', 'True', 'ReadyForNewScale']) },
  { name: 'TestConfigurableTolerance: no scaling because of the large default tolerance', min: 1, max: 5, specReplicas: 3, cpuTarget: 100,
    levels: [1010, 1030, 1020], requests: ['0.9', '1.0', '1.1'], expected: 3, conditions: okWith(['AbleToScale', 'True', 'ReadyForNewScale']) },
  { name: 'the highest proposal of several metrics wins', min: 1, max: 10, specReplicas: 3, cpuTarget: 30, levels: [300, 300, 300],
    extra: [{ spec: qps('Pods', { averageValue: '10' }), reading: podsReading([20000, 20000, 20000]) }], expected: 6, conditions: OK },
];

for (const c of cases) {
  test(`computeHpaDecision: ${c.name}`, () => {
    const d = run(c);
    assert.equal(d.desiredReplicas, c.expected);
    assert.equal(d.rescale, c.expected !== c.specReplicas);
    assert.equal(d.status.currentReplicas, c.specReplicas);
    if (c.conditions) assert.deepEqual(conds(d), c.conditions);
  });
}

test('computeHpaDecision: status, events and lastScaleTime of a scale-up (TestScaleUp, TestEventCreated)', () => {
  const d = run(cases[0]);
  assert.equal(d.status.desiredReplicas, 5);
  assert.equal(d.status.lastScaleTime, new Date(NOW).toISOString());
  assert.deepEqual(d.status.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '500m' } } }]);
  assert.deepEqual(d.events, [{ type: 'Normal', reason: 'SuccessfulRescale', message: 'New size: 5; reason: cpu resource utilization (percentage of request) above target' }]);
  assert.equal(d.error, undefined);
});

test('computeHpaDecision: a failing metric reports a Warning and the error even when it still scales up', () => {
  const d = run(cases.find((c) => c.name.startsWith('TestScaleUpOneMetricEmpty'))!);
  assert.deepEqual(d.events.map((e) => [e.type, e.reason]), [['Warning', 'FailedGetExternalMetric'], ['Normal', 'SuccessfulRescale']]);
  assert.match(d.error ?? '', /^invalid metrics \(1 invalid out of 2\), first error is: failed to get qps external metric value: .*something went wrong/);
});

test('computeHpaDecision: every metric invalid keeps the size and the last desired count (TestConditionFailedGetMetrics)', () => {
  const d = computeHpaDecision({
    hpa: { spec: { scaleTargetRef: { kind: 'ModelDeployment', name: 'chat' }, minReplicas: 1, maxReplicas: 5 }, status: { desiredReplicas: 4 } },
    currentReplicas: 3, pods: [], metrics: [{ kind: 'error', message: 'metrics server down' }], nowMs: NOW,
  });
  assert.equal(d.rescale, false);
  assert.equal(d.desiredReplicas, 3);
  assert.equal(d.status.desiredReplicas, 4);
  assert.deepEqual(conds(d), [['AbleToScale', 'True', 'SucceededGetScale'], ['ScalingActive', 'False', 'FailedGetResourceMetric']]);
  assert.deepEqual(d.events.map((e) => e.reason), ['FailedGetResourceMetric', 'FailedComputeMetricsReplicas']);
  assert.match(d.events[1].message, /invalid metrics \(1 invalid out of 1\).*metrics server down/);
});

test('computeHpaDecision: no spec.metrics means cpu at 80 % (Kubernetes default)', () => {
  const pods: HpaPod[] = [0, 1].map((i) => ({ name: `p${i}`, phase: 'Running', ready: true, startTimeMs: LONG_AGO, readyTransitionMs: LONG_AGO, requests: { cpu: '1' } }));
  const d = computeHpaDecision({
    hpa: { spec: { scaleTargetRef: { kind: 'ModelDeployment', name: 'chat' }, maxReplicas: 10 } },
    currentReplicas: 2, pods, nowMs: NOW,
    metrics: [{ kind: 'pods', samples: pods.map((p) => ({ pod: p.name, value: '1600m', timestampMs: NOW })) }],
  });
  assert.equal(d.desiredReplicas, 4); // 160 % / 80 % × 2
});

test('computeHpaDecision: history carries the stabilization window across syncs (scale-down waits 5 minutes)', () => {
  const c: Case = { name: 'idle', min: 1, max: 10, specReplicas: 4, cpuTarget: 50, levels: [100, 100, 100, 100], expected: 4 };
  let d = run(c); // first sync records 4 as a recommendation at NOW
  assert.equal(d.desiredReplicas, 4);
  assert.deepEqual(conds(d)[0], ['AbleToScale', 'True', 'ScaleDownStabilized']);
  d = run(c, { history: d.history, nowMs: NOW + 299_000 });
  assert.equal(d.desiredReplicas, 4, 'still inside the window');
  d = run(c, { history: d.history, nowMs: NOW + 301_000 });
  assert.equal(d.desiredReplicas, 1, 'the 4 fell out of the window; the later 1s remain');
  assert.equal(d.events[0].message, 'New size: 1; reason: All metrics below target');
});

test('computeHpaDecision: scale events are stored only with behavior, and limit the next scale-up', () => {
  const up: HPAScalingRules = { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 2, periodSeconds: 60 }] };
  const c: Case = { name: 'busy', min: 1, max: 20, specReplicas: 2, cpuTarget: 50, levels: [500, 500], requests: ['0.1', '0.1'], scaleUp: up, expected: 4 };
  const first = run(c);
  assert.equal(first.desiredReplicas, 4);
  assert.deepEqual(first.history.scaleEvents.up.map((e) => e.replicaChange), [2]);
  // 30 s later, 4 replicas still hot: the 60 s period already added 2, so nothing more yet.
  const pods4: Case = { ...c, specReplicas: 4, levels: [500, 500, 500, 500], requests: ['0.1', '0.1', '0.1', '0.1'] };
  const second = run(pods4, { history: first.history, nowMs: NOW + 30_000 });
  assert.equal(second.desiredReplicas, 4);
  assert.deepEqual(conds(second).find((x) => x[0] === 'ScalingLimited'), ['ScalingLimited', 'True', 'ScaleUpLimit']);
  const legacy = run({ ...c, scaleUp: undefined });
  assert.deepEqual(legacy.history.scaleEvents, { up: [], down: [] });
});

test('computeHpaDecision: conditions keep lastTransitionTime while their status holds', () => {
  const c = cases[0];
  const first = run(c);
  const again = computeHpaDecision({
    hpa: { spec: { scaleTargetRef: { kind: 'ModelDeployment', name: 'chat' }, minReplicas: 2, maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 30 } } }] }, status: first.status },
    currentReplicas: 5, nowMs: NOW + 60_000, history: first.history, options: OPTIONS,
    pods: [0, 1, 2, 3, 4].map((i) => ({ name: `p${i}`, phase: 'Running', ready: true, startTimeMs: LONG_AGO, readyTransitionMs: LONG_AGO, requests: { cpu: '1' } })),
    metrics: [{ kind: 'pods', samples: [0, 1, 2, 3, 4].map((i) => ({ pod: `p${i}`, value: '300m', timestampMs: NOW + 60_000 })) }],
  });
  assert.equal(again.rescale, false);
  const active = again.status.conditions!.find((x) => x.type === 'ScalingActive')!;
  assert.equal(active.lastTransitionTime, new Date(NOW).toISOString());
  assert.equal(again.status.lastScaleTime, new Date(NOW).toISOString());
});

test('computeHpaDecision: bad input throws Invalid naming the field', async (t) => {
  const base = { hpa: { spec: { scaleTargetRef: { kind: 'ModelDeployment', name: 'x' }, maxReplicas: 3 } }, currentReplicas: 1, pods: [], metrics: [], nowMs: NOW };
  const bad: Array<[string, Record<string, unknown>, string]> = [
    ['negative replicas', { currentReplicas: -1 }, 'currentReplicas'],
    ['no clock', { nowMs: Number.NaN }, 'nowMs'],
    ['bad pod phase', { pods: [{ name: 'a', phase: 'Sleeping', ready: true, requests: {} }] }, 'pods[0].phase'],
    ['bad option', { options: { tolerance: -1 } }, 'options.tolerance'],
    ['bad history', { history: { recommendations: 'x', scaleEvents: { up: [], down: [] } } }, 'history.recommendations'],
  ];
  for (const [name, patch, field] of bad) {
    await t.test(name, () => {
      assert.throws(() => computeHpaDecision({ ...base, ...patch } as never), (err: unknown) => isQmError(err, 'Invalid') && err.message.startsWith(field));
    });
  }
});
