import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isQmError } from '@qm/api';
import { formatLoadResult, percentileOf, resolveLoadOptions, runLoad } from './load.js';

async function server(handler: (path: string) => number): Promise<{ url: string; server: Server; seen: () => number }> {
  let seen = 0;
  const s = createServer((req, res) => {
    seen++;
    req.resume();
    req.on('end', () => {
      res.statusCode = handler(req.url ?? '/');
      res.end('x');
    });
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s, seen: () => seen };
}

test('qm load: sends rps × duration requests to a real server, counts statuses as errors by kind, summarizes latency', async () => {
  const srv = await server((path) => (path === '/fail' ? 503 : 200));
  try {
    const ok = await runLoad({ url: `${srv.url}/ok`, rps: 200, durationMs: 500 });
    assert.equal(ok.scheduled, 100);
    assert.equal(ok.sent, 100);
    assert.equal(ok.ok, 100);
    assert.equal(ok.errorCount, 0);
    assert.equal(srv.seen(), 100, 'the server saw every request');
    assert.ok(ok.latencyMs && ok.latencyMs.p50 <= ok.latencyMs.p90 && ok.latencyMs.p90 <= ok.latencyMs.p99 && ok.latencyMs.p99 <= ok.latencyMs.max);
    assert.ok(ok.achievedRps > 0);

    const bad = await runLoad({ url: `${srv.url}/fail`, rps: 100, durationMs: 200 });
    assert.equal(bad.sent, 20);
    assert.equal(bad.ok, 0);
    assert.deepEqual(bad.errors, { http_503: 20 });
    assert.match(formatLoadResult(bad), /errors 20 \(http_503: 20\)/);
  } finally {
    srv.server.close();
  }
});

test('qm load: a refused connection is a connect error, not an answer', async () => {
  const srv = await server(() => 200);
  const url = srv.url;
  await new Promise((resolve) => srv.server.close(resolve));
  const r = await runLoad({ url, rps: 50, durationMs: 100 });
  assert.equal(r.sent, 5);
  assert.deepEqual(r.errors, { connect: 5 });
  assert.equal(r.latencyMs, null);
});

test('qm load: open loop — beyond --concurrency a due request is dropped, not delayed', async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => { release = resolve; });
  const s = createServer((req, res) => { void gate.then(() => res.end('x')); req.resume(); });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
  try {
    const run = runLoad({ url, rps: 100, durationMs: 100, concurrency: 2 });
    // Let the schedule pass (requests held by the server), then answer them.
    setTimeout(() => release(), 300);
    const r = await run;
    assert.equal(r.scheduled, 10);
    assert.equal(r.sent, 2);
    assert.equal(r.errors.dropped, 8);
    assert.equal(r.ok, 2);
  } finally {
    release();
    s.close();
  }
});

test('qm load: bad options name the flag', () => {
  const cases = [
    { name: 'rps 0', o: { url: 'http://x/', rps: 0, durationMs: 1000 }, field: '--rps' },
    { name: 'no duration', o: { url: 'http://x/', rps: 1, durationMs: 0 }, field: '--duration' },
    { name: 'bad url', o: { url: 'nope', rps: 1, durationMs: 1000 }, field: 'URL' },
    { name: 'ftp', o: { url: 'ftp://x/', rps: 1, durationMs: 1000 }, field: 'URL' },
    { name: 'concurrency', o: { url: 'http://x/', rps: 1, durationMs: 1000, concurrency: 0.5 }, field: '--concurrency' },
  ];
  for (const c of cases) {
    assert.throws(() => resolveLoadOptions(c.o), (err: unknown) => isQmError(err, 'Invalid') && (err as Error).message.startsWith(c.field), c.name);
  }
});

test('percentileOf: nearest rank', () => {
  const v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  assert.deepEqual([percentileOf(v, 50), percentileOf(v, 90), percentileOf(v, 99), percentileOf([], 50)], [5, 9, 10, 0]);
});
