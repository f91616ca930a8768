// Reference cases from Kubernetes' pkg/controller/podautoscaler/horizontal_test.go for the
// stabilization and rate-limit steps (TestNormalizeDesiredReplicas,
// TestNormalizeDesiredReplicasWithBehavior, TestScalingWithRules, TestStoreScaleEvents,
// TestConvertDesiredReplicasWithRules), rewritten as our own tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HPA_DEFAULT_SCALE_UP } from '@qm/api';
import {
  limitLegacy, limitWithBehaviors, replicasChangePerPeriod, stabilizeLegacy, stabilizeWithBehaviors, storeScaleEvent,
  type ScaleEvents, type ScalingRules,
} from './normalize.js';
import type { HpaRecommendation, HpaScaleEvent } from './types.js';

const NOW = 1_700_000_000_000;
const S = 1000;
const M = 60 * S;

/** Kubernetes' generateScalingRules(pods, podsPeriod, percent, percentPeriod, window); 0 = no such policy. */
function rules(pods: number, podsPeriod: number, percent: number, percentPeriod: number, window: number): ScalingRules {
  const policies: ScalingRules['policies'] = [];
  if (pods !== 0) policies.push({ type: 'Pods', value: pods, periodSeconds: podsPeriod });
  if (percent !== 0) policies.push({ type: 'Percent', value: percent, periodSeconds: percentPeriod });
  return { stabilizationWindowSeconds: window, selectPolicy: 'Max', policies };
}

const DEFAULT_UP: ScalingRules = { ...HPA_DEFAULT_SCALE_UP, policies: [...HPA_DEFAULT_SCALE_UP.policies] };
const DEFAULT_DOWN: ScalingRules = { stabilizationWindowSeconds: 300, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] };

/** Kubernetes' generateEventsUniformDistribution: events centred in equal slices of the last `periodSeconds`. */
function spread(changes: number[], periodSeconds: number): HpaScaleEvent[] {
  const slice = periodSeconds / changes.length;
  return changes.map((replicaChange, i) => ({
    replicaChange, outdated: false,
    timestampMs: NOW - Math.trunc(periodSeconds - slice * (i + 1) + slice / 2) * S,
  }));
}

const rec = (replicas: number, agoMs: number): HpaRecommendation => ({ replicas, timestampMs: NOW - agoMs });

test('TestNormalizeDesiredReplicas: the highest recommendation of the 5-minute window wins (no behavior)', async (t) => {
  const cases: Array<{ name: string; log: HpaRecommendation[]; desired: number; expected: number; logLength: number }> = [
    { name: 'empty log', log: [], desired: 5, expected: 5, logLength: 1 },
    { name: 'stabilize', log: [rec(4, 2 * M), rec(5, M)], desired: 3, expected: 5, logLength: 3 },
    { name: 'no stabilize', log: [rec(1, 2 * M), rec(2, M)], desired: 3, expected: 3, logLength: 3 },
    { name: 'no stabilize - old recommendations', log: [rec(10, 10 * M), rec(9, 9 * M)], desired: 3, expected: 3, logLength: 2 },
    { name: 'stabilize - old recommendations', log: [rec(10, 10 * M), rec(4, M), rec(5, 2 * M), rec(9, 9 * M)], desired: 3, expected: 5, logLength: 4 },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = stabilizeLegacy(c.log, c.desired, 5 * M, NOW);
      assert.equal(r.replicas, c.expected);
      assert.equal(r.recommendations.length, c.logLength);
      assert.ok(r.recommendations.some((x) => x.replicas === c.desired && x.timestampMs === NOW), 'the new recommendation is recorded');
    });
  }
});

test('TestNormalizeDesiredReplicasWithBehavior: scale-up and scale-down windows bound the recommendation', async (t) => {
  const cases: Array<{ name: string; log: HpaRecommendation[]; current: number; desired: number; expected: number; upWindow?: number; downWindow?: number; stored?: number[] }> = [
    { name: 'empty recommendations for scaling down', log: [], current: 100, desired: 5, expected: 5, stored: [5] },
    { name: 'simple scale down stabilization', log: [rec(4, 2 * M), rec(5, M)], current: 100, desired: 3, expected: 5, downWindow: 180, stored: [4, 5, 3] },
    { name: 'simple scale up stabilization', log: [rec(4, 2 * M), rec(5, M)], current: 1, desired: 7, expected: 4, upWindow: 300, stored: [4, 5, 7] },
    { name: 'no scale down stabilization', log: [rec(1, 2 * M), rec(2, M)], current: 100, desired: 3, expected: 3, upWindow: 300, stored: [1, 2, 3] },
    { name: 'no scale up stabilization', log: [rec(4, 2 * M), rec(5, M)], current: 1, desired: 3, expected: 3, downWindow: 300, stored: [4, 5, 3] },
    { name: 'no scale down stabilization, reuse recommendation element', log: [rec(10, 10 * M), rec(9, 9 * M)], current: 100, desired: 3, expected: 3, stored: [10, 3] },
    { name: 'no scale up stabilization, reuse recommendation element', log: [rec(10, 10 * M), rec(9, 9 * M)], current: 1, desired: 100, expected: 100, stored: [10, 100] },
    { name: 'scale down stabilization, reuse one of obsolete recommendation element', log: [rec(10, 10 * M), rec(4, M), rec(5, 2 * M), rec(9, 9 * M)],
      current: 100, desired: 3, expected: 5, downWindow: 180, stored: [10, 4, 5, 3] },
    { name: 'scale up stabilization, reuse one of obsolete recommendation element', log: [rec(10, 100 * M), rec(6, M), rec(5, 2 * M), rec(9, 3 * M)],
      current: 1, desired: 100, expected: 5, upWindow: 300, stored: [100, 6, 5, 9] },
    { name: 'scale up and down stabilization, do not scale up when prenormalized rec goes down', log: [rec(2, 100 * M), rec(3, 3 * M)],
      current: 2, desired: 1, expected: 2, upWindow: 300, downWindow: 300 },
    { name: 'scale up and down stabilization, do not scale down when prenormalized rec goes up', log: [rec(2, 100 * M), rec(1, 3 * M)],
      current: 2, desired: 3, expected: 2, upWindow: 300, downWindow: 300 },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const up = { ...DEFAULT_UP, stabilizationWindowSeconds: c.upWindow ?? 0 };
      const down = { ...DEFAULT_DOWN, stabilizationWindowSeconds: c.downWindow ?? 0 };
      const r = stabilizeWithBehaviors(c.log, c.current, c.desired, up, down, NOW);
      assert.equal(r.replicas, c.expected);
      if (c.stored) assert.deepEqual(r.recommendations.map((x) => x.replicas), c.stored);
    });
  }
});

interface RuleCase {
  name: string;
  current: number;
  desired: number;
  min: number;
  max: number;
  up?: ScalingRules;
  down?: ScalingRules;
  events?: Partial<ScaleEvents>;
  expected: number;
  reason: string;
}

const ruleCases: RuleCase[] = [
  { name: 'prenormalized desired replicas within range', current: 5, desired: 7, min: 3, max: 8, expected: 7, reason: 'DesiredWithinRange' },
  { name: 'prenormalized desired replicas < minReplicas', current: 3, desired: 1, min: 2, max: 8, expected: 2, reason: 'TooFewReplicas' },
  { name: 'prenormalized desired replicas within range when minReplicas is 0', current: 1, desired: 0, min: 0, max: 10, expected: 0, reason: 'DesiredWithinRange' },
  { name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit', current: 20, desired: 1000, min: 1, max: 10, expected: 10, reason: 'TooManyReplicas' },
  { name: 'desired replica count is more than the maximum replica count', current: 100, desired: 1000, min: 100, max: 150, expected: 150, reason: 'TooManyReplicas' },
  { name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies', current: 3, desired: 1000, min: 1, max: 2000,
    up: rules(0, 0, 1, 60, 0), expected: 4, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with default behavior', current: 10, desired: 50, min: 1, max: 1000, expected: 20, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with pods policy larger than percent policy', current: 10, desired: 500, min: 1, max: 1000, up: rules(100, 60, 100, 60, 0), expected: 110, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy larger than pods policy', current: 10, desired: 500, min: 1, max: 1000, up: rules(2, 60, 100, 60, 0), expected: 20, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with spec MaxReplicas limitation with large pod policy', current: 10, desired: 50, min: 1, max: 1000, up: rules(100, 60, 0, 0, 0), expected: 50, reason: 'DesiredWithinRange' },
  { name: 'scaleUp with pod policy limitation', current: 10, desired: 50, min: 1, max: 1000, up: rules(30, 60, 0, 0, 0), expected: 40, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy limitation', current: 10, desired: 50, min: 1, max: 1000, up: rules(0, 0, 200, 60, 0), expected: 30, reason: 'ScaleUpLimit' },
  { name: 'scaleDown with percent policy larger than pod policy', current: 100, desired: 2, min: 1, max: 1000, down: rules(20, 60, 1, 60, 300), expected: 80, reason: 'ScaleDownLimit' },
  { name: 'scaleDown with pod policy larger than percent policy', current: 100, desired: 2, min: 1, max: 1000, down: rules(2, 60, 1, 60, 300), expected: 98, reason: 'ScaleDownLimit' },
  { name: 'scaleDown with spec MinReplicas limitation with large pod policy', current: 10, desired: 0, min: 1, max: 1000, down: rules(100, 60, 0, 0, 300), expected: 1, reason: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large percent policy', current: 10, desired: 2, min: 5, max: 1000, down: rules(0, 0, 100, 60, 300), expected: 5, reason: 'TooFewReplicas' },
  { name: 'scaleDown with pod policy limitation', current: 10, desired: 2, min: 1, max: 1000, down: rules(5, 60, 0, 0, 300), expected: 5, reason: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy limitation', current: 10, desired: 5, min: 1, max: 1000, down: rules(0, 0, 50, 60, 300), expected: 5, reason: 'DesiredWithinRange' },
  { name: 'scaleUp with spec MaxReplicas limitation with large pod policy and events', current: 100, desired: 500, min: 1, max: 200,
    up: rules(300, 60, 0, 0, 0), events: { up: spread([1, 5, 9], 120) }, expected: 200, reason: 'TooManyReplicas' },
  { name: 'scaleUp with spec MaxReplicas limitation with large percent policy and events', current: 100, desired: 500, min: 1, max: 200,
    up: rules(0, 0, 10000, 60, 0), events: { up: spread([1, 5, 9], 120) }, expected: 200, reason: 'TooManyReplicas' },
  { name: 'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events', current: 100, desired: 500, min: 1, max: 1000,
    up: rules(5, 120, 0, 0, 0), events: { up: spread([1, 5, 9], 120) }, expected: 100, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with pod policy and previous scale up events', current: 100, desired: 500, min: 1, max: 1000,
    up: rules(150, 120, 0, 0, 0), events: { up: spread([1, 5, 9], 120) }, expected: 235, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy and previous scale up events', current: 100, desired: 500, min: 1, max: 1000,
    up: rules(0, 0, 200, 120, 0), events: { up: spread([1, 5, 9], 120) }, expected: 255, reason: 'ScaleUpLimit' },
  { name: 'scaleUp with percent policy and previous scale up and down events', current: 6, desired: 24, min: 1, max: 1000,
    up: rules(0, 0, 300, 300, 0), events: { up: spread([4], 120), down: spread([2], 120) }, expected: 16, reason: 'ScaleUpLimit' },
  { name: 'scaleDown with default policy and previous events', current: 10, desired: 5, min: 1, max: 1000,
    events: { down: spread([1, 5, 9], 120) }, expected: 5, reason: 'DesiredWithinRange' },
  { name: 'scaleDown with spec MinReplicas=nil limitation with large pod policy and previous events', current: 100, desired: 0, min: 1, max: 1000,
    down: rules(115, 120, 0, 0, 300), events: { down: spread([1, 5, 9], 120) }, expected: 1, reason: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large pod policy and previous events', current: 100, desired: 0, min: 5, max: 1000,
    down: rules(130, 120, 0, 0, 300), events: { down: spread([1, 5, 9], 120) }, expected: 5, reason: 'TooFewReplicas' },
  { name: 'scaleDown with spec MinReplicas limitation with large percent policy and previous events', current: 100, desired: 2, min: 5, max: 1000,
    down: rules(0, 0, 100, 120, 300), events: { down: spread([1, 5, 9], 120) }, expected: 5, reason: 'TooFewReplicas' },
  { name: 'scaleDown with pod policy limitation and previous events', current: 100, desired: 2, min: 1, max: 1000,
    down: rules(5, 120, 0, 0, 300), events: { down: spread([1, 5, 9], 120) }, expected: 100, reason: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy limitation and previous events', current: 100, desired: 0, min: 1, max: 1000,
    down: rules(0, 0, 50, 120, 300), events: { down: spread([2, 4, 6], 120) }, expected: 56, reason: 'ScaleDownLimit' },
  { name: 'scaleDown with percent policy and previous scale up and down events', current: 10, desired: 1, min: 1, max: 1000,
    down: rules(0, 0, 50, 180, 0), events: { up: spread([2], 120), down: spread([4], 120) }, expected: 6, reason: 'ScaleDownLimit' },
  { name: 'scaleDown with previous events preventing further scale down', current: 100, desired: 0, min: 1, max: 1000,
    down: rules(0, 0, 10, 120, 300), events: { down: spread([10, 10, 10], 120) }, expected: 100, reason: 'ScaleDownLimit' },
  { name: 'scaleDown with with previous events still allowing more scale down', current: 10, desired: 5, min: 1, max: 1000,
    down: rules(0, 0, 1000, 120, 300), events: { down: spread([10, 10, 10], 120) }, expected: 5, reason: 'DesiredWithinRange' },
  { name: "check 'outdated' flag for events for one behavior for up", current: 100, desired: 200, min: 1, max: 1000,
    up: rules(1000, 60, 0, 0, 0), events: { up: spread([8, 12, 9, 11], 120) }, expected: 200, reason: 'DesiredWithinRange' },
  { name: "check that events were not marked 'outdated' for two different policies in the behavior for down", current: 100, desired: 5, min: 1, max: 1000,
    down: rules(1000, 120, 100, 60, 300), events: { down: spread([8, 12, 9, 11], 120) }, expected: 5, reason: 'DesiredWithinRange' },
  // Ours: selectPolicy Min takes the smaller allowance; Disabled forbids the direction.
  { name: 'selectPolicy Min picks the policy allowing the smaller change (up)', current: 10, desired: 500, min: 1, max: 1000,
    up: { ...rules(4, 60, 100, 60, 0), selectPolicy: 'Min' }, expected: 14, reason: 'ScaleUpLimit' },
  { name: 'selectPolicy Min picks the policy allowing the smaller change (down)', current: 100, desired: 2, min: 1, max: 1000,
    down: { ...rules(20, 60, 1, 60, 300), selectPolicy: 'Min' }, expected: 99, reason: 'ScaleDownLimit' },
  { name: 'selectPolicy Disabled keeps the current count (down)', current: 10, desired: 2, min: 1, max: 1000,
    down: { ...rules(0, 0, 100, 60, 300), selectPolicy: 'Disabled' }, expected: 10, reason: 'ScaleDownLimit' },
];

for (const c of ruleCases) {
  test(`TestScalingWithRules: ${c.name}`, () => {
    const r = limitWithBehaviors({
      currentReplicas: c.current, desiredReplicas: c.desired, minReplicas: c.min, maxReplicas: c.max,
      scaleUp: c.up ?? DEFAULT_UP, scaleDown: c.down ?? DEFAULT_DOWN,
      scaleEvents: { up: c.events?.up ?? [], down: c.events?.down ?? [] }, nowMs: NOW,
    });
    assert.deepEqual({ replicas: r.replicas, reason: r.reason }, { replicas: c.expected, reason: c.reason });
  });
}

test('TestStoreScaleEvents: outdated events are marked and the last one is reused', async (t) => {
  const ev = (replicaChange: number, agoS: number, outdated = false): HpaScaleEvent => ({ replicaChange, timestampMs: NOW - agoS * S, outdated });
  const cases: Array<{ name: string; prev: HpaScaleEvent[]; rules: ScalingRules; changeIn60s: number; next: Array<[number, boolean]> }> = [
    { name: 'empty entries with two-policy-behavior', prev: [], rules: rules(10, 60, 100, 60, 0), changeIn60s: 0, next: [[5, false]] },
    { name: 'one outdated entry to be replaced with behavior', prev: [ev(7, 61)], rules: rules(10, 60, 100, 60, 0), changeIn60s: 0, next: [[5, false]] },
    { name: 'one actual entry to be not touched with behavior', prev: [ev(7, 58)], rules: rules(10, 60, 100, 60, 0), changeIn60s: 7, next: [[7, false], [5, false]] },
    { name: 'two entries, one of them to be replaced', prev: [ev(7, 61), ev(6, 59)], rules: rules(10, 60, 0, 0, 0), changeIn60s: 6, next: [[5, false], [6, false]] },
    { name: 'replace one entry, use policies with different periods', prev: [ev(8, 29), ev(6, 59), ev(7, 61), ev(9, 61)], rules: rules(10, 60, 100, 30, 0),
      changeIn60s: 14, next: [[8, false], [6, false], [7, true], [5, false]] },
    { name: 'two entries, both actual', prev: [ev(7, 58), ev(6, 59)], rules: rules(10, 120, 100, 30, 0), changeIn60s: 13, next: [[7, false], [6, false], [5, false]] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      assert.equal(replicasChangePerPeriod(60, c.prev, NOW), c.changeIn60s);
      const up = storeScaleEvent({ up: c.prev, down: [] }, { scaleUp: c.rules, scaleDown: DEFAULT_DOWN }, 10, 15, NOW);
      assert.deepEqual(up.up.map((e) => [e.replicaChange, e.outdated]), c.next);
      assert.deepEqual(up.down, []);
      const down = storeScaleEvent({ up: [], down: c.prev }, { scaleUp: DEFAULT_UP, scaleDown: c.rules }, 10, 5, NOW);
      assert.deepEqual(down.down.map((e) => [e.replicaChange, e.outdated]), c.next);
      assert.deepEqual(c.prev.filter((e) => e.outdated).length, 0, 'the input is not mutated');
    });
  }
});

test('TestConvertDesiredReplicasWithRules: legacy limits (min, max, and a scale-up of at most max(2×current, 4))', async (t) => {
  // Kubernetes' test file raises the legacy factor to 8 in init(); these expectations use the real factor 2.
  const cases: Array<{ name: string; current: number; desired: number; min: number; max: number; expected: number; reason: string }> = [
    { name: 'prenormalized desired replicas within range', current: 5, desired: 7, min: 3, max: 8, expected: 7, reason: 'DesiredWithinRange' },
    { name: 'prenormalized desired replicas < minReplicas', current: 3, desired: 1, min: 2, max: 8, expected: 2, reason: 'TooFewReplicas' },
    { name: 'prenormalized desired replicas within range when minReplicas is 0', current: 1, desired: 0, min: 0, max: 10, expected: 0, reason: 'DesiredWithinRange' },
    { name: 'maxReplicas is the limit because maxReplicas < scaleUpLimit', current: 20, desired: 1000, min: 1, max: 10, expected: 10, reason: 'TooManyReplicas' },
    { name: 'scaleUpLimit is the limit because scaleUpLimit < maxReplicas', current: 3, desired: 1000, min: 1, max: 2000, expected: 6, reason: 'ScaleUpLimit' },
    { name: 'the cap is at least 4 replicas', current: 1, desired: 10, min: 1, max: 20, expected: 4, reason: 'ScaleUpLimit' },
    { name: 'desired replica count is more than the maximum replica count', current: 100, desired: 1000, min: 100, max: 150, expected: 150, reason: 'TooManyReplicas' },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const r = limitLegacy(c.current, c.desired, c.min, c.max);
      assert.deepEqual({ replicas: r.replicas, reason: r.reason }, { replicas: c.expected, reason: c.reason });
    });
  }
});
