import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '@qm/store';
import { QmError } from '@qm/api';
import type { AdmissionRequest } from './admission.js';
import { mintToken } from './auth.js';
import { createServer } from './server.js';
import { QM, startTestServer } from './test-support.js';
import type { TestServer } from './test-support.js';

const admissions: AdmissionRequest[] = [];
let s: TestServer;
before(async () => {
  s = await startTestServer({
    memory: true,
    processMetrics: true,
    admission: [async (request) => {
      admissions.push(request);
      if (request.object.metadata.labels?.forbidden === 'yes') {
        throw new QmError('Forbidden', 'admission policy test: label forbidden=yes is not allowed');
      }
    }],
  });
});
after(() => s.close());

const queue = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name, labels }, spec: { namespaces: ['team-a'] },
});

function assertStatus(res: { statusCode: number; json(): any; body: string }, code: number, reason: string): void {
  assert.equal(res.statusCode, code, res.body);
  const body = res.json();
  assert.equal(body.kind, 'Status');
  assert.equal(body.apiVersion, 'v1');
  assert.equal(body.status, 'Failure');
  assert.equal(body.code, code);
  assert.equal(body.reason, reason);
  assert.equal(typeof body.message, 'string');
  assert.doesNotMatch(res.body, /\n\s+at /, 'no stack trace');
}

test('authentication', async (t) => {
  await t.test('no token → 401', async () => assertStatus(await s.call('GET', `${QM}/queues`, undefined, { token: null }), 401, 'Unauthorized'));
  await t.test('wrong token → 401', async () => assertStatus(await s.call('GET', `${QM}/queues`, undefined, { token: 'qm_wrong' }), 401, 'Unauthorized'));
  await t.test('/metrics needs a token', async () => assertStatus(await s.call('GET', '/metrics', undefined, { token: null }), 401, 'Unauthorized'));
  await t.test('/openapi/v3 needs a token', async () => assertStatus(await s.call('GET', '/openapi/v3', undefined, { token: null }), 401, 'Unauthorized'));
  for (const path of ['/healthz', '/livez', '/readyz', '/version']) {
    await t.test(`${path} is public`, async () => assert.equal((await s.call('GET', path, undefined, { token: null })).statusCode, 200));
  }
});

test('authorization: a non-admin gets 403 naming user, verb, resource and namespace', async () => {
  const res = await s.call('POST', `${QM}/namespaces/team-a/trainingjobs`, { metadata: { name: 'x' } }, { token: s.aliceToken });
  assertStatus(res, 403, 'Forbidden');
  const message = res.json().message as string;
  for (const part of ['alice', 'create', 'trainingjobs.ml.quartermaster.dev', 'team-a']) assert.ok(message.includes(part), message);
});

test('authorization is consulted once per request, before the handler', async () => {
  const calls: string[] = [];
  const store = new MemoryStore({ now: () => 0 });
  const { secret, record } = mintToken('bob', ['team-b']);
  await store.addToken(record);
  const app = createServer({
    store, clock: { now: () => 0 }, processMetrics: false,
    authorizer: { authorize: (user, verb, resource, namespace) => {
      calls.push(`${user.name} ${verb} ${resource.plural}/${resource.subresource ?? ''} ${resource.name ?? ''} ${namespace ?? '-'}`);
      return { allowed: verb !== 'delete', reason: 'test policy' };
    } },
  });
  const headers = { authorization: `Bearer ${secret}` };
  await app.inject({ method: 'GET', url: `${QM}/namespaces/b/trainingjobs/j1/status`, headers });
  await app.inject({ method: 'GET', url: `${QM}/queues?limit=5`, headers });
  const denied = await app.inject({ method: 'DELETE', url: `${QM}/queues/q`, headers });
  assert.equal(denied.statusCode, 403);
  assert.match(denied.json().message, /test policy/);
  assert.deepEqual(calls, ['bob get trainingjobs/status j1 b', 'bob list queues/  -', 'bob delete queues/ q -']);
  await app.close();
});

test('unknown paths and kinds → 404 Status', async () => {
  assertStatus(await s.call('GET', '/nope'), 404, 'NotFound');
  assertStatus(await s.call('GET', `${QM}/widgets`), 404, 'NotFound');
  assertStatus(await s.call('GET', `${QM}/namespaces/team-a/widgets/x`), 404, 'NotFound');
  assertStatus(await s.call('GET', `${QM}/queues/does-not-exist`), 404, 'NotFound');
});

test('unsupported methods → 405 Status', async () => {
  assertStatus(await s.call('POST', `${QM}/queues/q`, queue('q')), 405, 'MethodNotAllowed');
  assertStatus(await s.call('PUT', `${QM}/queues`, queue('q')), 405, 'MethodNotAllowed');
  assertStatus(await s.call('POST', `${QM}/trainingjobs`, { metadata: { name: 'x' } }), 405, 'MethodNotAllowed');
});

test('malformed bodies → 400/415 Status', async () => {
  assertStatus(await s.call('POST', `${QM}/queues`, undefined, { raw: '{"metadata": ' }), 400, 'BadRequest');
  assertStatus(await s.call('POST', `${QM}/queues`, undefined, { raw: '[1, 2]' }), 400, 'BadRequest');
  assertStatus(await s.call('POST', `${QM}/queues`, undefined, { raw: 'a: [', contentType: 'application/yaml' }), 400, 'BadRequest');
  assertStatus(await s.call('POST', `${QM}/queues`, undefined, { raw: '{"__proto__": {"x": 1}}' }), 400, 'BadRequest');
  assertStatus(await s.call('POST', `${QM}/queues`, undefined, { raw: 'x', contentType: 'text/plain' }), 415, 'UnsupportedMediaType');
  assertStatus(await s.call('PATCH', `${QM}/queues/q`, undefined, { raw: '[]', contentType: 'application/json-patch+json' }), 415, 'UnsupportedMediaType');
  assertStatus(await s.call('GET', `${QM}/queues?dryRun=All`), 400, 'BadRequest');
});

test('an unexpected exception → 500 Status without internals', async () => {
  const store = new MemoryStore({ now: () => 0 });
  const { secret, record } = mintToken('admin', ['system:masters']);
  await store.addToken(record);
  store.get = async () => { throw new Error('boom at /var/secret/path'); };
  const app = createServer({ store, clock: { now: () => 0 }, processMetrics: false });
  const res = await app.inject({ method: 'GET', url: `${QM}/queues/x`, headers: { authorization: `Bearer ${secret}` } });
  assertStatus(res, 500, 'InternalError');
  assert.doesNotMatch(res.body, /boom|secret/);
  await app.close();
});

test('admission plugins see create/update/patch and can refuse', async () => {
  admissions.length = 0;
  assert.equal((await s.call('POST', `${QM}/queues`, queue('adm'))).statusCode, 201);
  assert.equal((await s.call('PATCH', `${QM}/queues/adm`, { spec: { weight: 2 } })).statusCode, 200);
  assert.deepEqual(admissions.map((a) => [a.verb, a.kindInfo.kind, a.user.name, a.oldObject?.metadata.name]),
    [['create', 'Queue', 'admin', undefined], ['patch', 'Queue', 'admin', 'adm']]);
  const refused = await s.call('POST', `${QM}/queues`, queue('adm-2', { forbidden: 'yes' }));
  assertStatus(refused, 403, 'Forbidden');
  assert.match(refused.json().message, /admission policy test/);
  assert.equal((await s.call('GET', `${QM}/queues/adm-2`)).statusCode, 404, 'nothing was written');
});

test('logs: 404 saying no logs are recorded yet when there is no log source', async () => {
  const job = { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'lj' },
    spec: { workers: 1, gpusPerWorker: 0, command: ['true'] } };
  assert.equal((await s.call('POST', `${QM}/namespaces/team-a/trainingjobs`, job)).statusCode, 201);
  const res = await s.call('GET', `${QM}/namespaces/team-a/trainingjobs/lj/log?rank=0&follow=true`);
  assertStatus(res, 404, 'NotFound');
  assert.match(res.json().message, /no logs are recorded yet/);
  assertStatus(await s.call('GET', `${QM}/namespaces/team-a/trainingjobs/lj/log?rank=x`), 400, 'BadRequest');
});

test('logs: served from the log source as text/plain', async () => {
  const requests: unknown[] = [];
  const withLogs = await startTestServer({
    memory: true,
    logSource: { open: async (request) => { requests.push(request); return request.rank === 0 ? 'step 1 loss 2.3\n' : undefined; } },
  });
  try {
    const job = { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'lj' },
      spec: { workers: 2, gpusPerWorker: 0, command: ['true'] } };
    assert.equal((await withLogs.call('POST', `${QM}/namespaces/team-a/trainingjobs`, job)).statusCode, 201);
    const res = await withLogs.call('GET', `${QM}/namespaces/team-a/trainingjobs/lj/log?rank=0&attempt=1`);
    assert.equal(res.statusCode, 200, res.body);
    assert.match(res.headers['content-type'] as string, /^text\/plain/);
    assert.equal(res.body, 'step 1 loss 2.3\n');
    assert.deepEqual(requests[0], { namespace: 'team-a', name: 'lj', kind: 'TrainingJob', follow: false, rank: 0, attempt: 1 });
    assertStatus(await withLogs.call('GET', `${QM}/namespaces/team-a/trainingjobs/lj/log?rank=1`), 404, 'NotFound');
    assertStatus(await withLogs.call('GET', `${QM}/namespaces/team-a/trainingjobs/nojob/log`), 404, 'NotFound');
  } finally {
    await withLogs.close();
  }
});

test('version, readiness, openapi and discovery', async () => {
  assert.deepEqual((await s.call('GET', '/version', undefined, { token: null })).json(),
    { version: '0.1.0', apiVersion: 'ml.quartermaster.dev/v1alpha1' });
  const openapi = await s.call('GET', '/openapi/v3');
  assert.equal(openapi.statusCode, 200);
  assert.ok(openapi.json().openapi, 'an OpenAPI document');
  assert.deepEqual((await s.call('GET', '/openapi.json')).json(), openapi.json());
  const resources = (await s.call('GET', `${QM}`)).json();
  assert.ok(resources.resources.some((r: { name: string }) => r.name === 'trainingjobs'));
  assert.ok((await s.call('GET', '/apis')).json().groups.some((g: { name: string }) => g.name === 'ml.quartermaster.dev'));

  let ready = false;
  const app = createServer({ store: new MemoryStore({ now: () => 0 }), clock: { now: () => 0 }, processMetrics: false, isReady: () => ready });
  assertStatus(await app.inject({ url: '/readyz' }), 503, 'ServiceUnavailable');
  ready = true;
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  await app.close();
});

test('/metrics counts requests by verb, kind and code', async () => {
  await s.call('GET', `${QM}/queues`);
  await s.call('GET', `${QM}/queues/nope`);
  await s.call('POST', `${QM}/queues`, queue('metric-q'));
  const res = await s.call('GET', '/metrics');
  assert.equal(res.statusCode, 200);
  assert.match(res.headers['content-type'] as string, /text\/plain/);
  const text = res.body;
  assert.match(text, /qm_apiserver_requests_total\{verb="list",kind="Queue",code="200"\} \d+/);
  assert.match(text, /qm_apiserver_requests_total\{verb="get",kind="Queue",code="404"\} \d+/);
  assert.match(text, /qm_apiserver_requests_total\{verb="create",kind="Queue",code="201"\} \d+/);
  assert.match(text, /qm_apiserver_request_duration_seconds_bucket\{le="[^"]+",verb="create",kind="Queue"\}/);
  assert.match(text, /process_cpu_user_seconds_total/);
});
