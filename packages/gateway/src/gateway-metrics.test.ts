import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { GatewayMetrics, type ReplicaSeries } from './gateway-metrics.js';

const L = 'namespace="ml",deployment="llama",replica="a"';

describe('GatewayMetrics: counts kept as numbers, handed to prom-client when read', () => {
  const cases: Array<{ name: string; steps: (s: ReplicaSeries) => void; present: string[]; absent: RegExp[] }> = [
    {
      name: 'nothing happened: no series',
      steps: () => undefined,
      present: [],
      absent: [/replica="a"/],
    },
    {
      name: 'requests by code and the in-flight gauge',
      steps: (s) => {
        for (let i = 0; i < 3; i++) s.requestStarted();
        s.requestEnded();
        s.countRequest(200);
        s.countRequest(200);
        s.countRequest(502);
      },
      present: [`qm_gateway_requests_total{${L},code="200"} 2`, `qm_gateway_requests_total{${L},code="502"} 1`, `qm_gateway_in_flight_requests{${L}} 2`],
      absent: [],
    },
    {
      name: 'in flight back to zero stays listed at 0',
      steps: (s) => { s.requestStarted(); s.requestEnded(); },
      present: [`qm_gateway_in_flight_requests{${L}} 0`],
      absent: [],
    },
    {
      name: 'durations go to the histogram',
      steps: (s) => { s.duration.observe(0.002); s.duration.observe(0.2); },
      present: [`qm_gateway_request_duration_seconds_bucket{le="0.0025",${L}} 1`, `qm_gateway_request_duration_seconds_count{${L}} 2`],
      absent: [],
    },
    {
      name: 'a removed replica has no series left',
      steps: (s) => { s.requestStarted(); s.requestEnded(); s.countRequest(200); s.duration.observe(0.1); s.remove(); },
      present: [],
      absent: [/replica="a"/],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const registry = new Registry();
      const metrics = new GatewayMetrics(registry);
      c.steps(metrics.forReplica('ml', 'llama', 'a'));
      const text = await registry.metrics();
      for (const line of c.present) assert.ok(text.split('\n').includes(line), `missing ${line} in\n${text}`);
      for (const re of c.absent) assert.doesNotMatch(text, re);
    });
  }

  it('counts accumulate across reads (a counter never goes back)', async () => {
    const registry = new Registry();
    const series = new GatewayMetrics(registry).forReplica('ml', 'llama', 'a');
    series.countRequest(200);
    assert.match(await registry.metrics(), new RegExp(`code="200"\\} 1$`, 'm'));
    series.countRequest(200);
    series.countRequest(200);
    assert.match(await registry.metrics(), new RegExp(`code="200"\\} 3$`, 'm'));
    assert.match(await registry.metrics(), new RegExp(`code="200"\\} 3$`, 'm'));
  });
});
