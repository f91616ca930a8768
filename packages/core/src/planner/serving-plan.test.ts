import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isQmError } from '@qm/api';
import { buildPriceBook } from '../controllers/cost/price-book.js';
import { planServing } from './serving-plan.js';

const prices = buildPriceBook([{ gpuHour: { L4: 1 } }], { spotFraction: 0.5 });

test('replicas from Little\'s law at the target utilization, peak and off-peak', () => {
  const cases: Array<[string, Parameters<typeof planServing>[0], number, number]> = [
    ['1000 QPS, 50 ms, 1 at a time, 75 %', { peakQps: 1000, latencyMs: 50 }, 67, 17],
    ['batching 8 at a time', { peakQps: 1000, latencyMs: 50, concurrency: 8 }, 9, 3],
    ['full utilization', { peakQps: 1000, latencyMs: 50, targetUtilization: 1 }, 50, 13],
    ['measured replica throughput', { peakQps: 1000, latencyMs: 50, replicaQps: 100, offPeakQps: 0 }, 14, 1],
    ['minimum replicas hold', { peakQps: 1, latencyMs: 50, minReplicas: 2 }, 2, 2],
  ];
  for (const [name, input, peak, off] of cases) {
    const p = planServing({ ...input, prices });
    assert.equal(p.replicas, peak, name);
    assert.equal(p.offPeak.replicas, off, name);
  }
});

test('cost per month: peak hours at peak replicas, the rest at off-peak, 730 h a month', () => {
  const p = planServing({ peakQps: 1000, latencyMs: 50, gpusPerReplica: 2, peakHoursPerDay: 10, offPeakQps: 100, prices });
  assert.equal(p.gpus, 134);
  assert.equal(p.offPeak.gpus, 14);
  const days = 730 / 24;
  assert.ok(Math.abs(p.costUSDPerMonth! - (67 * 10 + 7 * 14) * 2 * days * 1) < 1e-6);
  assert.ok(Math.abs(p.costUSDPerMonthWithoutScaling! - 134 * 730) < 1e-6);
  assert.ok(Math.abs(p.usdPer1kRequests! - (p.costUSDPerMonth! / ((1000 * 10 + 100 * 14) * 3600 * days)) * 1000) < 1e-12);
  assert.ok(Math.abs(planServing({ peakQps: 1000, latencyMs: 50, gpusPerReplica: 2, peakHoursPerDay: 10, offPeakQps: 100, prices, spot: true }).costUSDPerMonth! - p.costUSDPerMonth! / 2) < 1e-6);
});

test('bad serving input names the field', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['zero QPS', { peakQps: 0 }, 'peakQps'],
    ['negative latency', { latencyMs: -5 }, 'latencyMs'],
    ['utilization over 1', { targetUtilization: 75 }, 'targetUtilization'],
    ['off-peak above peak', { offPeakQps: 5000 }, 'offPeakQps'],
    ['25 peak hours', { peakHoursPerDay: 25 }, 'peakHoursPerDay'],
    ['unknown GPU', { gpu: 'TPUv5' }, 'gpu'],
  ];
  for (const [name, over, field] of cases) {
    assert.throws(() => planServing({ peakQps: 1000, latencyMs: 50, ...over } as never), (err: unknown) => isQmError(err, 'Invalid') && err.details.causes?.[0]?.field === field, name);
  }
});
