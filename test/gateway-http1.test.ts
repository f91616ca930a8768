/**
 * The gateway's HTTP/1.1 engine on the wire: raw client sockets and raw replicas, for what
 * fetch cannot show — pipelining, 100 Continue, HTTP/1.0 and until-close bodies, chunked bodies
 * byte for byte, refusals of bad requests, and reuse of keep-alive connections to replicas.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { createGateway, type Gateway } from '@qm/gateway';

/** A client socket that collects everything the gateway sends. */
class RawClient {
  received = '';
  closed = false;
  private readonly socket: Socket;
  private waiters: Array<() => void> = [];

  constructor(url: string) {
    const { hostname, port } = new URL(url);
    this.socket = connect({ host: hostname, port: Number(port) });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => { this.received += d; this.wake(); });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => { this.closed = true; this.wake(); });
  }

  send(text: string): void {
    this.socket.write(text, 'latin1');
  }

  /** Waits until `done(received)` holds (or the socket closed); fails after 5 s. */
  async until(what: string, done: (received: string) => boolean): Promise<string> {
    const deadline = Date.now() + 15_000; // generous: a loaded 2-core box
    while (!done(this.received)) {
      if (this.closed) assert.fail(`connection closed while waiting for ${what}; got ${JSON.stringify(this.received)}`);
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
    return this.received;
  }

  async untilClosed(): Promise<string> {
    const deadline = Date.now() + 15_000; // generous: a loaded 2-core box
    while (!this.closed) {
      if (Date.now() > deadline) assert.fail(`connection still open; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50); });
    }
    return this.received;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Splits a stream of HTTP/1.1 responses with Content-Length bodies. */
function responses(text: string): Array<{ status: number; headers: Map<string, string>; body: string }> {
  const out = [];
  let rest = text;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const [statusLine, ...lines] = rest.slice(0, end).split('\r\n');
    const headers = new Map(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()] as [string, string]));
    const length = Number(headers.get('content-length') ?? 0);
    out.push({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.slice(end + 4, end + 4 + length) });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

const countResponses = (n: number) => (text: string) => responses(text).length >= n && responses(text).at(-1)!.body.length === Number(responses(text).at(-1)!.headers.get('content-length') ?? 0);

async function listen(server: HttpServer | TcpServer): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

async function stop(server: HttpServer | TcpServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('gateway HTTP/1.1 engine', { timeout: 30_000 }, () => {
  let replica: HttpServer;
  let replicaConnections = 0;
  let gateway: Gateway;
  let url: string;
  /** A raw replica: answers each request with whatever `rawAnswer` says and records the bytes it got. */
  let raw: TcpServer;
  let rawReceived = '';
  let rawAnswer: (request: string) => { reply: string; close: boolean } | undefined = () => undefined;

  before(async () => {
    replica = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (req.url === '/close') res.setHeader('connection', 'close');
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('part one, ');
          res.end('part two');
          return;
        }
        const text = `${req.method} ${req.url} ${body}`;
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) }).end(text);
      });
    });
    replica.on('connection', () => { replicaConnections++; });
    const replicaUrl = await listen(replica);
    raw = createTcpServer((socket) => {
      socket.setEncoding('latin1');
      let got = '';
      socket.on('data', (d: string) => {
        got += d;
        rawReceived += d;
        const answer = rawAnswer(got);
        if (!answer) return;
        got = '';
        if (answer.close) socket.end(answer.reply, 'latin1');
        else socket.write(answer.reply, 'latin1');
      });
      socket.on('error', () => undefined);
    });
    const rawUrl = await listen(raw);
    gateway = createGateway({ upstreamKeepAliveMs: 300 });
    url = await gateway.listen({ port: 0 });
    gateway.setRoutes('ml/echo', [{ id: 'echo-0', url: replicaUrl, ready: true }]);
    gateway.setRoutes('ml/raw', [{ id: 'raw-0', url: rawUrl, ready: true }]);
  });
  after(async () => {
    await gateway.close();
    await stop(replica);
    await stop(raw);
  });

  it('answers pipelined requests in order, one after another', async () => {
    const client = new RawClient(url);
    client.send('GET /ml/echo/one HTTP/1.1\r\nHost: gw\r\n\r\n'
      + 'POST /ml/echo/two HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n\r\nhello'
      + 'GET /healthz HTTP/1.1\r\nHost: gw\r\n\r\n'
      + 'POST /ml/echo/three HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'
      + 'GET /ml/echo/four HTTP/1.1\r\nHost: gw\r\n\r\n');
    const got = responses(await client.until('five responses', countResponses(5)));
    assert.deepEqual(got.map((r) => [r.status, r.body]), [[200, 'GET /one '], [200, 'POST /two hello'], [200, 'ok\n'], [200, 'POST /three abc'], [200, 'GET /four ']]);
    assert.equal(client.closed, false, 'the connection stays open');
    client.destroy();
  });

  it('honours Connection: close (a request pipelined after it is not served)', async () => {
    const client = new RawClient(url);
    client.send('GET /ml/echo/last HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\nGET /ml/echo/never HTTP/1.1\r\nHost: gw\r\n\r\n');
    const got = responses(await client.untilClosed());
    assert.deepEqual(got.map((r) => r.body), ['GET /last ']);
    assert.equal(got[0]!.headers.get('connection'), 'close');
  });

  it('passes 100 Continue through and then streams the body', async () => {
    const client = new RawClient(url);
    client.send('POST /ml/echo/upload HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    await client.until('100 Continue', (t) => t.startsWith('HTTP/1.1 100 Continue\r\n'));
    client.received = client.received.slice(client.received.indexOf('\r\n\r\n') + 4);
    client.send('hello');
    const [res] = responses(await client.until('the final response', countResponses(1)));
    assert.equal(res!.status, 200);
    assert.equal(res!.body, 'POST /upload hello');
    client.destroy();
  });

  it('re-frames an HTTP/1.0 until-close response as chunked for an HTTP/1.1 client, keeping its connection', async () => {
    rawAnswer = (request) => (request.includes('\r\n\r\n') ? { reply: 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the replica closes', close: true } : undefined);
    const client = new RawClient(url);
    for (let i = 0; i < 2; i++) {
      client.received = '';
      client.send('GET /ml/raw/old HTTP/1.1\r\nHost: gw\r\n\r\n');
      const text = await client.until('a whole chunked response', (t) => t.endsWith('\r\n0\r\n\r\n'));
      assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
      assert.match(text, /\r\nTransfer-Encoding: chunked\r\n/);
      assert.match(text, /\r\n\r\n18\r\nuntil the replica closes\r\n0\r\n\r\n$/);
    }
    assert.equal(client.closed, false);
    client.destroy();
  });

  it('sends an until-close response to an HTTP/1.0 client as it came, then closes', async () => {
    rawAnswer = (request) => (request.includes('\r\n\r\n') ? { reply: 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold style body', close: true } : undefined);
    const client = new RawClient(url);
    client.send('GET /ml/raw/old HTTP/1.0\r\n\r\n');
    const text = await client.untilClosed();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.doesNotMatch(text, /transfer-encoding/i);
    assert.match(text, /\r\nConnection: close\r\n\r\nold style body$/);
  });

  it('unframes a chunked response for an HTTP/1.0 client', async () => {
    const client = new RawClient(url);
    client.send('GET /ml/echo/chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const text = await client.untilClosed();
    assert.doesNotMatch(text, /transfer-encoding/i);
    assert.match(text, /\r\nConnection: close\r\n\r\npart one, part two$/);
  });

  it('keeps an HTTP/1.0 keep-alive connection open for a sized response', async () => {
    const client = new RawClient(url);
    client.send('GET /ml/echo/a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    const [first] = responses(await client.until('a response', countResponses(1)));
    assert.equal(first!.headers.get('connection'), 'keep-alive');
    client.received = '';
    client.send('GET /ml/echo/b HTTP/1.0\r\n\r\n');
    const text = await client.untilClosed();
    assert.equal(responses(text)[0]!.body, 'GET /b ');
  });

  it('forwards a chunked request body byte for byte, extensions and trailers included', async () => {
    rawReceived = '';
    rawAnswer = (request) => (request.endsWith('\r\n0;end\r\nX-Sum: 5\r\n\r\n') ? { reply: 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', close: false } : undefined);
    const body = '5;ext="a b"\r\nhello\r\n0;end\r\nX-Sum: 5\r\n\r\n';
    const client = new RawClient(url);
    client.send(`POST /ml/raw/up HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\n\r\n${body}`);
    const [res] = responses(await client.until('the response', countResponses(1)));
    assert.equal(res!.body, 'ok');
    const [head, forwardedBody] = [rawReceived.slice(0, rawReceived.indexOf('\r\n\r\n')), rawReceived.slice(rawReceived.indexOf('\r\n\r\n') + 4)];
    assert.equal(forwardedBody, body);
    assert.match(head, /^POST \/up HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\n/);
    assert.match(head, /\r\nTransfer-Encoding: chunked\r\n/);
    assert.doesNotMatch(head, /x-hop|connection/i);
    assert.match(head, /\r\nX-Forwarded-Prefix: \/ml\/raw$/);
    client.destroy();
  });

  it('answers HEAD without a body and goes on with the next request', async () => {
    const client = new RawClient(url);
    client.send('HEAD /ml/echo/h HTTP/1.1\r\nHost: gw\r\n\r\nGET /ml/echo/after HTTP/1.1\r\nHost: gw\r\n\r\n');
    const text = await client.until('the second response', (t) => t.endsWith('GET /after '));
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 8\r\n[^]*\r\n\r\nHTTP\/1\.1 200 OK\r\n/i);
    client.destroy();
  });

  it('reuses the keep-alive connection to the replica, and closes it when idle', async () => {
    // Let the earlier tests' pooled connections expire (upstreamKeepAliveMs is 300 here).
    await new Promise((resolve) => setTimeout(resolve, 400));
    const before = replicaConnections;
    for (let i = 0; i < 5; i++) assert.equal(await (await fetch(`${url}/ml/echo/k${i}`)).text(), `GET /k${i} `);
    assert.equal(replicaConnections - before, 1, 'five sequential requests, one connection');
    // A response with `Connection: close` ends that connection: the next request opens a new one.
    for (let i = 0; i < 2; i++) await (await fetch(`${url}/ml/echo/close`)).text();
    assert.equal(replicaConnections - before, 2);
    await (await fetch(`${url}/ml/echo/again`)).text();
    assert.equal(replicaConnections - before, 3);
    const open = () => new Promise<number>((resolve) => replica.getConnections((_, n) => resolve(n)));
    assert.ok((await open()) >= 1);
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(await open(), 0, 'idle connections closed after upstreamKeepAliveMs');
  });

  it('follows a replica that moves, even for a head the connection repeats byte for byte', async () => {
    const base = `http://127.0.0.1:${(replica.address() as { port: number }).port}`;
    const client = new RawClient(url);
    const request = 'GET /ml/moving/x HTTP/1.1\r\nHost: gw\r\n\r\n';
    const bodies: string[] = [];
    for (const prefix of ['/v1', '/v2']) {
      gateway.setRoutes('ml/moving', [{ id: 'm-0', url: `${base}${prefix}`, ready: true }]);
      client.received = '';
      client.send(request);
      bodies.push(responses(await client.until('a response', countResponses(1)))[0]!.body);
    }
    assert.deepEqual(bodies, ['GET /v1/x ', 'GET /v2/x ']);
    client.destroy();
  });

  const refusals: Array<{ name: string; request: string; status: number; message: RegExp }> = [
    { name: 'a header block over 64 KiB → 431', request: `GET /ml/echo/ HTTP/1.1\r\nHost: gw\r\nX-Big: ${'a'.repeat(70 * 1024)}\r\n\r\n`, status: 431, message: /larger than 65536 bytes/ },
    { name: 'a malformed request line → 400', request: 'GET /ml/echo/ HTTP/1.1 extra\r\nHost: gw\r\n\r\n', status: 400, message: /malformed/ },
    { name: 'a bad header → 400', request: 'GET /ml/echo/ HTTP/1.1\r\nHost: gw\r\nBad Header: 1\r\n\r\n', status: 400, message: /malformed header name/ },
    { name: 'both Content-Length and chunked → 400', request: 'POST /ml/echo/ HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', status: 400, message: /both Content-Length and Transfer-Encoding/ },
    { name: 'HTTP/2.0 → 505', request: 'GET /ml/echo/ HTTP/2.0\r\nHost: gw\r\n\r\n', status: 505, message: /HTTP\/2\.0 is not supported/ },
    { name: 'a WebSocket upgrade → 501', request: 'GET /ml/echo/ws HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n', status: 501, message: /does not proxy protocol upgrades \(Upgrade: websocket\)/ },
    { name: 'a malformed chunked body → 400', request: 'POST /ml/echo/ HTTP/1.1\r\nHost: gw\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', status: 400, message: /malformed request body: expected a chunk size/ },
  ];
  for (const c of refusals) {
    it(`refuses ${c.name} with a Status and closes`, async () => {
      const client = new RawClient(url);
      client.send(c.request);
      const [res] = responses(await client.untilClosed());
      assert.equal(res!.status, c.status);
      assert.equal(res!.headers.get('connection'), 'close');
      assert.match((JSON.parse(res!.body) as { message: string }).message, c.message);
    });
  }

  it('ignores an h2c upgrade offer and answers in HTTP/1.1', async () => {
    const client = new RawClient(url);
    client.send('GET /ml/echo/h2 HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n');
    const [res] = responses(await client.until('the response', countResponses(1)));
    assert.equal(res!.body, 'GET /h2 ');
    client.destroy();
  });
});
