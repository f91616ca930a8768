import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findKind, isQmError } from '@qm/api';
import { QmClient } from './client.js';
import { exitCodeFor } from './errors.js';
import { lines, ndjson } from './ndjson.js';
import { startFakeApi } from './testing/fake-api-server.js';
import { runQm, unreachableUrl } from './testing/harness.js';

async function collectAll<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of gen) out.push(v);
  return out;
}

async function* chunks(...parts: (string | Uint8Array)[]) {
  for (const p of parts) yield p;
}

test('lines and ndjson reassemble lines split across chunks, including multi-byte characters', async () => {
  const bytes = new TextEncoder().encode('{"a":"≥"}\n');
  assert.deepEqual(await collectAll(lines(chunks('a\nb', 'c\r\n', '\n', 'tail'))), ['a', 'bc', '', 'tail']);
  assert.deepEqual(await collectAll(ndjson(chunks(bytes.slice(0, 7), bytes.slice(7), '\n{"b":1}\n'))), [{ a: '≥' }, { b: 1 }]);
  await assert.rejects(collectAll(ndjson(chunks('{"a":\n'))), /not JSON/);
});

test('the client maps HTTP statuses to QmErrors and exit codes', async () => {
  const api = await startFakeApi({ token: 't' });
  const statuses: [number, string, number][] = [[400, 'BadRequest', 2], [422, 'Invalid', 2], [403, 'Forbidden', 1], [409, 'AlreadyExists', 1], [500, 'InternalError', 1], [503, 'ServiceUnavailable', 1]];
  try {
    for (const [status, reason] of statuses) {
      api.override('GET', new RegExp(`/queues/s${status}$`), (_req, res) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ kind: 'Status', reason, code: status, message: `m${status}` }));
      });
    }
    api.override('GET', /\/queues\/html$/, (_req, res) => {
      res.writeHead(502, { 'Content-Type': 'text/html' });
      res.end('<html>bad gateway</html>');
    });
    const client = new QmClient({ server: api.url, token: 't' });
    const queue = findKind('Queue')!;
    for (const [status, reason, code] of statuses) {
      await assert.rejects(client.get(queue, undefined, `s${status}`), (err: unknown) => {
        assert.ok(isQmError(err), String(status));
        assert.equal(err.message, `m${status}`);
        assert.equal(err.httpStatus, status === 503 ? 503 : status);
        assert.equal(exitCodeFor(err), code, `${status} ${reason}`);
        return true;
      });
    }
    await assert.rejects(client.get(queue, undefined, 'html'), /HTTP 502 Bad Gateway: <html>bad gateway<\/html>/);
  } finally {
    await api.close();
  }
});

test('-v prints each request and response; a bad --server URL is a usage error; refused connections say so', async () => {
  const api = await startFakeApi({ token: 't' });
  try {
    const run = await runQm(api.url, 't', ['-v', 'get', 'queues']);
    assert.match(run.stderr, new RegExp(`^> GET ${api.url}/apis/ml\\.quartermaster\\.dev/v1alpha1/queues\\?limit=500\\n< 200 OK\\n`));
    const flags = await runQm(api.url, 'wrong', ['get', 'queues', '--token', 't', '--server', api.url]);
    assert.equal(flags.code, 0, 'flags override env');
  } finally {
    await api.close();
  }
  const bad = await runQm('not a url', 't', ['get', 'queues']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /the server address "not a url" is not a valid URL/);
  const url = await unreachableUrl();
  const refused = await runQm(url, 't', ['get', 'nodes']);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `error: cannot reach the Quartermaster server at ${url} (is \`qm up\` running?)\n`);
});
