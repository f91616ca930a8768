import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeApi } from '../testing/fake-api-server.js';
import { runQm } from '../testing/harness.js';

const MANIFESTS = [
  'apiVersion: v1\nkind: Namespace\nmetadata: {name: team-a}\n',
  'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: TrainingJob\nmetadata: {name: bert, namespace: team-a}\nspec: {workers: 1}\n',
].join('---\n');

test('delete by name and by manifest; NotFound exits 1 unless --ignore-not-found', async () => {
  const api = await startFakeApi({ token: 't' });
  try {
    await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: MANIFESTS });
    const byName = await runQm(api.url, 't', ['delete', 'tj', 'bert', '-n', 'team-a']);
    assert.equal(byName.code, 0);
    assert.equal(byName.stdout, 'trainingjob.ml.quartermaster.dev "bert" deleted\n');

    const again = await runQm(api.url, 't', ['delete', 'tj/bert', '-n', 'team-a']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'error: trainingjob.ml.quartermaster.dev "bert" not found in namespace "team-a"\n');
    const ignored = await runQm(api.url, 't', ['delete', 'tj', 'bert', '-n', 'team-a', '--ignore-not-found']);
    assert.equal(ignored.code, 0);
    assert.equal(ignored.stderr, '');

    await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: MANIFESTS });
    const fromFile = await runQm(api.url, 't', ['delete', '-f', '-'], { stdin: MANIFESTS });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    // Workloads go before their namespace.
    assert.equal(fromFile.stdout, 'trainingjob.ml.quartermaster.dev "bert" deleted\nnamespace "team-a" deleted\n');
    assert.equal(api.objects.size, 0);

    const usage: [string[], RegExp][] = [
      [['delete'], /name what to delete/],
      [['delete', 'tj'], /name the trainingjob to delete/],
      [['delete', 'tj', 'x', '-f', 'a.yaml'], /either KIND NAME or -f FILE/],
      [['delete', 'widgets', 'x'], /unknown kind "widgets"/],
    ];
    for (const [args, want] of usage) {
      const run = await runQm(api.url, 't', args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, want, args.join(' '));
    }
  } finally {
    await api.close();
  }
});
