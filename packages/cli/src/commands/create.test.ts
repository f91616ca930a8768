import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeApi } from '../testing/fake-api-server.js';
import { runQm } from '../testing/harness.js';

test('create namespace NAME and create -f: create only, AlreadyExists is exit 1', async () => {
  const api = await startFakeApi({ token: 't' });
  try {
    const ns = await runQm(api.url, 't', ['create', 'namespace', 'team-a']);
    assert.equal(ns.code, 0, ns.stderr);
    assert.equal(ns.stdout, 'namespace/team-a created\n');
    assert.ok(api.objects.has('Namespace//team-a'));

    const again = await runQm(api.url, 't', ['create', 'ns', 'team-a']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'error: namespaces "team-a" already exists\n');

    const queue = 'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: Queue\nmetadata: {name: q, uid: old, resourceVersion: "5"}\nspec: {}\n';
    const fromFile = await runQm(api.url, 't', ['create', '-f', '-'], { stdin: queue });
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fromFile.stdout, 'queue.ml.quartermaster.dev/q created\n');
    const sent = api.requests.find((r) => r.method === 'POST' && r.path.endsWith('/queues'))!;
    assert.deepEqual((sent.body as { metadata: unknown }).metadata, { name: 'q' }, 'server-set metadata is not sent');

    const usage: [string[], RegExp][] = [
      [['create'], /name what to create/],
      [['create', 'tj', 'x'], /trainingjobs need a manifest/],
      [['create', 'ns'], /name the namespace/],
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
