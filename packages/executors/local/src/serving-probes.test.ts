import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ProbeTracker, probeOnce } from './serving-probes.js';
import { freePort } from './local-executor.js';

let server: Server;
let port: number;
before(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') return void res.writeHead(200).end('ok');
    if (req.url === '/redirect') return void res.writeHead(302, { location: '/ok' }).end();
    if (req.url === '/header') return void res.writeHead(req.headers['x-probe'] === 'yes' ? 200 : 401).end();
    if (req.url === '/hang') return; // never answers
    res.writeHead(503).end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => {
  server.closeAllConnections();
  server.close();
});

test('probeOnce: httpGet, tcpSocket and exec against real endpoints', async () => {
  const closed = await freePort();
  const cases: Array<{ name: string; probe: Record<string, any>; target?: Record<string, any>; ok: boolean; message?: RegExp }> = [
    { name: 'http 200', probe: { httpGet: { path: '/ok' } }, ok: true },
    { name: 'http 302 counts as success', probe: { httpGet: { path: '/redirect' } }, ok: true },
    { name: 'http 503', probe: { httpGet: { path: '/healthz' } }, ok: false, message: /^HTTP 503 from GET \/healthz$/ },
    { name: 'http headers are sent', probe: { httpGet: { path: '/header', httpHeaders: [{ name: 'X-Probe', value: 'yes' }] } }, ok: true },
    { name: 'http timeout', probe: { httpGet: { path: '/hang' }, timeoutSeconds: 1 }, ok: false, message: /timed out after 1s/ },
    { name: 'http connection refused', probe: { httpGet: { path: '/ok' } }, target: { port: closed }, ok: false, message: /connection refused/ },
    { name: 'httpGet.port equal to spec.port means the replica PORT', probe: { httpGet: { path: '/ok', port: 8000 } }, target: { containerPort: 8000 }, ok: true },
    { name: 'named port means the replica PORT', probe: { httpGet: { path: '/ok', port: 'http' } }, ok: true },
    { name: 'tcp open', probe: { tcpSocket: {} }, ok: true },
    { name: 'tcp refused', probe: { tcpSocket: {} }, target: { port: closed }, ok: false, message: /tcp \d+: connection refused/ },
    { name: 'exec success', probe: { exec: { command: ['true'] } }, ok: true },
    { name: 'exec failure', probe: { exec: { command: ['sh', '-c', 'exit 4'] } }, ok: false, message: /exited with 4/ },
    { name: 'exec sees PORT', probe: { exec: { command: ['sh', '-c', 'test "$PORT" = "$WANT"'] } }, target: { env: { WANT: 'X' } }, ok: false },
    { name: 'exec missing binary', probe: { exec: { command: ['/no/such/binary'] } }, ok: false, message: /ENOENT/ },
  ];
  for (const c of cases) {
    const result = await probeOnce(c.probe as never, { port, ...c.target } as never);
    assert.equal(result.ok, c.ok, c.name);
    if (c.message) assert.match(result.message, c.message, c.name);
  }
  const seesPort = await probeOnce({ exec: { command: ['sh', '-c', `test "$PORT" = "${port}"`] } }, { port });
  assert.equal(seesPort.ok, true, 'exec gets PORT');
});

test('ProbeTracker: consecutive thresholds', () => {
  const cases: Array<{ name: string; success: number; failure: number; results: boolean[]; flips: string[] }> = [
    { name: 'first success passes with threshold 1', success: 1, failure: 3, results: [true], flips: ['succeeded'] },
    { name: 'failures below threshold do not flip', success: 1, failure: 3, results: [true, false, false], flips: ['succeeded', 'unchanged', 'unchanged'] },
    { name: 'third failure flips', success: 1, failure: 3, results: [true, false, false, false], flips: ['succeeded', 'unchanged', 'unchanged', 'failed'] },
    { name: 'a success in between resets the count', success: 1, failure: 2, results: [false, true, false, true], flips: ['unchanged', 'succeeded', 'unchanged', 'unchanged'] },
    { name: 'successThreshold 2 after failing', success: 2, failure: 1, results: [false, true, true], flips: ['failed', 'unchanged', 'succeeded'] },
  ];
  for (const c of cases) {
    const t = new ProbeTracker({ successThreshold: c.success, failureThreshold: c.failure });
    assert.deepEqual(c.results.map((r) => t.record(r)), c.flips, c.name);
  }
});
