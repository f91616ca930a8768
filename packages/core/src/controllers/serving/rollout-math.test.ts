import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQmError } from '@qm/api';
import { newRevisionTarget, oldScaleDownBudget, resolveFenceposts, scaledValue } from './rollout-math.js';

test('scaledValue rounds percentages as Kubernetes does', () => {
  const cases: Array<{ name: string; value: number | string; total: number; up: boolean; want: number }> = [
    { name: 'integer is itself', value: 3, total: 10, up: true, want: 3 },
    { name: 'integer above total is kept', value: 12, total: 10, up: false, want: 12 },
    { name: '25% of 10 up', value: '25%', total: 10, up: true, want: 3 },
    { name: '25% of 10 down', value: '25%', total: 10, up: false, want: 2 },
    { name: '25% of 4 exact', value: '25%', total: 4, up: false, want: 1 },
    { name: '25% of 1 up', value: '25%', total: 1, up: true, want: 1 },
    { name: '25% of 1 down', value: '25%', total: 1, up: false, want: 0 },
    { name: '100% of 7', value: '100%', total: 7, up: false, want: 7 },
    { name: '0%', value: '0%', total: 7, up: true, want: 0 },
    { name: '29% of 100 no float noise', value: '29%', total: 100, up: true, want: 29 },
    { name: '33% of 3 up', value: '33%', total: 3, up: true, want: 1 },
    { name: '33% of 3 down', value: '33%', total: 3, up: false, want: 0 },
    { name: '50% of 0', value: '50%', total: 0, up: true, want: 0 },
  ];
  for (const c of cases) assert.equal(scaledValue(c.value, c.total, c.up, 'f'), c.want, c.name);
});

test('scaledValue rejects garbage naming the field', () => {
  for (const bad of ['lots', '-1', '25', '%', -2, 1.5]) {
    assert.throws(() => scaledValue(bad as never, 10, true, 'spec.strategy.rollingUpdate.maxSurge'),
      (err: unknown) => isQmError(err, 'Invalid') && /spec\.strategy\.rollingUpdate\.maxSurge/.test((err as Error).message), String(bad));
  }
});

test('resolveFenceposts', () => {
  const cases: Array<{ name: string; surge?: number | string; unavail?: number | string; replicas: number; want: [number, number] }> = [
    { name: 'defaults 25%/25% of 10', surge: '25%', unavail: '25%', replicas: 10, want: [3, 2] },
    { name: 'defaults of 1: surge 1, unavailable 0', surge: '25%', unavail: '25%', replicas: 1, want: [1, 0] },
    { name: 'defaults of 3', surge: '25%', unavail: '25%', replicas: 3, want: [1, 0] },
    { name: 'defaults of 4', surge: '25%', unavail: '25%', replicas: 4, want: [1, 1] },
    { name: 'both zero → unavailable 1', surge: 0, unavail: 0, replicas: 5, want: [0, 1] },
    { name: 'both zero percent → unavailable 1', surge: '0%', unavail: '10%', replicas: 5, want: [0, 1] },
    { name: 'unavailable capped at replicas', surge: 1, unavail: 9, replicas: 3, want: [1, 3] },
    { name: 'zero replicas: unavailable 0', surge: 0, unavail: 0, replicas: 0, want: [0, 0] },
    { name: 'absent fields are 0 → 0/1', replicas: 2, want: [0, 1] },
    { name: 'surge only', surge: 2, unavail: 0, replicas: 2, want: [2, 0] },
    { name: '100% surge', surge: '100%', unavail: 0, replicas: 3, want: [3, 0] },
  ];
  for (const c of cases) {
    const got = resolveFenceposts(c.surge, c.unavail, c.replicas);
    assert.deepEqual([got.maxSurge, got.maxUnavailable], c.want, c.name);
  }
});

test('newRevisionTarget (NewRSNewReplicas)', () => {
  const cases: Array<{ name: string; replicas: number; surge: number; all: number; newPods: number; want: number }> = [
    { name: 'room for one surge pod', replicas: 3, surge: 1, all: 3, newPods: 0, want: 1 },
    { name: 'at max total: no growth', replicas: 3, surge: 1, all: 4, newPods: 1, want: 1 },
    { name: 'after old scaled down', replicas: 3, surge: 1, all: 3, newPods: 1, want: 2 },
    { name: 'never above replicas', replicas: 3, surge: 5, all: 3, newPods: 0, want: 3 },
    { name: 'already complete', replicas: 3, surge: 1, all: 3, newPods: 3, want: 3 },
    { name: 'no surge, must wait for scale down', replicas: 3, surge: 0, all: 3, newPods: 0, want: 0 },
    { name: 'scale-up from nothing', replicas: 4, surge: 1, all: 0, newPods: 0, want: 4 },
  ];
  for (const c of cases) assert.equal(newRevisionTarget(c.replicas, c.surge, c.all, c.newPods), c.want, c.name);
});

test('oldScaleDownBudget', () => {
  const cases: Array<{ name: string; replicas: number; unavail: number; all: number; newPods: number; newAvail: number; want: number }> = [
    { name: 'new pod not ready blocks with maxUnavailable 0', replicas: 3, unavail: 0, all: 4, newPods: 1, newAvail: 0, want: 0 },
    { name: 'new pod ready frees one', replicas: 3, unavail: 0, all: 4, newPods: 1, newAvail: 1, want: 1 },
    { name: 'maxUnavailable allows one before any new is ready', replicas: 4, unavail: 1, all: 5, newPods: 1, newAvail: 0, want: 1 },
    { name: 'negative means none', replicas: 3, unavail: 0, all: 3, newPods: 1, newAvail: 0, want: -1 },
  ];
  for (const c of cases) assert.equal(oldScaleDownBudget(c.replicas, c.unavail, c.all, c.newPods, c.newAvail), c.want, c.name);
});
