import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeploymentStats } from '@qm/gateway';
import { servingMetricsSource } from './hpa-source.js';

const stats = {
  deployment: 'ml/chat',
  metrics: { http_requests_per_second: 30, in_flight_requests: 4 },
  replicas: [
    { id: 'chat-0', metrics: { http_requests_per_second: 20, in_flight_requests: 3 } },
    { id: 'chat-1', metrics: { http_requests_per_second: 10, in_flight_requests: 1 } },
  ],
} as unknown as DeploymentStats;

const source = servingMetricsSource({
  gateway: { stats: (key: string) => (key === 'ml/chat' ? stats : undefined) },
  replicaUsage: (ns, name) => (ns === 'ml' && name === 'chat' ? [{ id: 'chat-0', ready: true, cpuMillis: 250 }, { id: 'chat-1', ready: false }] : []),
});

test('the HPA reads replicas from the runtime and request metrics from the gateway', () => {
  const cases: Array<{ name: string; got: unknown; want: unknown }> = [
    { name: 'replicas with cpu', got: source.replicas('ml', 'chat').map((r) => [r.id, r.ready, r.cpuMillis]), want: [['chat-0', true, 250], ['chat-1', false, undefined]] },
    { name: 'per-replica requests/s', got: [...(source.podMetric('ml', 'chat', 'http_requests_per_second') ?? [])], want: [['chat-0', 20], ['chat-1', 10]] },
    { name: 'per-replica in-flight', got: [...(source.podMetric('ml', 'chat', 'in_flight_requests') ?? [])], want: [['chat-0', 3], ['chat-1', 1]] },
    { name: 'deployment-wide value (Object metric)', got: source.deploymentMetric('ml', 'chat', 'http_requests_per_second'), want: 30 },
    { name: 'a metric the gateway does not measure is unknown', got: source.podMetric('ml', 'chat', 'gpu_duty_cycle'), want: undefined },
    { name: 'an unknown deployment has no metrics', got: source.deploymentMetric('ml', 'other', 'in_flight_requests'), want: undefined },
  ];
  for (const c of cases) assert.deepEqual(c.got, c.want, c.name);
});
