// Reference cases from Kubernetes' pkg/controller/podautoscaler/replica_calculator_test.go, rewritten
// as our own table. Each case is named after the Kubernetes test it mirrors. As there, every pod has
// two containers: a pod's request and usage are twice the per-container numbers, so raw values
// match Kubernetes' `numContainersPerPod * x` expectations.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuantity } from '@qm/api';
import {
  averageValueTargetReplicas, groupPods, plainMetricReplicas, resourceUtilizationReplicas, valueTargetReplicas,
  type PodMetrics, type Tolerances,
} from './replica-calculator.js';
import type { HpaPod, HpaPodPhase } from './types.js';

const NOW = 1_700_000_000_000;
const MINUTE = 60_000;
const CONTAINERS = 2;
const TOL: Tolerances = { scaleDown: 0.1, scaleUp: 0.1 };
// Kubernetes' test constants (defaultTestingCPUInitializationPeriod, ...DelayOfInitialReadinessStatus).
const TIMING = { cpuInitializationPeriodMs: 2 * MINUTE, delayOfInitialReadinessStatusMs: 10_000 };
const toMilli = (v: string | number): bigint => parseQuantity(v).milli;

type Start = 'hot' | 'cool';

interface PodSetup {
  currentReplicas: number;
  readiness?: boolean[];
  startTimes?: Start[];
  phases?: HpaPodPhase[];
  deleting?: boolean[];
  /** Per-container cpu requests; pods past the end have none. */
  requests?: string[];
}

// hot: started now (inside the CPU initialization period); cool: 3 minutes ago; default: long ago.
function startOf(s: Start | undefined): number {
  if (s === 'hot') return NOW;
  if (s === 'cool') return NOW - 3 * MINUTE;
  return NOW - 24 * 60 * MINUTE;
}

function makePods(s: PodSetup): HpaPod[] {
  const count = Math.max(s.currentReplicas, s.phases?.length ?? 0);
  return Array.from({ length: count }, (_, i): HpaPod => {
    const startTimeMs = startOf(s.startTimes?.[i]);
    const request = s.requests?.[i];
    return {
      name: `test-pod-${i}`,
      phase: s.phases?.[i] ?? 'Running',
      ready: s.readiness?.[i] ?? true,
      startTimeMs,
      readyTransitionMs: startTimeMs,
      deleting: s.deleting?.[i] ?? false,
      requests: request === undefined ? {} as Record<string, string> : { cpu: `${toMilli(request) * BigInt(CONTAINERS)}m` },
    };
  });
}

function makeMetrics(levels: number[], podNames?: string[], perPod = CONTAINERS): PodMetrics {
  const m: PodMetrics = new Map();
  levels.forEach((level, i) => {
    m.set(podNames?.[i] ?? `test-pod-${i}`, { valueMilli: BigInt(level * perPod), timestampMs: NOW, windowMs: MINUTE });
  });
  return m;
}

const ones = (n: number) => Array.from({ length: n }, () => '1.0');

interface ResourceCase extends PodSetup {
  name: string;
  levels: number[];
  podNames?: string[];
  targetUtilization: number;
  expected: { replicas: number; utilization: number; raw: number } | { error: string };
}

const resourceCases: ResourceCase[] = [
  { name: 'TestReplicaCalcDisjointResourcesMetrics', currentReplicas: 1, requests: ['1.0'], levels: [100], podNames: ['an-older-pod-name'], targetUtilization: 100,
    expected: { error: 'no metrics returned matched known pods' } },
  { name: 'TestReplicaCalcScaleUp', currentReplicas: 3, requests: ones(3), levels: [300, 500, 700], targetUtilization: 30,
    expected: { replicas: 5, utilization: 50, raw: CONTAINERS * 500 } },
  { name: 'TestReplicaCalcScaleUpUnreadyLessScale', currentReplicas: 3, readiness: [false, true, true], requests: ones(3), levels: [300, 500, 700], targetUtilization: 30,
    expected: { replicas: 4, utilization: 60, raw: CONTAINERS * 600 } },
  { name: 'TestReplicaCalcScaleUpHotCpuLessScale', currentReplicas: 3, startTimes: ['hot', 'cool', 'cool'], requests: ones(3), levels: [300, 500, 700], targetUtilization: 30,
    expected: { replicas: 4, utilization: 60, raw: CONTAINERS * 600 } },
  { name: 'TestReplicaCalcScaleUpUnreadyNoScale', currentReplicas: 3, readiness: [true, false, false], requests: ones(3), levels: [400, 500, 700], targetUtilization: 30,
    expected: { replicas: 3, utilization: 40, raw: CONTAINERS * 400 } },
  { name: 'TestReplicaCalcScaleHotCpuNoScale', currentReplicas: 3, readiness: [true, false, false], startTimes: ['cool', 'hot', 'hot'], requests: ones(3), levels: [400, 500, 700], targetUtilization: 30,
    expected: { replicas: 3, utilization: 40, raw: CONTAINERS * 400 } },
  { name: 'TestReplicaCalcScaleUpIgnoresFailedPods', currentReplicas: 2, readiness: [true, true, false, false], phases: ['Running', 'Running', 'Failed', 'Failed'],
    requests: ones(4), levels: [500, 700], targetUtilization: 30, expected: { replicas: 4, utilization: 60, raw: CONTAINERS * 600 } },
  { name: 'TestReplicaCalcScaleUpIgnoresDeletionPods', currentReplicas: 2, readiness: [true, true, false, false], phases: ['Running', 'Running', 'Running', 'Running'],
    deleting: [false, false, true, true], requests: ones(4), levels: [500, 700], targetUtilization: 30, expected: { replicas: 4, utilization: 60, raw: CONTAINERS * 600 } },
  { name: 'TestReplicaCalcScaleDown', currentReplicas: 5, requests: ones(5), levels: [100, 300, 500, 250, 250], targetUtilization: 50,
    expected: { replicas: 3, utilization: 28, raw: CONTAINERS * 280 } },
  { name: 'TestReplicaCalcScaleDownIncludeUnreadyPods', currentReplicas: 5, readiness: [true, true, true, false, false], requests: ones(5), levels: [100, 300, 500, 250, 250],
    targetUtilization: 50, expected: { replicas: 2, utilization: 30, raw: CONTAINERS * 300 } },
  { name: 'TestReplicaCalcScaleDownExcludeUnscheduledPods', currentReplicas: 5, readiness: [true, false, false, false, false],
    phases: ['Running', 'Pending', 'Pending', 'Pending', 'Pending'], requests: ones(5), levels: [100], targetUtilization: 50,
    expected: { replicas: 1, utilization: 10, raw: CONTAINERS * 100 } },
  { name: 'TestReplicaCalcScaleDownIgnoreHotCpuPods', currentReplicas: 5, startTimes: ['cool', 'cool', 'cool', 'hot', 'hot'], requests: ones(5),
    levels: [100, 300, 500, 250, 250], targetUtilization: 50, expected: { replicas: 2, utilization: 30, raw: CONTAINERS * 300 } },
  { name: 'TestReplicaCalcScaleDownIgnoresFailedPods', currentReplicas: 5, readiness: [true, true, true, true, true, false, false],
    phases: ['Running', 'Running', 'Running', 'Running', 'Running', 'Failed', 'Failed'], requests: ones(7), levels: [100, 300, 500, 250, 250],
    targetUtilization: 50, expected: { replicas: 3, utilization: 28, raw: CONTAINERS * 280 } },
  { name: 'TestReplicaCalcScaleDownIgnoresDeletionPods', currentReplicas: 5, readiness: [true, true, true, true, true, false, false],
    phases: Array(7).fill('Running'), deleting: [false, false, false, false, false, true, true], requests: ones(7), levels: [100, 300, 500, 250, 250],
    targetUtilization: 50, expected: { replicas: 3, utilization: 28, raw: CONTAINERS * 280 } },
  { name: 'TestReplicaCalcTolerance', currentReplicas: 3, requests: ['0.9', '1.0', '1.1'], levels: [1010, 1030, 1020], targetUtilization: 100,
    expected: { replicas: 3, utilization: 102, raw: CONTAINERS * 1020 } },
  { name: 'TestReplicaCalcSuperfluousMetrics', currentReplicas: 4, requests: ones(4), levels: [4000, 9500, 3000, 7000, 3200, 2000], targetUtilization: 100,
    expected: { replicas: 24, utilization: 587, raw: CONTAINERS * 5875 } },
  { name: 'TestReplicaCalcMissingMetrics', currentReplicas: 4, requests: ones(4), levels: [400, 95], targetUtilization: 100,
    expected: { replicas: 3, utilization: 24, raw: 495 } },
  { name: 'TestReplicaCalcEmptyCPURequest', currentReplicas: 1, requests: [], levels: [200], targetUtilization: 100,
    expected: { error: 'missing request for' } },
  { name: 'TestReplicaCalcMissingMetricsNoChangeEq', currentReplicas: 2, requests: ones(2), levels: [1000], targetUtilization: 100,
    expected: { replicas: 2, utilization: 100, raw: CONTAINERS * 1000 } },
  { name: 'TestReplicaCalcMissingMetricsNoChangeGt', currentReplicas: 2, requests: ones(2), levels: [1900], targetUtilization: 100,
    expected: { replicas: 2, utilization: 190, raw: CONTAINERS * 1900 } },
  { name: 'TestReplicaCalcMissingMetricsNoChangeLt', currentReplicas: 2, requests: ones(2), levels: [600], targetUtilization: 100,
    expected: { replicas: 2, utilization: 60, raw: CONTAINERS * 600 } },
  { name: 'TestReplicaCalcMissingMetricsUnreadyChange', currentReplicas: 3, readiness: [false, true, true], requests: ones(3), levels: [100, 450], targetUtilization: 50,
    expected: { replicas: 3, utilization: 45, raw: CONTAINERS * 450 } },
  { name: 'TestReplicaCalcMissingMetricsHotCpuNoChange', currentReplicas: 3, startTimes: ['hot', 'cool', 'cool'], requests: ones(3), levels: [100, 450], targetUtilization: 50,
    expected: { replicas: 3, utilization: 45, raw: CONTAINERS * 450 } },
  { name: 'TestReplicaCalcMissingMetricsUnreadyScaleUp', currentReplicas: 3, readiness: [false, true, true], requests: ones(3), levels: [100, 2000], targetUtilization: 50,
    expected: { replicas: 4, utilization: 200, raw: CONTAINERS * 2000 } },
  { name: 'TestReplicaCalcMissingMetricsHotCpuScaleUp', currentReplicas: 3, readiness: [false, true, true], startTimes: ['hot', 'cool', 'cool'], requests: ones(3),
    levels: [100, 2000], targetUtilization: 50, expected: { replicas: 4, utilization: 200, raw: CONTAINERS * 2000 } },
  { name: 'TestReplicaCalcMissingMetricsUnreadyScaleDown', currentReplicas: 4, readiness: [false, true, true, true], requests: ones(4), levels: [100, 100, 100],
    targetUtilization: 50, expected: { replicas: 3, utilization: 10, raw: CONTAINERS * 100 } },
  { name: 'TestReplicaCalcDuringRollingUpdateWithMaxSurge', currentReplicas: 2, phases: ['Running', 'Running', 'Running'], requests: ones(3), levels: [100, 100],
    targetUtilization: 50, expected: { replicas: 2, utilization: 10, raw: CONTAINERS * 100 } },
  // Our own: above a 100 % target, a missing pod is assumed at the target on a scale-down.
  { name: 'missing pod on a scale-down with a 300 % target is assumed at the target', currentReplicas: 2, requests: ones(2), levels: [500], targetUtilization: 300,
    // 50 % → ratio 0.17; the missing pod at 300 % → (1000 + 6000) / 4000 = 175 % → 0.58 → ceil(1.17) = 2 = current.
    expected: { replicas: 2, utilization: 50, raw: CONTAINERS * 500 } },
];

for (const c of resourceCases) {
  test(`replica calculator (Resource utilization): ${c.name}`, () => {
    const r = resourceUtilizationReplicas({
      currentReplicas: c.currentReplicas, targetUtilization: c.targetUtilization, resource: 'cpu',
      pods: makePods(c), metrics: makeMetrics(c.levels, c.podNames), tolerances: TOL, nowMs: NOW, timing: TIMING, toMilli,
    });
    if ('error' in c.expected) {
      assert.equal(r.ok, false);
      assert.ok(!r.ok && r.error.includes(c.expected.error), `error ${JSON.stringify(!r.ok && r.error)} should contain ${c.expected.error}`);
      return;
    }
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.deepEqual({ replicas: r.value.replicas, utilization: r.value.utilization, raw: Number(r.value.rawAverageMilli) }, c.expected);
  });
}

test('replica calculator: TestReplicaCalcComputedToleranceAlgImplementation (just outside, then just inside the tolerance)', () => {
  const startPods = 10;
  const totalUsed = startPods * 150;
  const totalRequested = 2 * totalUsed;
  const perPod = totalRequested / startPods;
  const requests = [perPod + 100, perPod - 100, perPod + 10, perPod - 10, perPod + 2, perPod - 2, perPod + 1, perPod - 1, perPod, perPod].map((m) => `${m}m`);
  const pods = makePods({ currentReplicas: startPods, requests });
  const metrics = makeMetrics(Array(10).fill(totalUsed / 10));
  const run = (targetUtilization: number) => resourceUtilizationReplicas({
    currentReplicas: startPods, targetUtilization, resource: 'cpu', pods, metrics, tolerances: TOL, nowMs: NOW, timing: TIMING, toMilli,
  });
  // target = 1 / (2 × 0.9) + 0.01 → 56 %: usage ratio 50/56 ≈ 0.893 breaks the 10 % tolerance.
  const outside = run(Math.trunc((1 / (2 * 0.9) + 0.01) * 100));
  assert.ok(outside.ok);
  assert.equal(outside.value.replicas, Math.ceil((totalUsed / (totalRequested * (1 / (2 * 0.9) + 0.01))) * startPods));
  assert.equal(outside.value.replicas, 9);
  assert.equal(outside.value.utilization, 50);
  // + 0.004 → 55 %: 50/55 ≈ 0.909 is within tolerance: no change.
  const inside = run(Math.trunc((1 / (2 * 0.9) + 0.004) * 100));
  assert.ok(inside.ok);
  assert.equal(inside.value.replicas, startPods);
});

interface PlainCase extends PodSetup {
  name: string;
  kind: 'pods' | 'object' | 'objectPerPod' | 'external' | 'externalPerPod';
  /** Milli-units, as Kubernetes' fixtures (NewMilliQuantity). */
  levels: number[];
  targetMilli: number;
  expected: { replicas: number; usage: number };
}

const plainCases: PlainCase[] = [
  { name: 'TestReplicaCalcScaleUpCM', kind: 'pods', currentReplicas: 3, levels: [20000, 10000, 30000], targetMilli: 15000, expected: { replicas: 4, usage: 20000 } },
  // Pods metrics ignore the CPU start-up rules: the "hot" unready pod still counts.
  { name: 'TestReplicaCalcScaleUpCMUnreadyHotCpuNoLessScale', kind: 'pods', currentReplicas: 3, readiness: [true, true, false], startTimes: ['cool', 'cool', 'hot'],
    levels: [50000, 10000, 30000], targetMilli: 15000, expected: { replicas: 6, usage: 30000 } },
  { name: 'TestReplicaCalcScaleUpCMUnreadyHotCpuScaleWouldScaleDown', kind: 'pods', currentReplicas: 3, readiness: [false, true, false], startTimes: ['hot', 'cool', 'hot'],
    levels: [50000, 15000, 30000], targetMilli: 15000, expected: { replicas: 7, usage: 31666 } },
  { name: 'TestReplicaCalcScaleUpCMObject', kind: 'object', currentReplicas: 3, levels: [20000], targetMilli: 15000, expected: { replicas: 4, usage: 20000 } },
  { name: 'TestReplicaCalcScaleUpCMPerPodObject', kind: 'objectPerPod', currentReplicas: 3, levels: [20000], targetMilli: 5000, expected: { replicas: 4, usage: 6667 } },
  { name: 'TestReplicaCalcScaleUpCMObjectIgnoresUnreadyPods', kind: 'object', currentReplicas: 3, readiness: [false, true, false], levels: [50000], targetMilli: 10000,
    expected: { replicas: 5, usage: 50000 } },
  { name: 'TestReplicaCalcScaleUpCMExternal', kind: 'pods', currentReplicas: 1, levels: [8600], targetMilli: 4400, expected: { replicas: 2, usage: 8600 } },
  { name: 'TestReplicaCalcScaleUpCMExternalIgnoresUnreadyPods', kind: 'external', currentReplicas: 3, readiness: [false, true, false], levels: [8600], targetMilli: 4400,
    expected: { replicas: 2, usage: 8600 } },
  { name: 'TestReplicaCalcScaleUpPerPodCMExternal', kind: 'externalPerPod', currentReplicas: 3, levels: [8600], targetMilli: 2150, expected: { replicas: 4, usage: 2867 } },
  { name: 'TestReplicaCalcScaleDownCM', kind: 'pods', currentReplicas: 5, levels: [12000, 12000, 12000, 12000, 12000], targetMilli: 20000, expected: { replicas: 3, usage: 12000 } },
  { name: 'TestReplicaCalcScaleDownPerPodCMObject', kind: 'objectPerPod', currentReplicas: 5, levels: [6000], targetMilli: 2000, expected: { replicas: 3, usage: 1200 } },
  { name: 'TestReplicaCalcScaleDownCMObject', kind: 'object', currentReplicas: 5, levels: [12000], targetMilli: 20000, expected: { replicas: 3, usage: 12000 } },
  { name: 'TestReplicaCalcScaleDownCMExternal', kind: 'external', currentReplicas: 5, levels: [8600], targetMilli: 14334, expected: { replicas: 3, usage: 8600 } },
  { name: 'TestReplicaCalcScaleDownPerPodCMExternal', kind: 'externalPerPod', currentReplicas: 5, levels: [8600], targetMilli: 2867, expected: { replicas: 3, usage: 1720 } },
  { name: 'TestReplicaCalcToleranceCM', kind: 'pods', currentReplicas: 3, levels: [20000, 21000, 21000], targetMilli: 20000, expected: { replicas: 3, usage: 20666 } },
  { name: 'TestReplicaCalcToleranceCMObject', kind: 'object', currentReplicas: 3, levels: [20666], targetMilli: 20000, expected: { replicas: 3, usage: 20666 } },
  { name: 'TestReplicaCalcTolerancePerPodCMObject', kind: 'objectPerPod', currentReplicas: 4, levels: [20166], targetMilli: 5000, expected: { replicas: 4, usage: 5042 } },
  { name: 'TestReplicaCalcToleranceCMExternal', kind: 'external', currentReplicas: 3, levels: [8600], targetMilli: 8888, expected: { replicas: 3, usage: 8600 } },
  { name: 'TestReplicaCalcTolerancePerPodCMExternal', kind: 'externalPerPod', currentReplicas: 3, levels: [8600], targetMilli: 2900, expected: { replicas: 3, usage: 2867 } },
];

for (const c of plainCases) {
  test(`replica calculator (${c.kind}): ${c.name}`, () => {
    const pods = makePods(c);
    const target = BigInt(c.targetMilli);
    const total = BigInt(c.levels.reduce((a, b) => a + b, 0));
    let got: { replicas: number; usage: number };
    if (c.kind === 'pods') {
      const r = plainMetricReplicas({ currentReplicas: c.currentReplicas, targetMilli: target, pods, metrics: makeMetrics(c.levels, undefined, 1), tolerances: TOL, nowMs: NOW, timing: TIMING });
      assert.ok(r.ok, !r.ok ? r.error : '');
      got = { replicas: r.value.replicas, usage: Number(r.value.usageMilli) };
    } else if (c.kind === 'object' || c.kind === 'external') {
      const r = valueTargetReplicas(c.currentReplicas, total, target, TOL, pods);
      assert.ok(r.ok, !r.ok ? r.error : '');
      got = { replicas: r.value.replicas, usage: Number(r.value.usageMilli) };
    } else {
      const r = averageValueTargetReplicas(c.currentReplicas, total, target, TOL);
      got = { replicas: r.replicas, usage: Number(r.usageMilli) };
    }
    assert.deepEqual(got, c.expected);
  });
}

test('replica calculator: a Value target scales from zero replicas to ceil(ratio), ignoring tolerance', () => {
  const r = valueTargetReplicas(0, 10_500n, 10_000n, TOL, []);
  assert.ok(r.ok);
  assert.equal(r.value.replicas, 2);
});

// TestGroupPods: how pods are sorted into ready, unready (ignored for a scale-up), missing and ignored.
interface GroupCase {
  name: string;
  pod: Partial<HpaPod> & { name: string };
  metric?: { timestampMs: number; windowMs: number };
  resource: string;
  expect: { ready: number; unready: string[]; missing: string[]; ignored: string[] };
}

const groupCases: GroupCase[] = [
  { name: 'count in a ready pod - memory', pod: { name: 'bentham', phase: 'Succeeded' }, metric: { timestampMs: NOW, windowMs: MINUTE }, resource: 'memory',
    expect: { ready: 1, unready: [], missing: [], ignored: [] } },
  { name: 'ignore a pod without ready condition - CPU', pod: { name: 'lucretius', phase: 'Succeeded', startTimeMs: NOW }, metric: { timestampMs: 0, windowMs: 0 }, resource: 'cpu',
    expect: { ready: 0, unready: ['lucretius'], missing: [], ignored: [] } },
  { name: 'count in a ready pod with fresh metrics during initialization period - CPU',
    pod: { name: 'bentham', phase: 'Succeeded', startTimeMs: NOW - MINUTE, readyTransitionMs: NOW - 30_000, ready: true },
    metric: { timestampMs: NOW, windowMs: 30_000 }, resource: 'cpu', expect: { ready: 1, unready: [], missing: [], ignored: [] } },
  { name: 'ignore a ready pod without fresh metrics during initialization period - CPU',
    pod: { name: 'bentham', phase: 'Succeeded', startTimeMs: NOW - MINUTE, readyTransitionMs: NOW - 30_000, ready: true },
    metric: { timestampMs: NOW, windowMs: 60_000 }, resource: 'cpu', expect: { ready: 0, unready: ['bentham'], missing: [], ignored: [] } },
  { name: 'ignore an unready pod during initialization period - CPU',
    pod: { name: 'lucretius', phase: 'Succeeded', startTimeMs: NOW - 10 * MINUTE, readyTransitionMs: NOW - 9 * MINUTE - 54_000, ready: false },
    metric: { timestampMs: NOW, windowMs: MINUTE }, resource: 'cpu', expect: { ready: 0, unready: ['lucretius'], missing: [], ignored: [] } },
  { name: 'count in a ready pod without fresh metrics after initialization period - CPU',
    pod: { name: 'bentham', phase: 'Succeeded', startTimeMs: NOW - 3 * MINUTE, readyTransitionMs: NOW - 3 * MINUTE, ready: true },
    metric: { timestampMs: NOW - 2 * MINUTE, windowMs: MINUTE }, resource: 'cpu', expect: { ready: 1, unready: [], missing: [], ignored: [] } },
  { name: 'count in an unready pod that was ready after initialization period - CPU',
    pod: { name: 'lucretius', phase: 'Succeeded', startTimeMs: NOW - 10 * MINUTE, readyTransitionMs: NOW - 9 * MINUTE, ready: false },
    metric: { timestampMs: NOW, windowMs: MINUTE }, resource: 'cpu', expect: { ready: 1, unready: [], missing: [], ignored: [] } },
  // Readiness changed exactly at start + delay: not "never ready" (the bound is strict), so it counts.
  { name: 'ignore pod that has never been ready after initialization period - CPU (boundary: counted)',
    pod: { name: 'lucretius', phase: 'Succeeded', startTimeMs: NOW - 10 * MINUTE, readyTransitionMs: NOW - 9 * MINUTE - 50_000, ready: false },
    metric: { timestampMs: NOW, windowMs: MINUTE }, resource: 'cpu', expect: { ready: 1, unready: [], missing: [], ignored: [] } },
  { name: 'a missing pod', pod: { name: 'epicurus', phase: 'Succeeded', startTimeMs: NOW - 3 * MINUTE }, resource: 'cpu',
    expect: { ready: 0, unready: [], missing: ['epicurus'], ignored: [] } },
  { name: 'pending pods are unready', pod: { name: 'unscheduled', phase: 'Pending' }, resource: 'cpu',
    expect: { ready: 0, unready: ['unscheduled'], missing: [], ignored: [] } },
  { name: 'a failed pod is ignored', pod: { name: 'gone', phase: 'Failed' }, metric: { timestampMs: NOW, windowMs: MINUTE }, resource: 'cpu',
    expect: { ready: 0, unready: [], missing: [], ignored: ['gone'] } },
];

for (const c of groupCases) {
  test(`groupPods (TestGroupPods): ${c.name}`, () => {
    const pod: HpaPod = { phase: 'Running', ready: true, requests: {}, ...c.pod };
    const metrics: PodMetrics = new Map();
    if (c.metric) metrics.set(pod.name, { valueMilli: 1n, ...c.metric });
    const g = groupPods([pod], metrics, c.resource, TIMING, NOW);
    assert.deepEqual({ ready: g.readyPodCount, unready: [...g.unready], missing: [...g.missing], ignored: [...g.ignored] }, c.expect);
  });
}
