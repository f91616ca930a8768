/**
 * End to end: the real `qm` CLI against the real server — apply's created/unchanged/configured
 * lines, validation and YAML errors, unknown kinds, auth and namespace failures, delete -f.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { runQm } from './support/qm-cli.js';
import { namespaceYaml, priorityClassYaml, queueYaml, trainingJobYaml, writeManifests } from './support/manifests.js';

let platform: TestPlatform;

/** A URL nobody listens on: a port that was free a moment ago. */
async function freeUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
let dir: string;

before(async () => {
  platform = await startTestPlatform();
  dir = writeManifests({
    // File order puts the job first; apply still creates the namespace, class and queue before it.
    '1-job.yaml': trainingJobYaml('bert', 'team-e2e', { queue: 'team-e2e', priorityClassName: 'e2e-high' }),
    '2-setup.yaml': [namespaceYaml('team-e2e'), priorityClassYaml('e2e-high', 1000), queueYaml('team-e2e', 'team-e2e', 1)].join('---\n'),
  });
});

after(async () => {
  await platform?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('apply a directory creates everything, in dependency order', async () => {
  const run = await runQm(platform, ['apply', '-f', dir]);
  assert.equal(run.stderr, '');
  assert.equal(run.code, 0);
  assert.deepEqual(run.stdout.trim().split('\n'), [
    'namespace/team-e2e created',
    'priorityclass.scheduling.k8s.io/e2e-high created',
    'queue.ml.quartermaster.dev/team-e2e created',
    'trainingjob.ml.quartermaster.dev/bert created',
  ]);
});

test('re-applying the same files changes nothing', async () => {
  const run = await runQm(platform, ['apply', '-f', dir]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), [
    'namespace/team-e2e unchanged',
    'priorityclass.scheduling.k8s.io/e2e-high unchanged',
    'queue.ml.quartermaster.dev/team-e2e unchanged',
    'trainingjob.ml.quartermaster.dev/bert unchanged',
  ]);
});

test('an edited document is configured, the others unchanged', async () => {
  writeFileSync(join(dir, '2-setup.yaml'), [namespaceYaml('team-e2e'), priorityClassYaml('e2e-high', 1000), queueYaml('team-e2e', 'team-e2e', 2)].join('---\n'));
  const run = await runQm(platform, ['apply', '-f', dir]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^queue\.ml\.quartermaster\.dev\/team-e2e configured$/m);
  assert.match(run.stdout, /^trainingjob\.ml\.quartermaster\.dev\/bert unchanged$/m);
  const queue = JSON.parse((await runQm(platform, ['get', 'queue', 'team-e2e', '-o', 'json'])).stdout);
  assert.equal(Number(queue.spec.guaranteed['nvidia.com/gpu']), 2);
});

test('a manifest with three wrong fields: one error naming all three, exit 2, nothing stored', async () => {
  const bad = [
    'apiVersion: ml.quartermaster.dev/v1alpha1',
    'kind: TrainingJob',
    'metadata: {name: broken, namespace: team-e2e}',
    'spec:',
    '  workers: 0',
    '  gpusPerWorker: -1',
    '  maxRestarts: lots',
    '  command: ["sleep", "1"]',
  ].join('\n');
  const run = await runQm(platform, ['apply', '-f', '-'], { input: bad });
  assert.equal(run.code, 2, run.stderr);
  const errorLines = run.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(errorLines.length, 1, run.stderr);
  assert.match(errorLines[0], /^error: <stdin>#1 TrainingJob\/broken: /);
  for (const field of ['spec.workers', 'spec.gpusPerWorker', 'spec.maxRestarts']) {
    assert.match(run.stderr, new RegExp(`^  ${field.replace('.', '\\.')}: `, 'm'), `names ${field}`);
  }
  const get = await runQm(platform, ['get', 'tj', 'broken', '-n', 'team-e2e']);
  assert.equal(get.code, 1);
});

test('malformed YAML names the file and line, exits 2, applies nothing from the file', async () => {
  const badDir = writeManifests({ 'broken.yaml': `${namespaceYaml('never-created')}---\nkind: Queue\nmetadata:\n  name: [unclosed\n` });
  try {
    const run = await runQm(platform, ['apply', '-f', join(badDir, 'broken.yaml')]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`^error: ${join(badDir, 'broken.yaml').replace(/[.]/g, '\\.')}:\\d+:\\d+: invalid YAML`));
    assert.equal(run.stdout, '');
    assert.equal((await runQm(platform, ['get', 'ns', 'never-created'])).code, 1);
  } finally {
    rmSync(badDir, { recursive: true, force: true });
  }
});

test('unknown kinds exit 2 with the list of known kinds', async () => {
  const get = await runQm(platform, ['get', 'widgets']);
  assert.equal(get.code, 2);
  assert.match(get.stderr, /^error: unknown kind "widgets"\n  known kinds: .*trainingjobs \(tj\)/);
  const apply = await runQm(platform, ['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: Widget\nmetadata: {name: w}\n' });
  assert.equal(apply.code, 2);
  assert.match(apply.stderr, /unknown kind "Widget"/);
});

test('a wrong token is refused with the server\'s 401 message and exit 1', async () => {
  const run = await runQm(platform, ['get', 'tj', '-A', '--token', 'qm_not-a-real-token']);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^error: \S.*\n$/);
  const env = await runQm(platform, ['get', 'nodes'], { env: { QM_TOKEN: 'qm_wrong' } });
  assert.equal(env.code, 1, 'QM_TOKEN overrides config.json');
});

test('applying into a missing namespace is a clear error with exit 1', async () => {
  const run = await runQm(platform, ['apply', '-f', '-'], { input: trainingJobYaml('lost', 'no-such-namespace') });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /^error: <stdin>#1 TrainingJob\/lost: .*no-such-namespace/);
  assert.match(run.stderr, /namespace/i);
});

test('an unreachable server is named, with exit 1', async () => {
  const url = await freeUrl();
  const run = await runQm(platform, ['get', 'nodes', '--server', url]);
  assert.equal(run.code, 1);
  assert.equal(run.stderr, `error: cannot reach the Quartermaster server at ${url} (is \`qm up\` running?)\n`);
});

test('delete -f removes what the files describe; again is NotFound unless --ignore-not-found', async () => {
  const run = await runQm(platform, ['delete', '-f', dir]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.trim().split('\n'), [
    'trainingjob.ml.quartermaster.dev "bert" deleted',
    'queue.ml.quartermaster.dev "team-e2e" deleted',
    'priorityclass.scheduling.k8s.io "e2e-high" deleted',
    'namespace "team-e2e" deleted',
  ]);
  const again = await runQm(platform, ['delete', 'pc', 'e2e-high']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /not found/);
  const ignored = await runQm(platform, ['delete', 'pc', 'e2e-high', '--ignore-not-found']);
  assert.equal(ignored.code, 0);
});
