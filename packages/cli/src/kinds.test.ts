import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findKind } from '@qm/api';
import { CliError, EXIT_USAGE } from './errors.js';
import { qualifiedKind, qualifiedName, resolveKind, resolveManifestKind, splitKindAndName } from './kinds.js';

test('resolveKind accepts plural, singular, short names and Kind in any case', () => {
  const cases: [string, string][] = [
    ['tj', 'TrainingJob'], ['trainingjobs', 'TrainingJob'], ['trainingjob', 'TrainingJob'], ['TrainingJob', 'TrainingJob'],
    ['md', 'ModelDeployment'], ['q', 'Queue'], ['QUEUES', 'Queue'], ['pc', 'PriorityClass'], ['no', 'Node'], ['ns', 'Namespace'],
    ['ev', 'Event'], ['priorityclasses.scheduling.k8s.io', 'PriorityClass'], ['hpa', 'HorizontalPodAutoscaler'],
  ];
  for (const [name, want] of cases) assert.equal(resolveKind(name).kind, want, name);
});

test('resolveKind refuses an unknown kind with exit 2 and lists the known ones', () => {
  assert.throws(() => resolveKind('pods'), (err: unknown) => {
    assert.ok(err instanceof CliError);
    assert.equal(err.exitCode, EXIT_USAGE);
    assert.match(err.message, /unknown kind "pods"/);
    const known = err.detailLines.join('\n');
    assert.match(known, /trainingjobs \(tj\)/);
    assert.match(known, /queues \(q\)/);
    assert.match(known, /priorityclasses \(pc\)/);
    return true;
  });
});

test('resolveManifestKind checks kind and apiVersion', () => {
  const cases: [string, unknown, unknown, RegExp | string][] = [
    ['a served kind', 'ml.quartermaster.dev/v1alpha1', 'TrainingJob', 'TrainingJob'],
    ['a Kubernetes kind', 'scheduling.k8s.io/v1', 'PriorityClass', 'PriorityClass'],
    ['a core kind', 'v1', 'Namespace', 'Namespace'],
    ['wrong apiVersion', 'v1', 'TrainingJob', /served as apiVersion "ml.quartermaster.dev\/v1alpha1"/],
    ['missing apiVersion', undefined, 'Queue', /no apiVersion/],
    ['unknown kind', 'v1', 'Pod', /unknown kind "Pod"/],
    ['no kind', 'v1', undefined, /no "kind"/],
  ];
  for (const [name, apiVersion, kind, want] of cases) {
    if (typeof want === 'string') assert.equal(resolveManifestKind(apiVersion, kind).kind, want, name);
    else assert.throws(() => resolveManifestKind(apiVersion, kind), (e: unknown) => e instanceof CliError && e.exitCode === EXIT_USAGE && want.test(e.message), name);
  }
});

test('qualified names match kubectl', () => {
  assert.equal(qualifiedName(findKind('TrainingJob')!, 'bert'), 'trainingjob.ml.quartermaster.dev/bert');
  assert.equal(qualifiedKind(findKind('PriorityClass')!), 'priorityclass.scheduling.k8s.io');
  assert.equal(qualifiedName(findKind('Namespace')!, 'team-a'), 'namespace/team-a');
});

test('splitKindAndName', () => {
  assert.deepEqual(splitKindAndName('tj/bert'), { kind: 'tj', name: 'bert' });
  assert.deepEqual(splitKindAndName('tj'), { kind: 'tj' });
  assert.deepEqual(splitKindAndName('tj/'), { kind: 'tj', name: undefined });
});
