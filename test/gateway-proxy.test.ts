/**
 * The serving gateway over real HTTP: replicas are node:http servers on ephemeral ports.
 * Balancing, retry on a refused connection (and never after bytes were sent), 503 with
 * Retry-After, readiness flips, queueing, metrics text and the stats window on a fake clock.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { FakeClock } from '@qm/core';
import { createGateway, type Gateway, type GatewayOptions } from '@qm/gateway';

interface Replica {
  id: string;
  url: string;
  /** `METHOD path` of every request the replica received, in order. */
  hits: string[];
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, replica: Replica) => void;

const answerWithId: Handler = (req, res, replica) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => res.writeHead(200, { 'content-type': 'text/plain' }).end(`${replica.id} ${Buffer.concat(chunks).length}`));
};

async function startReplica(id: string, handler: Handler = answerWithId): Promise<Replica> {
  const server = createHttpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const replica: Replica = {
    id,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  server.on('request', (req, res) => {
    replica.hits.push(`${req.method} ${req.url}`);
    handler(req, res, replica);
  });
  return replica;
}

/** A port nothing listens on: bound once, then released. */
async function closedPortUrl(): Promise<string> {
  const s = createTcpServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as { port: number };
  await new Promise((resolve) => s.close(resolve));
  return `http://127.0.0.1:${port}`;
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

/** A gate a replica handler awaits; the test opens it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { open, opened };
}

async function startGateway(opts: GatewayOptions = {}): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway(opts);
  const url = await gateway.listen({ port: 0, host: '127.0.0.1' });
  return { gateway, url };
}

describe('gateway routing', { timeout: 20_000 }, () => {
  let replicas: Replica[];
  let held: Array<ReturnType<typeof gate>>;
  let gateway: Gateway;
  let url: string;
  const registry = new Registry();

  before(async () => {
    held = [];
    // Replica "slow" holds every request until the test opens its gate.
    const slow: Handler = (req, res, replica) => {
      const g = gate();
      held.push(g);
      req.resume();
      void g.opened.then(() => res.end(replica.id));
    };
    replicas = [await startReplica('a'), await startReplica('b'), await startReplica('slow', slow)];
    ({ gateway, url } = await startGateway({ registry, retryAfterSeconds: 7 }));
  });
  after(async () => {
    await gateway.close();
    await Promise.all(replicas.map((r) => r.close()));
  });

  const route = (ids: string[], ready = true) =>
    gateway.setRoutes('ml/llama', ids.map((id) => replicas.find((r) => r.id === id)!).map((r) => ({ id: r.id, url: r.url, ready })));

  it('proxies path and query to the replica and returns its body', async () => {
    route(['a']);
    const res = await fetch(`${url}/ml/llama/v1/generate?max_tokens=5&x=%2F`, { method: 'POST', body: 'hello' });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'a 5');
    assert.equal(replicas[0].hits.at(-1), 'POST /v1/generate?max_tokens=5&x=%2F');
  });

  it('balances idle replicas round-robin', async () => {
    route(['a', 'b']);
    const answers: string[] = [];
    for (let i = 0; i < 6; i++) answers.push((await (await fetch(`${url}/ml/llama/`)).text()).split(' ')[0]);
    assert.deepEqual(answers, ['a', 'b', 'a', 'b', 'a', 'b']);
  });

  it('sends new requests to the replica with the fewest outstanding ones', async () => {
    route(['slow']);
    const first = fetch(`${url}/ml/llama/one`);
    await waitFor('the slow replica to hold a request', () => held.length === 1);
    route(['slow', 'a']); // "slow" keeps its outstanding request across the update
    const answers: string[] = [];
    for (let i = 0; i < 3; i++) answers.push((await (await fetch(`${url}/ml/llama/`)).text()).split(' ')[0]);
    assert.deepEqual(answers, ['a', 'a', 'a']);
    assert.equal(gateway.stats('ml/llama')?.replicas.find((r) => r.id === 'slow')?.metrics.in_flight_requests, 1);
    held[0].open();
    assert.equal(await (await first).text(), 'slow');
    await waitFor('in-flight to drop to 0', () => gateway.stats('ml/llama')?.inFlightRequests === 0);
  });

  it('answers 503 with Retry-After when no replica is ready, and serves again once one is', async () => {
    route(['a', 'b'], false);
    const refused = await fetch(`${url}/ml/llama/x`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '7');
    const body = await refused.json() as { reason: string; message: string };
    assert.equal(body.reason, 'ServiceUnavailable');
    assert.match(body.message, /ml\/llama has no ready replica/);

    gateway.setRoutes('ml/llama', [{ id: 'a', url: replicas[0].url, ready: false }, { id: 'b', url: replicas[1].url, ready: true }]);
    const served = await fetch(`${url}/ml/llama/x`);
    assert.equal(await served.text(), 'b 0');

    route(['a', 'b'], false);
    assert.equal((await fetch(`${url}/ml/llama/x`)).status, 503);
  });

  it('answers 404 naming an unknown deployment, and after its routes are removed', async () => {
    const unknown = await fetch(`${url}/ml/nope/x`);
    assert.equal(unknown.status, 404);
    assert.match((await unknown.json() as { message: string }).message, /deployment "ml\/nope"/);
    gateway.setRoutes('tmp/gone', [{ id: 'a', url: replicas[0].url, ready: true }]);
    assert.equal((await fetch(`${url}/tmp/gone/`)).status, 200);
    gateway.removeRoutes('tmp/gone');
    assert.equal((await fetch(`${url}/tmp/gone/`)).status, 404);
  });

  it('cancels the replica request when the client goes away', async () => {
    route(['slow']);
    const before = held.length;
    const controller = new AbortController();
    const pending = fetch(`${url}/ml/llama/cancel`, { signal: controller.signal }).catch((err: Error) => err);
    await waitFor('the slow replica to hold the request', () => held.length === before + 1);
    assert.equal(gateway.stats('ml/llama')?.inFlightRequests, 1);
    controller.abort();
    assert.ok((await pending) instanceof Error);
    await waitFor('in-flight to drop to 0', () => gateway.stats('ml/llama')?.inFlightRequests === 0);
    held.at(-1)!.open();
  });

  it('exports Prometheus series with the documented names and labels', async () => {
    route(['a']);
    await (await fetch(`${url}/ml/llama/m`)).text();
    const text = await registry.metrics();
    assert.match(text, /^qm_gateway_requests_total\{namespace="ml",deployment="llama",replica="a",code="200"\} \d+$/m);
    assert.match(text, /^qm_gateway_requests_total\{namespace="ml",deployment="llama",replica="",code="503"\} 2$/m);
    assert.match(text, /^qm_gateway_requests_total\{namespace="",deployment="",replica="",code="404"\} \d+$/m);
    assert.match(text, /^qm_gateway_request_duration_seconds_count\{namespace="ml",deployment="llama",replica="a"\} \d+$/m);
    assert.match(text, /^qm_gateway_in_flight_requests\{namespace="ml",deployment="llama",replica="a"\} 0$/m);
    assert.match(text, /^qm_gateway_queue_seconds_count\{namespace="ml",deployment="llama"\} \d+$/m);
    assert.match(text, /^qm_gateway_ready_replicas\{namespace="ml",deployment="llama"\} 1$/m);
    // Replica "b" left the routes with nothing in flight: its series are gone.
    assert.doesNotMatch(text, /replica="b"/);
    // The same text on the gateway's own /metrics.
    const served = await (await fetch(`${url}/metrics`)).text();
    assert.match(served, /qm_gateway_requests_total/);
  });

  it('rejects bad routes with the field named', () => {
    assert.throws(() => gateway.setRoutes('ml/llama', [{ id: 'x', url: 'nope', ready: true }]), /replicas\[0\]\.url/);
  });
});

describe('gateway retries', { timeout: 20_000 }, () => {
  let good: Replica;
  let gateway: Gateway;
  let url: string;
  const registry = new Registry();
  let rawServer: TcpServer;
  let rawUrl: string;
  let rawConnections = 0;
  let rawMode: 'hang-up' | 'half-response' = 'hang-up';

  before(async () => {
    good = await startReplica('good');
    // A replica that accepts and reads the request, then breaks the connection.
    rawServer = createTcpServer((socket) => {
      rawConnections++;
      socket.once('data', () => {
        if (rawMode === 'hang-up') socket.destroy();
        else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nhalf', () => setTimeout(() => socket.destroy(), 20));
      });
    }).listen(0, '127.0.0.1');
    await once(rawServer, 'listening');
    rawUrl = `http://127.0.0.1:${(rawServer.address() as { port: number }).port}`;
    ({ gateway, url } = await startGateway({ registry }));
  });
  after(async () => {
    await gateway.close();
    await good.close();
    await new Promise((resolve) => rawServer.close(resolve));
  });

  it('retries once on another replica when the connection is refused, body intact', async () => {
    gateway.setRoutes('ml/retry', [{ id: 'dead', url: await closedPortUrl(), ready: true }, { id: 'good', url: good.url, ready: true }]);
    const body = 'x'.repeat(100_000);
    const res = await fetch(`${url}/ml/retry/predict`, { method: 'POST', body });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), `good ${body.length}`);
    assert.match(await registry.metrics(), /^qm_gateway_retries_total\{namespace="ml",deployment="retry"\} 1$/m);
    // The refusing replica is passed over afterwards while the good one can serve.
    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${url}/ml/retry/`)).status, 200);
    assert.match(await registry.metrics(), /^qm_gateway_retries_total\{namespace="ml",deployment="retry"\} 1$/m);
  });

  it('answers 502 when the only replica refuses', async () => {
    gateway.setRoutes('ml/alone', [{ id: 'dead', url: await closedPortUrl(), ready: true }]);
    const res = await fetch(`${url}/ml/alone/`);
    assert.equal(res.status, 502);
    assert.equal((await res.json() as { reason: string }).reason, 'BadGateway');
  });

  it('does not retry once the request reached a replica that then hung up', async () => {
    rawMode = 'hang-up';
    const hitsBefore = good.hits.length;
    const connectionsBefore = rawConnections;
    gateway.setRoutes('ml/hangup', [{ id: 'raw', url: rawUrl, ready: true }, { id: 'good', url: good.url, ready: true }]);
    const res = await fetch(`${url}/ml/hangup/`, { method: 'POST', body: 'payload' });
    assert.equal(res.status, 502);
    assert.match((await res.json() as { message: string }).message, /closed the connection before responding/);
    assert.equal(rawConnections, connectionsBefore + 1);
    assert.equal(good.hits.length, hitsBefore, 'the request must not be replayed on another replica');
  });

  it('cuts the client response (no retry) when a replica dies mid-body', async () => {
    rawMode = 'half-response';
    const hitsBefore = good.hits.length;
    gateway.setRoutes('ml/half', [{ id: 'raw', url: rawUrl, ready: true }, { id: 'good', url: good.url, ready: true }]);
    const res = await fetch(`${url}/ml/half/`);
    assert.equal(res.status, 200);
    await assert.rejects(res.text());
    assert.equal(good.hits.length, hitsBefore);
  });
});

describe('gateway timeouts', { timeout: 20_000 }, () => {
  it('answers 504 when a replica sends nothing for idleTimeoutMs, and frees the slot', async () => {
    const silent = await startReplica('silent', (req) => { req.resume(); });
    const { gateway, url } = await startGateway({ idleTimeoutMs: 100 });
    try {
      gateway.setRoutes('ml/silent', [{ id: 'silent', url: silent.url, ready: true }]);
      const res = await fetch(`${url}/ml/silent/`);
      assert.equal(res.status, 504);
      assert.match((await res.json() as { message: string }).message, /replica silent sent nothing for 100 ms/);
      assert.equal(gateway.stats('ml/silent')?.inFlightRequests, 0);
      assert.equal(gateway.stats('ml/silent')?.replicas[0].failuresTotal, 1);
    } finally {
      await gateway.close();
      await silent.close();
    }
  });

  it('rejects nonsense options with the option named', () => {
    assert.throws(() => createGateway({ idleTimeoutMs: -1 }), /idleTimeoutMs must be a positive number/);
    assert.throws(() => createGateway({ rateWindowMs: 500, rateBucketMs: 1000 }), /rateWindowMs \(500\) must be >= rateBucketMs/);
  });
});

describe('gateway queueing', { timeout: 20_000 }, () => {
  it('queues beyond maxInFlightPerReplica, then times out with 503', async () => {
    const gates: Array<ReturnType<typeof gate>> = [];
    const replica = await startReplica('one', (req, res) => {
      const g = gate();
      gates.push(g);
      req.resume();
      void g.opened.then(() => res.end('done'));
    });
    const { gateway, url } = await startGateway({ maxInFlightPerReplica: 1, queueTimeoutMs: 60_000 });
    try {
      gateway.setRoutes('ml/q', [{ id: 'one', url: replica.url, ready: true }]);
      const first = fetch(`${url}/ml/q/1`);
      await waitFor('the first request to reach the replica', () => gates.length === 1);
      const second = fetch(`${url}/ml/q/2`);
      await waitFor('the second request to queue', () => gateway.stats('ml/q')?.queuedRequests === 1);
      assert.equal(replica.hits.length, 1);
      gates[0].open();
      assert.equal(await (await first).text(), 'done');
      await waitFor('the queued request to reach the replica', () => gates.length === 2);
      gates[1].open();
      assert.equal(await (await second).text(), 'done');
      assert.equal(gateway.stats('ml/q')?.queueTime.count, 2);

      // A queued request is refused once no replica is ready any more.
      const third = fetch(`${url}/ml/q/3`);
      await waitFor('the third request to reach the replica', () => gates.length === 3);
      const fourth = fetch(`${url}/ml/q/4`);
      await waitFor('the fourth request to queue', () => gateway.stats('ml/q')?.queuedRequests === 1);
      gateway.setRoutes('ml/q', [{ id: 'one', url: replica.url, ready: false }]);
      const refused = await fourth;
      assert.equal(refused.status, 503);
      assert.ok(refused.headers.get('retry-after'));
      gates[2].open();
      assert.equal((await third).status, 200);
    } finally {
      await gateway.close();
      await replica.close();
    }
  });
});

describe('gateway stats on an injected clock', { timeout: 20_000 }, () => {
  it('reports requests per second over the sliding window, per replica and per deployment', async () => {
    const clock = new FakeClock(Date.parse('2025-01-01T00:00:00Z'));
    const [a, b] = [await startReplica('a'), await startReplica('b')];
    const { gateway, url } = await startGateway({ clock, rateWindowMs: 10_000, rateBucketMs: 1000 });
    try {
      gateway.setRoutes('ml/rps', [{ id: 'a', url: a.url, ready: true }, { id: 'b', url: b.url, ready: true }]);
      const send = async (n: number) => { for (let i = 0; i < n; i++) await (await fetch(`${url}/ml/rps/`)).text(); };
      const rps = () => {
        const s = gateway.stats('ml/rps')!;
        return [s.metrics.http_requests_per_second, ...s.replicas.map((r) => r.metrics.http_requests_per_second)];
      };

      await send(8);                  // t = 0 s: within the first bucket the rate divides by 1 s
      assert.deepEqual(rps(), [8, 4, 4]);
      clock.advance(4000);            // t = 4 s: 8 requests over 4 s tracked
      assert.deepEqual(rps(), [2, 1, 1]);
      await send(18);                 // 26 over 4 s
      assert.deepEqual(rps(), [6.5, 3.25, 3.25]);
      // t = 11 s: the window is the ten buckets 2..11 s, so the t = 0 bucket slid out: 18 over 9 s.
      clock.advance(7000);
      assert.deepEqual(rps(), [2, 1, 1]);
      clock.advance(10_000);          // t = 21 s: nothing left in the window
      assert.deepEqual(rps(), [0, 0, 0]);
      const s = gateway.stats('ml/rps')!;
      assert.equal(s.replicas[0].requestsTotal + s.replicas[1].requestsTotal, 26);
      assert.equal(s.latency.count, 0);
      assert.equal(gateway.stats('ml/unknown'), undefined);
    } finally {
      await gateway.close();
      await a.close();
      await b.close();
    }
  });
});
