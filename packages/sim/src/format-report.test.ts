import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatReportJson, formatReportTable, humanSeconds } from './format-report.js';
import type { SimulationReport } from './report.js';

function report(): SimulationReport {
  return {
    // Deliberately built in a scrambled key order: the JSON must not depend on it.
    metrics: {
      costUSD: 0, jobs: 1, finished: 0, avgJctSeconds: null, p50JctSeconds: null, p99JctSeconds: null, avgQueueingDelaySeconds: null,
      makespanSeconds: null, gpuUtilization: 0, preemptions: 0, lostGpuHours: 0, jainFairness: 1,
    },
    queues: [{ borrowedGpuSeconds: 0, name: 'q', gpuSecondsUsed: 0, guaranteedGpuSeconds: 0 }],
    events: [{ message: 'm', t: 0, object: 'ns/a', reason: 'Admitted', kind: 'TrainingJob', type: 'Normal' }],
    workloads: [{
      name: 'a', kind: 'TrainingJob', namespace: 'ns', queue: null, priority: 0, phase: 'Pending', submittedAt: 0, admittedAt: null,
      startedAt: null, finishedAt: null, preemptions: 0, restarts: 0, lostWorkSeconds: 0, nodes: [], gpus: 8, costUSD: 0, gpuSeconds: 0, interruptions: 0,
    }],
    endTime: 60,
    scenario: 's',
  };
}

test('formatReportJson: documented key order, nulls kept, 2-space indent, trailing newline', () => {
  const text = formatReportJson(report());
  assert.ok(text.endsWith('}\n'));
  assert.ok(text.startsWith('{\n  "scenario": "s",\n  "endTime": 60,\n'));
  const doc = JSON.parse(text);
  assert.deepEqual(Object.keys(doc.workloads[0]).slice(0, 16), [
    'kind', 'namespace', 'name', 'queue', 'priority', 'phase', 'submittedAt', 'admittedAt', 'startedAt', 'finishedAt',
    'preemptions', 'restarts', 'lostWorkSeconds', 'nodes', 'gpus', 'costUSD',
  ]);
  assert.equal(doc.workloads[0].admittedAt, null);
  assert.deepEqual(Object.keys(doc.events[0]).slice(0, 4), ['t', 'reason', 'object', 'message']);
  assert.deepEqual(Object.keys(doc.queues[0]), ['name', 'gpuSecondsUsed', 'guaranteedGpuSeconds', 'borrowedGpuSeconds']);
  assert.deepEqual(Object.keys(doc.metrics)[0], 'jobs');
  assert.equal(formatReportJson(report()), text);
});

test('formatReportTable: never-happened times show as -', () => {
  const table = formatReportTable(report());
  assert.match(table, /ns\/a\s+TrainingJob\s+-\s+Pending\s+0s\s+-\s+-\s+0\s+0s\s+8\s+-/);
  assert.match(table, /avgJctSeconds\s+-/);
});

const human = [
  { seconds: 0, want: '0s' }, { seconds: 1.5, want: '1.5s' }, { seconds: 90, want: '1m30s' },
  { seconds: 7320, want: '2h2m' }, { seconds: 7200, want: '2h' }, { seconds: 97200, want: '1d3h' },
];
for (const c of human) test(`humanSeconds(${c.seconds}) = ${c.want}`, () => assert.equal(humanSeconds(c.seconds), c.want));
