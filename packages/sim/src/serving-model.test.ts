import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { MAX_UTILIZATION, ServingMeter, replicaLoad, servingProfile } from './serving-model.js';

const md = (simulation?: Record<string, number>): ApiObject => ({
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'a' }, spec: { simulation },
});

test('servingProfile: spec.simulation with defaults', () => {
  const cases = [
    { name: 'all set', sim: { requestsPerSecondPerReplica: 100, baseLatencyMs: 20, startupSeconds: 30 }, want: { capacityRps: 100, baseLatencyMs: 20, startupMs: 30_000 } },
    { name: 'absent', sim: undefined, want: { capacityRps: Infinity, baseLatencyMs: 50, startupMs: 0 } },
  ];
  for (const c of cases) assert.deepEqual(servingProfile(md(c.sim)), c.want, c.name);
});

test('replicaLoad: spreads over ready replicas, caps at capacity, latency rises near it', () => {
  const profile = { capacityRps: 100, baseLatencyMs: 20, startupMs: 0 };
  const cases = [
    { name: 'half loaded', offered: 100, ready: 2, want: { servedPerReplicaRps: 50, servedRps: 100, refusedRps: 0, latencyMs: 40, utilization: 0.5 } },
    { name: 'idle', offered: 0, ready: 3, want: { servedPerReplicaRps: 0, servedRps: 0, refusedRps: 0, latencyMs: 20, utilization: 0 } },
    { name: 'overloaded: capped, latency at the cap', offered: 300, ready: 2, want: { servedPerReplicaRps: 100, servedRps: 200, refusedRps: 100, latencyMs: 20 / (1 - MAX_UTILIZATION), utilization: 1 } },
    { name: 'nothing ready: all refused', offered: 50, ready: 0, want: { servedPerReplicaRps: 0, servedRps: 0, refusedRps: 50, latencyMs: undefined, utilization: 0 } },
  ];
  for (const c of cases) {
    const r = replicaLoad(c.offered, c.ready, profile);
    const got = { servedPerReplicaRps: r.servedPerReplicaRps, servedRps: r.servedRps, refusedRps: r.refusedRps, latencyMs: r.latencyMs, utilization: r.utilization };
    assert.deepEqual(got, c.want, c.name);
  }
  // Latency grows monotonically with load up to the cap.
  const lat = [10, 50, 80, 95, 120].map((rps) => replicaLoad(rps, 1, profile).latencyMs!);
  for (let i = 1; i < lat.length; i++) assert.ok(lat[i] >= lat[i - 1], `latency at step ${i}`);
  assert.equal(replicaLoad(1e6, 1, { ...profile, capacityRps: Infinity }).latencyMs, 20, 'no capacity: no queueing');
  assert.equal(replicaLoad(60, 2, profile).inFlightPerReplica, 30 * (20 / 0.7) / 1000, "Little's law");
});

test('ServingMeter: integrates exactly, splitting at readiness instants', () => {
  const meter = new ServingMeter({ capacityRps: 100, baseLatencyMs: 20, startupMs: 0 });
  meter.advance(0, 0, []);
  // 0–10 s: 300 req/s, one replica ready from 0, another ready at 4 s.
  meter.advance(10_000, 300, [0, 4_000]);
  const t = meter.snapshot();
  assert.equal(t.offeredRequests, 3000);
  assert.equal(t.servedRequests, 100 * 4 + 200 * 6);
  assert.equal(t.refusedRequests, 200 * 4 + 100 * 6);
  assert.equal(t.slowRequests, 1600, 'everything served at ρ = 1 is above 4 × base');
  assert.equal(t.maxLatencyMs, 20 / (1 - MAX_UTILIZATION));
  meter.advance(10_000, 300, [0, 4_000]);
  assert.deepEqual(meter.snapshot(), t, 'an empty interval adds nothing');
});
