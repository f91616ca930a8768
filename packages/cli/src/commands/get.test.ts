import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parse } from 'yaml';
import { QmError, toStatusObject, type ApiObject } from '@qm/api';
import { runCli } from '../cli.js';
import { bufferIo } from '../io.js';
import { startFakeApi, type FakeApi } from '../testing/fake-api-server.js';
import { runQm } from '../testing/harness.js';

const NOW = Date.parse('2025-01-01T12:00:00Z');
const now = () => NOW;

function job(name: string, ns: string, phase: string, labels: Record<string, string> = {}): ApiObject {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
    metadata: { name, namespace: ns, labels, creationTimestamp: new Date(NOW - 120_000).toISOString() },
    spec: { queue: 'q', workers: 2, gpusPerWorker: 2 }, status: { phase },
  };
}

async function withApi(fn: (api: FakeApi) => Promise<void>): Promise<void> {
  const api = await startFakeApi({ token: 't' });
  try {
    await fn(api);
  } finally {
    await api.close();
  }
}

test('get prints a table, namespaced by default, across namespaces with -A', () => withApi(async (api) => {
  api.put(job('bert', 'default', 'Running'));
  api.put(job('gpt', 'team-b', 'Pending'));
  const inDefault = await runQm(api.url, 't', ['get', 'tj'], { now });
  assert.equal(inDefault.code, 0);
  assert.equal(inDefault.stdout, [
    'NAME   QUEUE   PHASE     WORKERS   GPUS   REASON   AGE',
    'bert   q       Running   2         4      <none>   2m',
    '',
  ].join('\n'));
  const all = await runQm(api.url, 't', ['get', 'trainingjobs', '-A'], { now });
  assert.equal(all.stdout.split('\n')[0], 'NAMESPACE   NAME   QUEUE   PHASE     WORKERS   GPUS   REASON   AGE');
  assert.equal(all.stdout.split('\n').length, 4);
  const inB = await runQm(api.url, 't', ['get', 'TrainingJob', '-n', 'team-b'], { now });
  assert.match(inB.stdout, /^NAME.*\ngpt /);
}));

test('get says when nothing is found, and exits 0', () => withApi(async (api) => {
  const cases: [string[], string][] = [
    [['get', 'tj', '-n', 'team-x'], 'No resources found in team-x namespace.\n'],
    [['get', 'tj'], 'No resources found in default namespace.\n'],
    [['get', 'tj', '-A'], 'No resources found\n'],
    [['get', 'queues'], 'No resources found\n'],
  ];
  for (const [args, want] of cases) {
    const run = await runQm(api.url, 't', args);
    assert.equal(run.code, 0, args.join(' '));
    assert.equal(run.stdout, '', args.join(' '));
    assert.equal(run.stderr, want, args.join(' '));
  }
}));

test('get -o json|yaml|name: one object as is, several as a List', () => withApi(async (api) => {
  api.put(job('bert', 'default', 'Running'));
  api.put(job('gpt', 'default', 'Pending'));
  const one = await runQm(api.url, 't', ['get', 'tj', 'bert', '-o', 'json']);
  assert.equal(one.code, 0);
  const obj = JSON.parse(one.stdout);
  assert.equal(obj.kind, 'TrainingJob');
  assert.equal(obj.metadata.name, 'bert');
  const many = parse((await runQm(api.url, 't', ['get', 'tj', '-o', 'yaml'])).stdout);
  assert.equal(many.kind, 'List');
  assert.deepEqual(many.items.map((i: ApiObject) => i.metadata.name), ['bert', 'gpt']);
  const names = await runQm(api.url, 't', ['get', 'tj', '-o', 'name']);
  assert.equal(names.stdout, 'trainingjob.ml.quartermaster.dev/bert\ntrainingjob.ml.quartermaster.dev/gpt\n');
  const slash = await runQm(api.url, 't', ['get', 'tj/gpt', '-o', 'name']);
  assert.equal(slash.stdout, 'trainingjob.ml.quartermaster.dev/gpt\n');
}));

test('get passes selectors to the server', () => withApi(async (api) => {
  api.put(job('bert', 'default', 'Running', { team: 'nlp' }));
  api.put(job('gpt', 'default', 'Running', { team: 'vision' }));
  const run = await runQm(api.url, 't', ['get', 'tj', '-l', 'team=nlp', '--field-selector', 'status.phase=Running', '-o', 'name']);
  assert.equal(run.stdout, 'trainingjob.ml.quartermaster.dev/bert\n');
  const list = api.requests.find((r) => r.method === 'GET' && r.path.endsWith('/namespaces/default/trainingjobs'))!;
  assert.equal(list.query.labelSelector, 'team=nlp');
  assert.equal(list.query.fieldSelector, 'status.phase=Running');
}));

test('get usage errors exit 2; server refusals exit 1', () => withApi(async (api) => {
  const cases: [string, string[], number, RegExp][] = [
    ['unknown kind lists known kinds', ['get', 'pods'], 2, /^error: unknown kind "pods"\n  known kinds: nodes \(no\)/],
    ['no kind', ['get'], 2, /you must name the kind/],
    ['bad output format', ['get', 'tj', '-o', 'xml'], 2, /unknown output format "xml"/],
    ['-n with -A', ['get', 'tj', '-n', 'a', '-A'], 2, /either -n NAMESPACE or -A/],
    ['unknown flag', ['get', 'tj', '--frobnicate'], 2, /unknown option '--frobnicate'/],
    ['missing object', ['get', 'tj', 'nope'], 1, /^error: trainingjobs "nope" not found\n$/],
  ];
  for (const [name, args, code, stderr] of cases) {
    const run = await runQm(api.url, 't', args);
    assert.equal(run.code, code, name);
    assert.match(run.stderr, stderr, name);
  }
  const badToken = await runQm(api.url, 'wrong', ['get', 'tj']);
  assert.equal(badToken.code, 1);
  assert.equal(badToken.stderr, 'error: the bearer token is missing or unknown\n');
  const noToken = await runQm(api.url, undefined, ['get', 'tj']);
  assert.equal(noToken.code, 1);
  assert.match(noToken.stderr, /no token found: pass --token, set QM_TOKEN/);
}));

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('get -w prints a row per change until interrupted', () => withApi(async (api) => {
  api.put(job('bert', 'default', 'Pending'));
  const io = bufferIo({ env: { QM_SERVER: api.url, QM_TOKEN: 't', QM_HOME: '/nonexistent' }, now });
  const running = runCli(['get', 'tj', '-w'], io);
  await until(() => api.requests.some((r) => r.query.watch === 'true'), 'the watch request');
  const cur = api.objects.get('TrainingJob/default/bert')!;
  api.put({ ...cur, status: { phase: 'Running' } });
  api.put(job('gpt', 'other-namespace', 'Pending'));
  await until(() => io.stdoutText().includes('Running'), 'the Running row');
  io.interrupt();
  assert.equal(await running, 0);
  assert.deepEqual(io.stdoutText().split('\n'), [
    'NAME   QUEUE   PHASE     WORKERS   GPUS   REASON   AGE',
    'bert   q       Pending   2         4      <none>   2m',
    'bert   q       Running   2         4      <none>   2m',
    '',
  ]);
  const watch = api.requests.find((r) => r.query.watch === 'true')!;
  assert.equal(watch.query.resourceVersion, String(api.currentVersion - 2), 'watches from the list\'s version');
}));

test('get -w relists after 410 Gone and prints only what changed', () => withApi(async (api) => {
  api.put(job('bert', 'default', 'Pending'));
  let gone = true;
  api.override('GET', /\/trainingjobs$/, (_req, res, url) => {
    if (url.searchParams.get('watch') !== 'true' || !gone) return 'next';
    gone = false;
    // Meanwhile the job changed: the relist must show it.
    const cur = api.objects.get('TrainingJob/default/bert')!;
    api.put({ ...cur, status: { phase: 'Succeeded' } });
    const status = toStatusObject(new QmError('Gone', 'too old resource version'));
    res.writeHead(410, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(status));
  });
  const io = bufferIo({ env: { QM_SERVER: api.url, QM_TOKEN: 't', QM_HOME: '/nonexistent' }, now });
  const running = runCli(['get', 'tj', '-w', '-o', 'name'], io);
  await until(() => api.requests.filter((r) => r.query.watch === 'true').length >= 2, 'the second watch');
  io.interrupt();
  assert.equal(await running, 0);
  assert.equal(io.stdoutText(), 'trainingjob.ml.quartermaster.dev/bert\ntrainingjob.ml.quartermaster.dev/bert\n');
  assert.equal(api.requests.filter((r) => r.method === 'GET' && r.query.watch !== 'true').length, 2, 'one list, one relist');
}));
