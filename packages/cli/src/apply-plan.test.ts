import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findKind, type ApiObject } from '@qm/api';
import { applyOrder, desiredObject, isSubset, isUnchanged, mergeForUpdate } from './apply-plan.js';
import { CliError } from './errors.js';

const tj = (spec: Record<string, unknown>, meta: Partial<ApiObject['metadata']> = {}): ApiObject => ({
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'bert', namespace: 'a', ...meta }, spec,
});
const stored = (spec: Record<string, unknown>, meta: Partial<ApiObject['metadata']> = {}): ApiObject => ({
  ...tj(spec, { uid: 'u1', resourceVersion: '7', generation: 2, creationTimestamp: '2025-01-01T00:00:00Z', ...meta }),
  status: { phase: 'Running' },
});

test('isSubset', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['equal scalars', 1, 1, true],
    ['number vs its string', 8, '8', true],
    ['string vs number', '8', 8, true],
    ['different', 1, 2, false],
    ['extra stored keys are defaults', { a: 1 }, { a: 1, b: 2 }, true],
    ['missing stored key', { a: 1, b: 2 }, { a: 1 }, false],
    ['arrays must match in length', [1, 2], [1, 2, 3], false],
    ['arrays element-wise with defaults', [{ name: 'x' }], [{ name: 'x', value: '' }], true],
    ['null matches absent', null, undefined, true],
    ['object vs scalar', { a: 1 }, 1, false],
  ];
  for (const [name, want, have, expected] of cases) assert.equal(isSubset(want, have), expected, name);
});

test('isUnchanged decides create/configured/unchanged inputs', () => {
  const cases: [string, ApiObject, ApiObject, boolean][] = [
    ['same spec', stored({ workers: 2 }), tj({ workers: 2 }), true],
    ['server defaults do not count', stored({ workers: 2, checkpointKeep: 3 }), tj({ workers: 2 }), true],
    ['spec changed', stored({ workers: 2 }), tj({ workers: 4 }), false],
    ['label added', stored({ workers: 2 }), tj({ workers: 2 }, { labels: { team: 'nlp' } }), false],
    ['label removed', stored({ workers: 2 }, { labels: { team: 'nlp' } }), tj({ workers: 2 }), false],
    ['platform label kept and ignored', stored({ workers: 2 }, { labels: { 'quartermaster.dev/queue': 'q' } }), tj({ workers: 2 }), true],
    ['annotation changed', stored({ workers: 2 }, { annotations: { a: '1' } }), tj({ workers: 2 }, { annotations: { a: '2' } }), false],
    ['top-level fields (PriorityClass)',
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high', resourceVersion: '3' }, value: 1000, preemptionPolicy: 'PreemptLowerPriority' },
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 1000 }, true],
    ['top-level field changed',
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high', resourceVersion: '3' }, value: 1000 },
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high' }, value: 2000 }, false],
  ];
  for (const [name, have, want, expected] of cases) assert.equal(isUnchanged(have, want), expected, name);
});

test('mergeForUpdate keeps server-set metadata and status, replaces spec, labels and annotations', () => {
  const next = mergeForUpdate(
    stored({ workers: 2, checkpointKeep: 3 }, { labels: { old: 'x', 'quartermaster.dev/queue': 'q' }, annotations: { a: '1' } }),
    tj({ workers: 4 }, { labels: { team: 'nlp' } }),
  );
  assert.deepEqual(next.spec, { workers: 4 });
  assert.deepEqual(next.status, { phase: 'Running' });
  assert.equal(next.metadata.resourceVersion, '7');
  assert.equal(next.metadata.uid, 'u1');
  assert.deepEqual(next.metadata.labels, { 'quartermaster.dev/queue': 'q', team: 'nlp' });
  assert.equal(next.metadata.annotations, undefined);
});

test('applyOrder puts Namespaces, then policy kinds, before workloads, keeping file order', () => {
  const doc = (kind: string, name: string) => ({ object: { apiVersion: 'x', kind, metadata: { name } } as ApiObject });
  const ordered = applyOrder([doc('TrainingJob', 'j1'), doc('Queue', 'q'), doc('Namespace', 'n1'), doc('TrainingJob', 'j2'), doc('PriorityClass', 'p'), doc('Namespace', 'n2'), { object: undefined }]);
  assert.deepEqual(ordered.map((d) => d.object?.metadata.name), ['n1', 'n2', 'q', 'p', 'j1', 'j2', undefined]);
});

test('desiredObject fills or drops the namespace and refuses conflicts', () => {
  const info = findKind('TrainingJob')!;
  const queue = findKind('Queue')!;
  assert.equal(desiredObject(tj({}, { namespace: undefined }), info, { value: 'default', explicit: false }).metadata.namespace, 'default');
  assert.equal(desiredObject(tj({}, { namespace: undefined }), info, { value: 'x', explicit: true }).metadata.namespace, 'x');
  assert.equal(desiredObject(tj({}, { namespace: 'a' }), info, { value: 'default', explicit: false }).metadata.namespace, 'a');
  assert.equal(desiredObject({ apiVersion: 'x', kind: 'Queue', metadata: { name: 'q', namespace: 'n' } }, queue, { value: 'default', explicit: false }).metadata.namespace, undefined);
  assert.throws(() => desiredObject(tj({}, { namespace: 'a' }), info, { value: 'b', explicit: true }), /does not match -n b/);
  assert.throws(() => desiredObject(tj({}, { name: '' }), info, { value: 'b', explicit: false }), (e: unknown) => e instanceof CliError && /metadata.name is required/.test(e.message));
  assert.throws(() => desiredObject({ apiVersion: 'x', kind: 'TrainingJob' } as unknown as ApiObject, info, { value: 'b', explicit: false }), /metadata is required/);
});
