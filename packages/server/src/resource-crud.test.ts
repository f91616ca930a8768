import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { QM, startTestServer } from './test-support.js';
import type { TestServer } from './test-support.js';

function job(name: string, spec: Record<string, unknown> = {}, labels?: Record<string, string>): ApiObject {
  return {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
    metadata: { name, ...(labels ? { labels } : {}) },
    spec: { workers: 1, gpusPerWorker: 1, command: ['python', 'train.py'], ...spec },
  };
}
const queue = (name: string): ApiObject => ({
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name },
  spec: { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 4 } },
});
const JOBS = `${QM}/namespaces/team-a/trainingjobs`;

let s: TestServer;
before(async () => { s = await startTestServer(); });
after(() => s.close());

test('namespaced kind: create, get, list, update, delete', async () => {
  const created = await s.call('POST', JOBS, job('crud'));
  assert.equal(created.statusCode, 201, created.body);
  const obj = created.json();
  assert.equal(obj.metadata.namespace, 'team-a');
  assert.ok(obj.metadata.uid);
  assert.ok(obj.metadata.resourceVersion);

  const got = await s.call('GET', `${JOBS}/crud`);
  assert.equal(got.statusCode, 200);
  assert.deepEqual(got.json().spec, obj.spec);

  const list = (await s.call('GET', JOBS)).json();
  assert.equal(list.kind, 'TrainingJobList');
  assert.equal(list.apiVersion, 'ml.quartermaster.dev/v1alpha1');
  assert.ok(list.metadata.resourceVersion);
  assert.ok(list.items.some((i: ApiObject) => i.metadata.name === 'crud'));
  const all = (await s.call('GET', `${QM}/trainingjobs`)).json();
  assert.ok(all.items.some((i: ApiObject) => i.metadata.name === 'crud'), 'all-namespaces list includes it');

  const updated = await s.call('PUT', `${JOBS}/crud`, { ...obj, spec: { ...obj.spec, workers: 2 } });
  assert.equal(updated.statusCode, 200, updated.body);
  assert.equal(updated.json().spec.workers, 2);
  assert.equal(updated.json().metadata.generation, 2);

  const deleted = await s.call('DELETE', `${JOBS}/crud`);
  assert.equal(deleted.statusCode, 200, deleted.body);
  assert.equal(deleted.json().metadata.name, 'crud');
  assert.equal((await s.call('GET', `${JOBS}/crud`)).statusCode, 404);
});

test('cluster-scoped kind: create, get, patch, delete; a namespace in the body is dropped', async () => {
  const created = await s.call('POST', `${QM}/queues`, { ...queue('q-crud'), metadata: { name: 'q-crud', namespace: 'x' } });
  assert.equal(created.statusCode, 201, created.body);
  assert.equal(created.json().metadata.namespace, undefined);
  const patched = await s.call('PATCH', `${QM}/queues/q-crud`, { spec: { weight: 3 } });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.equal(patched.json().spec.weight, 3);
  assert.deepEqual(patched.json().spec.namespaces, ['team-a']);
  assert.equal((await s.call('DELETE', `${QM}/queues/q-crud`, { propagationPolicy: 'Background' })).statusCode, 200);
  assert.equal((await s.call('GET', `${QM}/queues/q-crud`)).statusCode, 404);
});

test('create accepts YAML', async () => {
  const yaml = 'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: TrainingJob\nmetadata:\n  name: from-yaml\n'
    + 'spec:\n  workers: 1\n  gpusPerWorker: 1\n  command: [python, train.py]\n';
  const res = await s.call('POST', JOBS, undefined, { raw: yaml, contentType: 'application/yaml' });
  assert.equal(res.statusCode, 201, res.body);
  assert.equal(res.json().metadata.name, 'from-yaml');
});

test('create: 422 names every bad field at once', async () => {
  const res = await s.call('POST', JOBS, job('bad', { workers: 0, gpusPerWorker: -1, maxRestarts: 'many' }));
  assert.equal(res.statusCode, 422, res.body);
  const status = res.json();
  assert.equal(status.kind, 'Status');
  assert.equal(status.reason, 'Invalid');
  const fields = status.details.causes.map((c: { field: string }) => c.field).sort();
  assert.deepEqual(fields, ['spec.gpusPerWorker', 'spec.maxRestarts', 'spec.workers']);
});

test('create: namespace checks', async (t) => {
  await t.test('body namespace differs from the path → 400', async () => {
    const res = await s.call('POST', JOBS, { ...job('ns'), metadata: { name: 'ns', namespace: 'other' } });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().reason, 'BadRequest');
  });
  await t.test('namespace that does not exist → 404 naming it', async () => {
    const res = await s.call('POST', `${QM}/namespaces/nowhere/trainingjobs`, job('ns'));
    assert.equal(res.statusCode, 404, res.body);
    assert.match(res.json().message, /namespace "nowhere" not found/);
  });
  await t.test('kind in the body differs from the path → 400', async () => {
    const res = await s.call('POST', JOBS, queue('wrong'));
    assert.equal(res.statusCode, 400, res.body);
  });
  await t.test('an existing name → 409 AlreadyExists', async () => {
    assert.equal((await s.call('POST', JOBS, job('twice'))).statusCode, 201);
    const res = await s.call('POST', JOBS, job('twice'));
    assert.equal(res.statusCode, 409);
    assert.equal(res.json().reason, 'AlreadyExists');
  });
});

test('update: two writers from the same version, exactly one wins', async () => {
  const base = (await s.call('POST', JOBS, job('race'))).json();
  const [a, b] = await Promise.all([
    s.call('PUT', `${JOBS}/race`, { ...base, spec: { ...base.spec, workers: 2 } }),
    s.call('PUT', `${JOBS}/race`, { ...base, spec: { ...base.spec, workers: 3 } }),
  ]);
  assert.deepEqual([a.statusCode, b.statusCode].sort(), [200, 409]);
  const loser = a.statusCode === 409 ? a : b;
  assert.equal(loser.json().reason, 'Conflict');
});

test('patch: JSON merge patch, strategic-merge accepted, plain JSON refused', async () => {
  await s.call('POST', JOBS, job('patchme', { env: [{ name: 'A', value: '1' }] }, { team: 'a', tier: 'x' }));
  const merged = await s.call('PATCH', `${JOBS}/patchme`, { metadata: { labels: { tier: null, new: 'y' } }, spec: { workers: 3 } });
  assert.equal(merged.statusCode, 200, merged.body);
  assert.deepEqual(merged.json().metadata.labels, { team: 'a', new: 'y' });
  assert.equal(merged.json().spec.workers, 3);
  assert.deepEqual(merged.json().spec.env, [{ name: 'A', value: '1' }]);

  const strategic = await s.call('PATCH', `${JOBS}/patchme`, { spec: { workers: 4 } }, { contentType: 'application/strategic-merge-patch+json' });
  assert.equal(strategic.statusCode, 200, strategic.body);
  assert.equal(strategic.json().spec.workers, 4);

  const plain = await s.call('PATCH', `${JOBS}/patchme`, { spec: { workers: 5 } }, { contentType: 'application/json' });
  assert.equal(plain.statusCode, 415);
  assert.equal(plain.json().reason, 'UnsupportedMediaType');

  const invalid = await s.call('PATCH', `${JOBS}/patchme`, { spec: { workers: -1 } });
  assert.equal(invalid.statusCode, 422);

  const stale = await s.call('PATCH', `${JOBS}/patchme`, { metadata: { resourceVersion: '1' }, spec: { workers: 6 } });
  assert.equal(stale.statusCode, 409, 'a resourceVersion in the patch is a precondition');

  assert.equal((await s.call('PATCH', `${JOBS}/missing`, { spec: {} })).statusCode, 404);
});

test('status subresource: only status is written there, and never through the main resource', async () => {
  const created = (await s.call('POST', JOBS, { ...job('st'), status: { phase: 'Succeeded' } })).json();
  assert.equal(created.status?.phase, undefined, 'status is dropped on create');

  const put = await s.call('PUT', `${JOBS}/st/status`, { ...created, spec: { ...created.spec, workers: 9 }, status: { phase: 'Running' } });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(put.json().status.phase, 'Running');
  assert.equal(put.json().spec.workers, 1, 'spec is not written through /status');

  const patched = await s.call('PATCH', `${JOBS}/st/status`, { status: { restarts: 2 } });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.deepEqual([patched.json().status.phase, patched.json().status.restarts], ['Running', 2]);

  const main = await s.call('PATCH', `${JOBS}/st`, { spec: { workers: 2 }, status: { phase: 'Failed' } });
  assert.equal(main.json().status.phase, 'Running', 'the main resource keeps the stored status');
  assert.equal((await s.call('GET', `${JOBS}/st/status`)).json().status.phase, 'Running');
});

test('list: pagination with limit and continue', async () => {
  for (const name of ['page-a', 'page-b', 'page-c']) await s.call('POST', `${QM}/namespaces/default/trainingjobs`, job(name));
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const url = `${QM}/namespaces/default/trainingjobs?limit=2${token ? `&continue=${encodeURIComponent(token)}` : ''}`;
    const page = (await s.call('GET', url)).json();
    assert.ok(page.items.length <= 2);
    seen.push(...page.items.map((i: ApiObject) => i.metadata.name));
    token = page.metadata.continue;
    pages++;
  } while (token);
  assert.deepEqual(seen.sort(), ['page-a', 'page-b', 'page-c']);
  assert.equal(pages, 2);
  assert.equal((await s.call('GET', `${JOBS}?limit=two`)).statusCode, 400);
});

test('list: labelSelector', async () => {
  await s.call('POST', JOBS, job('sel-1', {}, { app: 'llm', tier: 'gold' }));
  await s.call('POST', JOBS, job('sel-2', {}, { app: 'llm' }));
  await s.call('POST', JOBS, job('sel-3', {}, { app: 'vision' }));
  const names = async (selector: string): Promise<string[]> =>
    (await s.call('GET', `${JOBS}?labelSelector=${encodeURIComponent(selector)}`)).json().items.map((i: ApiObject) => i.metadata.name).sort();
  assert.deepEqual(await names('app=llm'), ['sel-1', 'sel-2']);
  assert.deepEqual(await names('app=llm,tier=gold'), ['sel-1']);
  assert.deepEqual(await names('app in (vision)'), ['sel-3']);
});

test('delete with finalizers returns the object with deletionTimestamp', async () => {
  await s.call('POST', `${QM}/queues`, { ...queue('q-fin'), metadata: { name: 'q-fin', finalizers: ['quartermaster.dev/test'] } });
  const res = await s.call('DELETE', `${QM}/queues/q-fin`);
  assert.equal(res.statusCode, 200);
  assert.ok(res.json().metadata.deletionTimestamp);
  assert.equal((await s.call('GET', `${QM}/queues/q-fin`)).statusCode, 200);
  const released = await s.call('PATCH', `${QM}/queues/q-fin`, { metadata: { finalizers: null } });
  assert.equal(released.statusCode, 200, released.body);
  assert.equal((await s.call('GET', `${QM}/queues/q-fin`)).statusCode, 404);
});
