/**
 * End to end: `qm get` in every output format, `describe` with its Events section, `get -w`
 * seeing a change made while it watches, and `version`.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { runQm, spawnQm } from './support/qm-cli.js';
import { namespaceYaml, queueYaml, trainingJobYaml, writeManifests } from './support/manifests.js';

let platform: TestPlatform;
let dir: string;

before(async () => {
  platform = await startTestPlatform({ virtualGpus: 2 });
  dir = writeManifests({
    'all.yaml': [namespaceYaml('team-get'), queueYaml('team-get', 'team-get', 1), trainingJobYaml('bert', 'team-get', { labels: { team: 'nlp' } })].join('---\n'),
  });
  const apply = await runQm(platform, ['apply', '-f', dir]);
  assert.equal(apply.code, 0, apply.stderr);
});

after(async () => {
  await platform?.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('get as table, wide, json, yaml and name', async () => {
  const table = await runQm(platform, ['get', 'tj', '-n', 'team-get']);
  assert.equal(table.code, 0, table.stderr);
  const [header, row] = table.stdout.split('\n');
  assert.match(header, /^NAME +QUEUE +PHASE +WORKERS +GPUS +REASON +AGE$/);
  assert.match(row, /^bert +\S+ +\S+ +1 +0 +.* +\d+[smhd]/);

  const wide = await runQm(platform, ['get', 'tj', '-A', '-o', 'wide']);
  assert.match(wide.stdout.split('\n')[0], /^NAMESPACE +NAME +.* +AGE +NODES +RESTARTS +PREEMPTIONS +POSITION$/);

  const json = JSON.parse((await runQm(platform, ['get', 'trainingjob', 'bert', '-n', 'team-get', '-o', 'json'])).stdout);
  assert.equal(json.kind, 'TrainingJob');
  assert.equal(json.metadata.name, 'bert');
  assert.ok(json.metadata.resourceVersion, 'server-set fields are shown');

  const yaml = await runQm(platform, ['get', 'tj', '-n', 'team-get', '-l', 'team=nlp', '-o', 'yaml']);
  assert.match(yaml.stdout, /^apiVersion: v1\nkind: List\n/);
  assert.match(yaml.stdout, /name: bert/);

  const names = await runQm(platform, ['get', 'q', '-o', 'name']);
  assert.match(names.stdout, /^queue\.ml\.quartermaster\.dev\/team-get$/m);

  const empty = await runQm(platform, ['get', 'md', '-n', 'team-get']);
  assert.equal(empty.code, 0);
  assert.equal(empty.stderr, 'No resources found in team-get namespace.\n');
});

test('get nodes shows this host, with its virtual GPUs noted', async () => {
  const run = await runQm(platform, ['get', 'nodes']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^NAME +STATUS +GPU MODEL +GPUS +CPU +MEMORY +POOL +CAPACITY TYPE +AGE\n/);
  assert.match(run.stdout, /virtual \(2\)/);
  assert.match(run.stdout, /^Note: .*virtual/m);
});

test('describe shows metadata, spec, status and an Events section', async () => {
  const run = await runQm(platform, ['describe', 'tj', 'bert', '-n', 'team-get']);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Name: +bert\nNamespace: +team-get\nLabels: +team=nlp\n/);
  assert.match(run.stdout, /\nSpec:\n  workers: 1\n/);
  assert.match(run.stdout, /\nEvents:/);
  const missing = await runQm(platform, ['describe', 'tj', 'nope', '-n', 'team-get']);
  assert.equal(missing.code, 1);
});

test('get -w prints a row for a change made while watching', async () => {
  const watch = spawnQm(platform, ['get', 'tj', '-n', 'team-get', '-w']);
  try {
    await watch.waitForStdout(/^NAME .*\nbert /m);
    const apply = await runQm(platform, ['apply', '-f', '-'], { input: trainingJobYaml('watched', 'team-get') });
    assert.equal(apply.code, 0, apply.stderr);
    await watch.waitForStdout(/^watched +/m);
  } finally {
    const code = await watch.stop('SIGINT');
    assert.equal(code, 0, watch.stderr());
  }
});

test('version shows client and server versions', async () => {
  const run = await runQm(platform, ['version']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^Client Version: 0\.1\.0\nServer Version: \S+/);
});
