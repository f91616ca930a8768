import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QmError, toStatusObject } from '@qm/api';
import { startFakeApi } from '../testing/fake-api-server.js';
import { runQm, unreachableUrl } from '../testing/harness.js';
import { logRequest } from './logs.js';
import { READY_LINE, serverArgs } from './up.js';

test('logs streams the log path with rank, attempt and follow; a 404 prints the server message', async () => {
  const api = await startFakeApi({ token: 't' });
  try {
    api.override('GET', /\/trainingjobs\/bert\/log$/, (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('step 1 loss 2.0\n');
      res.end('step 2 loss 1.5\n');
    });
    api.override('GET', /\/trainingjobs\/new\/log$/, (_req, res) => {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(toStatusObject(new QmError('NotFound', 'no logs are recorded yet for trainingjob team-a/new'))));
    });
    const run = await runQm(api.url, 't', ['logs', 'bert', '-n', 'team-a', '--rank', '1', '--attempt', '2', '-f']);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'step 1 loss 2.0\nstep 2 loss 1.5\n');
    const req = api.requests.find((r) => r.path.endsWith('/log'))!;
    assert.equal(req.path, '/apis/ml.quartermaster.dev/v1alpha1/namespaces/team-a/trainingjobs/bert/log');
    assert.deepEqual(req.query, { rank: '1', attempt: '2', follow: 'true' });

    const missing = await runQm(api.url, 't', ['logs', 'new', '-n', 'team-a']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'error: no logs are recorded yet for trainingjob team-a/new\n');
  } finally {
    await api.close();
  }
});

test('logRequest validates its flags and kinds', () => {
  assert.deepEqual(logRequest('tj/bert', {}).path, '/apis/ml.quartermaster.dev/v1alpha1/namespaces/default/trainingjobs/bert/log');
  assert.throws(() => logRequest('bert', { rank: '-1' }), /--rank must be a whole number/);
  assert.throws(() => logRequest('queue/gpu', {}), /another kind/);
});

test('version prints the client version, and the server version when reachable (exit 0 either way)', async () => {
  const api = await startFakeApi({ token: 't' });
  try {
    const up = await runQm(api.url, 't', ['version']);
    assert.equal(up.code, 0);
    assert.equal(up.stdout, 'Client Version: 0.1.0\nServer Version: 0.1.0 (API ml.quartermaster.dev/v1alpha1)\n');
  } finally {
    await api.close();
  }
  const url = await unreachableUrl();
  const down = await runQm(url, 't', ['version']);
  assert.equal(down.code, 0);
  assert.equal(down.stdout, 'Client Version: 0.1.0\nServer Version: unavailable\n');
  assert.match(down.stderr, /^note: cannot reach the Quartermaster server at http:\/\/127\.0\.0\.1:\d+ \(is `qm up` running\?\)\n$/);
});

test('up: flags map to the server\'s, bad numbers are refused, the ready line parses', () => {
  assert.deepEqual(serverArgs({ dataDir: '/d', port: '0', host: '0.0.0.0', virtualGpus: '4', logLevel: 'debug' }),
    ['--data-dir', '/d', '--port', '0', '--host', '0.0.0.0', '--virtual-gpus', '4', '--log-level', 'debug']);
  assert.deepEqual(serverArgs({}), []);
  assert.deepEqual(serverArgs({ hpaSyncPeriod: '5s', gatewayRateWindow: '10s' }), ['--hpa-sync-period', '5s', '--gateway-rate-window', '10s'], 'durations pass through; the server checks them');
  assert.deepEqual(serverArgs({ demo: true }, { hasGpus: false }), ['--virtual-gpus', '4'], 'the demo needs GPUs to show jobs running');
  assert.deepEqual(serverArgs({ demo: true }, { hasGpus: true }), [], 'real GPUs: none pretended');
  assert.deepEqual(serverArgs({ demo: true, virtualGpus: '0' }, { hasGpus: false }), ['--virtual-gpus', '0'], 'an explicit count wins');
  assert.throws(() => serverArgs({ port: 'abc' }), /--port must be a whole number/);
  assert.throws(() => serverArgs({ virtualGpus: '-2' }), /--virtual-gpus must be a whole number/);
  const m = READY_LINE.exec('Quartermaster listening on http://127.0.0.1:7070 (data: /home/u/.qm/data, config: /home/u/.qm/config.json)');
  assert.deepEqual(m?.slice(1), ['http://127.0.0.1:7070', '/home/u/.qm/data', '/home/u/.qm/config.json']);
});

test('logRequest: md/NAME reads a ModelDeployment replica log, flags checked per kind', () => {
  const cases: Array<{ name: string; target: string; opts: Parameters<typeof logRequest>[1]; path?: string; query?: Record<string, string | undefined>; error?: RegExp }> = [
    { name: 'default replica', target: 'md/sentiment', opts: { namespace: 'team-nlp' },
      path: '/apis/ml.quartermaster.dev/v1alpha1/namespaces/team-nlp/modeldeployments/sentiment/log', query: { replica: undefined, follow: undefined } },
    { name: 'replica index and follow', target: 'modeldeployment/sentiment', opts: { replica: '01', follow: true },
      path: '/apis/ml.quartermaster.dev/v1alpha1/namespaces/default/modeldeployments/sentiment/log', query: { replica: '1', follow: 'true' } },
    { name: 'replica name', target: 'md/sentiment', opts: { replica: 'sentiment-abc12-0' }, query: { replica: 'sentiment-abc12-0', follow: undefined } },
    { name: 'bad replica', target: 'md/sentiment', opts: { replica: 'Bad Name' }, error: /--replica must be a replica index/ },
    { name: '--rank on a deployment', target: 'md/sentiment', opts: { rank: '1' }, error: /--rank and --attempt are for TrainingJobs/ },
    { name: '--replica on a job', target: 'bert', opts: { replica: '0' }, error: /--replica is for ModelDeployments/ },
  ];
  for (const c of cases) {
    if (c.error) {
      assert.throws(() => logRequest(c.target, c.opts), c.error, c.name);
      continue;
    }
    const got = logRequest(c.target, c.opts);
    if (c.path) assert.equal(got.path, c.path, c.name);
    assert.deepEqual(got.query, c.query, c.name);
  }
});
