import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ApiObject, FieldCause } from '@qm/api';
import { startFakeApi, type FakeApi } from '../testing/fake-api-server.js';
import { runQm, unreachableUrl } from '../testing/harness.js';

const NS = 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n';
const QUEUE = 'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: Queue\nmetadata:\n  name: team-a\nspec:\n  namespaces: [team-a]\n  guaranteed: {nvidia.com/gpu: 4}\n';
const JOB = (workers: number, extra = '') => `apiVersion: ml.quartermaster.dev/v1alpha1\nkind: TrainingJob\nmetadata:\n  name: bert\n  namespace: team-a${extra}\nspec:\n  workers: ${workers}\n  gpusPerWorker: 1\n  command: [python, train.py]\n`;

/** Rejects TrainingJobs with workers < 1, gpusPerWorker < 0 or no command, naming every field. */
function validate(obj: ApiObject): FieldCause[] {
  if (obj.kind !== 'TrainingJob') return [];
  const causes: FieldCause[] = [];
  if (!(obj.spec?.workers >= 1)) causes.push({ field: 'spec.workers', message: 'must be ≥ 1', reason: 'FieldValueInvalid' });
  if (obj.spec?.gpusPerWorker < 0) causes.push({ field: 'spec.gpusPerWorker', message: 'must be ≥ 0', reason: 'FieldValueInvalid' });
  if (!Array.isArray(obj.spec?.command)) causes.push({ field: 'spec.command', message: 'is required', reason: 'FieldValueRequired' });
  return causes;
}

async function withApi(fn: (api: FakeApi, dir: string) => Promise<void>): Promise<void> {
  const api = await startFakeApi({ token: 't', validate, requireNamespaces: true });
  const dir = mkdtempSync(join(tmpdir(), 'qm-apply-'));
  try {
    await fn(api, dir);
  } finally {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const writes = (api: FakeApi) => api.requests.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`);

test('apply creates, then reports unchanged without writing, then configured with the fetched resourceVersion', () => withApi(async (api, dir) => {
  // The job comes first in the directory; the Namespace and Queue are still applied before it.
  writeFileSync(join(dir, '1-job.yaml'), JOB(2));
  writeFileSync(join(dir, '2-setup.yaml'), `${NS}---\n${QUEUE}`);

  const first = await runQm(api.url, 't', ['apply', '-f', dir]);
  assert.equal(first.stderr, '');
  assert.equal(first.code, 0);
  assert.equal(first.stdout, 'namespace/team-a created\nqueue.ml.quartermaster.dev/team-a created\ntrainingjob.ml.quartermaster.dev/bert created\n');

  // The server adds a default and a status; neither makes the manifest "changed".
  const stored = api.objects.get('TrainingJob/team-a/bert')!;
  api.put({ ...stored, spec: { ...stored.spec, checkpointKeep: 3 }, status: { phase: 'Running' } });
  api.requests.length = 0;
  const again = await runQm(api.url, 't', ['apply', '-f', dir]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /trainingjob\.ml\.quartermaster\.dev\/bert unchanged/);
  assert.deepEqual(writes(api), []);

  writeFileSync(join(dir, '1-job.yaml'), JOB(4, '\n  labels: {team: nlp}'));
  const rv = api.objects.get('TrainingJob/team-a/bert')!.metadata.resourceVersion;
  api.requests.length = 0;
  const edited = await runQm(api.url, 't', ['apply', '-f', join(dir, '1-job.yaml')]);
  assert.equal(edited.code, 0);
  assert.equal(edited.stdout, 'trainingjob.ml.quartermaster.dev/bert configured\n');
  const put = api.requests.find((r) => r.method === 'PUT')!;
  assert.equal((put.body as ApiObject).metadata.resourceVersion, rv);
  const after = api.objects.get('TrainingJob/team-a/bert')!;
  assert.equal(after.spec.workers, 4);
  assert.deepEqual(after.metadata.labels, { team: 'nlp' });
  assert.deepEqual(after.status, { phase: 'Running' }, 'status is kept');
}));

test('apply retries a 409 once, then reports the conflict with exit 1', () => withApi(async (api) => {
  await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: `${NS}---\n${JOB(1)}` });
  let puts = 0;
  api.override('PUT', /trainingjobs\/bert$/, (_req, res) => {
    puts++;
    res.writeHead(409, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', reason: 'Conflict', code: 409, message: 'trainingjobs "bert" was modified' }));
  });
  const run = await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: JOB(3) });
  assert.equal(puts, 2);
  assert.equal(run.code, 1);
  assert.equal(run.stderr, 'error: <stdin>#1 TrainingJob/bert: trainingjobs "bert" was modified\n');
}));

test('a single 409 is absorbed by the retry', () => withApi(async (api) => {
  await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: `${NS}---\n${JOB(1)}` });
  let first = true;
  api.override('PUT', /trainingjobs\/bert$/, async (req, res) => {
    if (!first) return sendThrough(api, req, res);
    first = false;
    const cur = api.objects.get('TrainingJob/team-a/bert')!;
    api.put(cur); // bumps the resourceVersion under us
    res.writeHead(409, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', reason: 'Conflict', code: 409, message: 'modified' }));
  });
  const run = await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: JOB(3) });
  assert.equal(run.stderr, '');
  assert.equal(run.stdout, 'trainingjob.ml.quartermaster.dev/bert configured\n');
  assert.equal(run.code, 0);
}));

/** Stores a PUT body the way the fake's default route would (used after an override's first answer). */
async function sendThrough(api: FakeApi, req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
  const last = api.requests[api.requests.length - 1];
  const stored = api.put({ ...(last.body as ApiObject), status: api.objects.get('TrainingJob/team-a/bert')!.status });
  res.writeHead(200, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(stored));
  void req;
}

test('a refused document prints every bad field, exits 2 and stores nothing; others still apply', () => withApi(async (api) => {
  const bad = 'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: TrainingJob\nmetadata: {name: broken, namespace: team-a}\nspec: {workers: 0, gpusPerWorker: -1}\n';
  const run = await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: `${NS}---\n${bad}` });
  assert.equal(run.code, 2);
  assert.equal(run.stdout, 'namespace/team-a created\n');
  assert.equal(run.stderr, [
    'error: <stdin>#2 TrainingJob/broken: TrainingJob "broken" is invalid',
    '  spec.workers: must be ≥ 1',
    '  spec.gpusPerWorker: must be ≥ 0',
    '  spec.command: is required',
    '',
  ].join('\n'));
  assert.equal(api.objects.has('TrainingJob/team-a/broken'), false);
}));

test('malformed YAML names file and line, exits 2 and applies nothing from that file', () => withApi(async (api, dir) => {
  writeFileSync(join(dir, 'a.yaml'), `${NS}---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: [oops\n`);
  writeFileSync(join(dir, 'b.yaml'), QUEUE);
  const run = await runQm(api.url, 't', ['apply', '-f', dir]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, new RegExp(`^error: ${join(dir, 'a.yaml').replace(/[.]/g, '\\.')}:\\d+:\\d+: invalid YAML`));
  assert.equal(run.stdout, 'queue.ml.quartermaster.dev/team-a created\n');
  assert.equal(api.objects.has('Namespace//team-a'), false);
}));

test('unknown kinds, missing names and wrong apiVersions are per-document usage errors', () => withApi(async (api) => {
  const docs = [
    'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n',
    'apiVersion: v1\nkind: Queue\nmetadata: {name: q}\n',
    'apiVersion: v1\nkind: Namespace\nmetadata: {}\n',
    '- not an object\n',
  ].join('---\n');
  const run = await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: docs });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /error: <stdin>#1 Pod\/p: unknown kind "Pod"\n  known kinds: .*trainingjobs \(tj\)/);
  assert.match(run.stderr, /error: <stdin>#2 Queue\/q: kind Queue has apiVersion "v1"; it is served as apiVersion "ml\.quartermaster\.dev\/v1alpha1"/);
  assert.match(run.stderr, /error: <stdin>#3 Namespace\/<no name>: metadata\.name is required/);
  assert.match(run.stderr, /error: <stdin>#4: the document is a list/);
  assert.deepEqual(writes(api), []);
}));

test('a missing namespace is a clear error with exit 1; -n fills in documents without one', () => withApi(async (api) => {
  const run = await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: JOB(1).replace('  namespace: team-a\n', '') });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /^error: <stdin>#1 TrainingJob\/bert: namespaces "default" not found/);
  await runQm(api.url, 't', ['apply', '-f', '-'], { stdin: NS });
  const ok = await runQm(api.url, 't', ['apply', '-n', 'team-a', '-f', '-'], { stdin: JOB(1).replace('  namespace: team-a\n', '') });
  assert.equal(ok.code, 0, ok.stderr);
  assert.ok(api.objects.has('TrainingJob/team-a/bert'));
}));

test('apply against an unreachable server says so once and exits 1', async () => {
  const url = await unreachableUrl();
  const run = await runQm(url, 't', ['apply', '-f', '-'], { stdin: `${NS}---\n${QUEUE}` });
  assert.equal(run.code, 1);
  assert.equal(run.stderr, `error: <stdin>#1 Namespace/team-a: cannot reach the Quartermaster server at ${url} (is \`qm up\` running?)\n`);
});
