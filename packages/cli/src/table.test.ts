import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findKind, type ApiObject } from '@qm/api';
import { renderTable } from './table.js';
import { buildTable, formatMemory, latestCondition } from './table-defs.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

test('renderTable aligns columns with three spaces and no trailing blanks', () => {
  const cases: [string, string[], string[][], string][] = [
    ['header only', ['NAME', 'AGE'], [], 'NAME   AGE\n'],
    ['widest cell sets the width', ['NAME', 'AGE'], [['bert-large', '5m'], ['x', '10d']], 'NAME         AGE\nbert-large   5m\nx            10d\n'],
    ['last column is not padded', ['A', 'B'], [['1', 'long value'], ['22', 'v']], 'A    B\n1    long value\n22   v\n'],
    ['multi-byte characters count once', ['A', 'B'], [['≥', 'x']], 'A   B\n≥   x\n'],
  ];
  for (const [name, headers, rows, want] of cases) assert.equal(renderTable(headers, rows), want, name);
});

function job(name: string, spec: Record<string, unknown>, status: Record<string, unknown>, ns = 'team-a'): ApiObject {
  return { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name, namespace: ns, creationTimestamp: ago(5 * 60_000) }, spec, status };
}

test('TrainingJob columns, wide columns and the namespace column with -A', () => {
  const info = findKind('TrainingJob')!;
  const jobs = [
    job('bert', { queue: 'nlp', workers: 2, gpusPerWorker: 4 }, {
      phase: 'Running', restarts: 1, preemptions: 2, queuePosition: undefined,
      conditions: [
        { type: 'Admitted', status: 'True', reason: 'QuotaReserved', lastTransitionTime: ago(120_000) },
        { type: 'Running', status: 'True', reason: 'AllWorkersRunning', lastTransitionTime: ago(60_000) },
      ],
      workers: [{ rank: 0, node: 'gpu-1' }, { rank: 1, node: 'gpu-1' }, { rank: 2, node: 'gpu-2' }],
    }),
    job('gpt', { workers: 1 }, { phase: 'Pending', pendingReason: 'QuotaExceeded', queuePosition: 3 }),
  ];
  const plain = buildTable(info, jobs, { wide: false, allNamespaces: false, nowMs: NOW });
  assert.deepEqual(plain.headers, ['NAME', 'QUEUE', 'PHASE', 'WORKERS', 'GPUS', 'REASON', 'AGE']);
  assert.deepEqual(plain.rows, [
    ['bert', 'nlp', 'Running', '2', '8', 'AllWorkersRunning', '5m'],
    ['gpt', '<none>', 'Pending', '1', '0', 'QuotaExceeded', '5m'],
  ]);
  const wide = buildTable(info, jobs, { wide: true, allNamespaces: true, nowMs: NOW });
  assert.deepEqual(wide.headers, ['NAMESPACE', 'NAME', 'QUEUE', 'PHASE', 'WORKERS', 'GPUS', 'REASON', 'AGE', 'NODES', 'RESTARTS', 'PREEMPTIONS', 'POSITION']);
  assert.deepEqual(wide.rows[0].slice(8), ['gpu-1,gpu-2', '1', '2', '-']);
  assert.deepEqual(wide.rows[1].slice(8), ['<none>', '0', '0', '3']);
  assert.equal(wide.rows[0][0], 'team-a');
});

test('Node columns: status, cordon, virtual GPUs with a note', () => {
  const info = findKind('Node')!;
  const node = (name: string, labels: Record<string, string>, ready: string, unschedulable = false): ApiObject => ({
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Node',
    metadata: { name, labels, creationTimestamp: ago(3 * 3_600_000) },
    spec: { unschedulable },
    status: { allocatable: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': 8 }, conditions: [{ type: 'Ready', status: ready }] },
  });
  const real = node('gpu-1', { 'quartermaster.dev/gpu-model': 'H100', 'quartermaster.dev/pool': 'h100-spot', 'quartermaster.dev/capacity-type': 'spot' }, 'True');
  const cordoned = node('gpu-2', { 'quartermaster.dev/gpu-model': 'A100-80GB' }, 'False', true);
  const virtual = node('laptop', { 'quartermaster.dev/virtual-gpus': 'true' }, 'True');
  const view = buildTable(info, [real, cordoned], { wide: false, allNamespaces: true, nowMs: NOW });
  assert.deepEqual(view.headers, ['NAME', 'STATUS', 'GPU MODEL', 'GPUS', 'CPU', 'MEMORY', 'POOL', 'CAPACITY TYPE', 'AGE']);
  assert.deepEqual(view.rows, [
    ['gpu-1', 'Ready', 'H100', '8', '96', '1024Gi', 'h100-spot', 'spot', '3h'],
    ['gpu-2', 'NotReady,SchedulingDisabled', 'A100-80GB', '8', '96', '1024Gi', '<none>', '<none>', '3h'],
  ]);
  assert.deepEqual(view.notes, []);
  const withVirtual = buildTable(info, [virtual], { wide: false, allNamespaces: false, nowMs: NOW });
  assert.equal(withVirtual.rows[0][2], 'virtual (8)');
  assert.equal(withVirtual.notes.length, 1);
  assert.match(withVirtual.notes[0], /virtual/);
});

test('Queue, ModelDeployment, PriorityClass and other kinds', () => {
  const cases: [string, ApiObject, string[], string[]][] = [
    ['queue with status',
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'team-a' },
        spec: { guaranteed: { 'nvidia.com/gpu': 4 }, max: { 'nvidia.com/gpu': '8' } },
        status: { usage: { 'nvidia.com/gpu': 6 }, borrowed: { 'nvidia.com/gpu': 2 }, pending: 3, admitted: 2, dominantShare: 0.375 } },
      ['NAME', 'GUARANTEED GPUS', 'MAX', 'USAGE', 'BORROWED', 'PENDING', 'ADMITTED', 'SHARE'],
      ['team-a', '4', '8', '6', '2', '3', '2', '38%']],
    ['queue with flavors and no status',
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'b' },
        spec: { flavors: [{ name: 'h100', guaranteed: { 'nvidia.com/gpu': 2 } }, { name: 'a100', guaranteed: { 'nvidia.com/gpu': 3 } }] } },
      ['NAME', 'GUARANTEED GPUS', 'MAX', 'USAGE', 'BORROWED', 'PENDING', 'ADMITTED', 'SHARE'],
      ['b', '5', '<none>', '0', '0', '0', '0', '0%']],
    ['model deployment',
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'x', creationTimestamp: ago(30_000) },
        spec: { replicas: 3 }, status: { readyReplicas: 2, updatedReplicas: 3, endpoint: 'http://127.0.0.1:7070/serve/x/chat' } },
      ['NAME', 'READY', 'UP-TO-DATE', 'ENDPOINT', 'AGE'],
      ['chat', '2/3', '3', 'http://127.0.0.1:7070/serve/x/chat', '30s']],
    ['priority class',
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high', creationTimestamp: ago(60_000) }, value: 1000, globalDefault: true },
      ['NAME', 'VALUE', 'GLOBAL-DEFAULT', 'PREEMPTION', 'AGE'],
      ['high', '1000', 'true', 'PreemptLowerPriority', '60s']],
    ['a kind without columns',
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'PriceCatalog', metadata: { name: 'b', creationTimestamp: ago(90_000) } },
      ['NAME', 'AGE'], ['b', '90s']],
    ['Budget: spent, forecast and what fired (F = forecasted)',
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Budget', metadata: { name: 'nlp', namespace: 'x', creationTimestamp: ago(90_000) },
        spec: { target: { queue: 'nlp' }, period: 'Monthly', amountUSD: 100 },
        status: { spentUSD: 81.234, forecastUSD: 120, blocking: true, triggered: [{ percent: 100, type: 'Forecasted' }, { percent: 80, type: 'Actual' }] } },
      ['NAME', 'TARGET', 'PERIOD', 'AMOUNT', 'SPENT', 'FORECAST', 'FIRED', 'BLOCKING', 'AGE'],
      ['nlp', 'queue/nlp', 'Monthly', '$100.00', '$81.23', '$120.00', '100%F,80%', 'true', '90s']],
  ];
  for (const [name, obj, headers, row] of cases) {
    const view = buildTable(findKind(obj.kind)!, [obj], { wide: false, allNamespaces: false, nowMs: NOW });
    assert.deepEqual(view.headers, headers, name);
    assert.deepEqual(view.rows[0], row, name);
  }
});

test('events are sorted by last timestamp and name their object', () => {
  const ev = (name: string, lastMsAgo: number, reason: string): ApiObject => ({
    apiVersion: 'v1', kind: 'Event', metadata: { name, namespace: 'team-a' },
    type: 'Normal', reason, message: `line one\nline two`, lastTimestamp: ago(lastMsAgo),
    involvedObject: { kind: 'TrainingJob', name: 'bert', namespace: 'team-a' },
  });
  const view = buildTable(findKind('Event')!, [ev('b', 10_000, 'Started'), ev('a', 60_000, 'Admitted')], { wide: false, allNamespaces: true, nowMs: NOW });
  assert.deepEqual(view.headers, ['NAMESPACE', 'LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE']);
  assert.deepEqual(view.rows.map((r) => r[3]), ['Admitted', 'Started']);
  assert.equal(view.rows[0][4], 'trainingjob/bert');
  assert.equal(view.rows[0][5], 'line one line two');
});

test('latestCondition and formatMemory', () => {
  assert.equal(latestCondition([{ type: 'A', status: 'True', lastTransitionTime: ago(10) }, { type: 'B', status: 'True', lastTransitionTime: ago(100) }])?.type, 'A');
  assert.equal(latestCondition([{ type: 'A', status: 'True' }, { type: 'B', status: 'True' }])?.type, 'B');
  assert.equal(latestCondition(undefined), undefined);
  const memory: [unknown, string][] = [
    ['64Gi', '64Gi'], ['1Ti', '1024Gi'], [68_719_476_736, '64Gi'], ['1610612736', '1.5Gi'], [524_288_000, '500Mi'],
    ['24683652Ki', '23.5Gi'], ['512Mi', '512Mi'], ['2G', '1.9Gi'], ['weird', 'weird'], [undefined, '<none>'],
  ];
  for (const [input, want] of memory) assert.equal(formatMemory(input), want, String(input));
});
