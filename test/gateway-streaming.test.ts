/**
 * The gateway streams bodies both ways without buffering them: each chunk must reach the other
 * side before the next one is even produced (lock-step), and large bodies arrive intact.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { createGateway, type Gateway } from '@qm/gateway';

const BIG_BYTES = 32 * 1024 * 1024;
const CHUNK_BYTES = 64 * 1024;

/** Deterministic bytes: chunk i is filled with i mod 251. */
function bigBody(): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= BIG_BYTES) return void this.push(null);
      this.push(Buffer.alloc(CHUNK_BYTES, (sent / CHUNK_BYTES) % 251));
      sent += CHUNK_BYTES;
    },
  });
}

async function sha256(stream: AsyncIterable<Buffer>): Promise<{ hex: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { hex: hash.digest('hex'), bytes };
}

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('gateway streaming', { timeout: 20_000 }, () => {
  let replica: Server;
  let gateway: Gateway;
  let url: string;
  /** What the replica's lock-step upload handler has received so far. */
  const upload = { received: [] as string[], ended: false };
  /** Steps the lock-step download handler waits for; the test resolves them in turn. */
  let downloadSteps: Array<() => void> = [];

  before(async () => {
    replica = createServer((req, res) => {
      if (req.url === '/upload-lockstep') {
        req.setEncoding('utf8').on('data', (c: string) => upload.received.push(c));
        req.on('end', () => { upload.ended = true; res.end(upload.received.join('|')); });
      } else if (req.url === '/upload-big') {
        void sha256(req).then(({ hex, bytes }) => res.end(`${bytes} ${hex}`));
      } else if (req.url === '/download-lockstep') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.flushHeaders();
        void (async () => {
          for (let i = 0; i < 3; i++) {
            await new Promise<void>((resolve) => downloadSteps.push(resolve));
            res.write(`event ${i}\n`);
          }
          await new Promise<void>((resolve) => downloadSteps.push(resolve));
          res.end('done\n');
        })();
      } else if (req.url === '/download-big') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        bigBody().pipe(res);
      } else {
        res.writeHead(404).end();
      }
    });
    replica.listen(0, '127.0.0.1');
    await once(replica, 'listening');
    gateway = createGateway();
    url = await gateway.listen({ port: 0 });
    gateway.setRoutes('ml/stream', [{ id: 'r0', url: `http://127.0.0.1:${(replica.address() as { port: number }).port}`, ready: true }]);
  });
  after(async () => {
    await gateway.close();
    replica.closeAllConnections();
    await new Promise((resolve) => replica.close(resolve));
  });

  it('streams a chunked request body up chunk by chunk', async () => {
    const req = request(`${url}/ml/stream/upload-lockstep`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    const response = new Promise<IncomingMessage>((resolve) => req.once('response', resolve));
    for (let i = 0; i < 4; i++) {
      req.write(`part-${i}`);
      // The next part is written only after the replica holds this one: a buffering proxy stalls here.
      await waitFor(`the replica to receive part ${i}`, () => upload.received.join('').endsWith(`part-${i}`));
      assert.equal(upload.ended, false);
    }
    req.end();
    const res = await response;
    assert.equal(res.statusCode, 200);
    let text = '';
    for await (const c of res.setEncoding('utf8')) text += c;
    // The replica answers with the chunks as it received them: at least one per part.
    assert.equal(text.replaceAll('|', ''), 'part-0part-1part-2part-3');
    assert.ok(text.split('|').length >= 4);
  });

  it('streams a slow chunked response down chunk by chunk, headers first', async () => {
    downloadSteps = [];
    const res = await new Promise<IncomingMessage>((resolve, reject) => request(`${url}/ml/stream/download-lockstep`, resolve).on('error', reject).end());
    // The client has the status and headers while the replica has not written one body byte.
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    res.setEncoding('utf8');
    let seen = '';
    res.on('data', (c: string) => { seen += c; });
    for (let i = 0; i < 3; i++) {
      await waitFor(`the replica to wait for step ${i}`, () => downloadSteps.length === i + 1);
      downloadSteps[i]();
      await waitFor(`the client to receive event ${i}`, () => seen.endsWith(`event ${i}\n`));
    }
    await waitFor('the last step', () => downloadSteps.length === 4);
    downloadSteps[3]();
    await once(res, 'end');
    assert.equal(seen, 'event 0\nevent 1\nevent 2\ndone\n');
  });

  it('carries a 32 MiB streamed request body intact', async () => {
    const expected = await sha256(bigBody());
    const req = request(`${url}/ml/stream/upload-big`, { method: 'POST' });
    const response = new Promise<IncomingMessage>((resolve, reject) => req.once('response', resolve).once('error', reject));
    bigBody().pipe(req);
    const res = await response;
    assert.equal(res.statusCode, 200);
    let text = '';
    for await (const c of res.setEncoding('utf8')) text += c;
    assert.equal(text, `${BIG_BYTES} ${expected.hex}`);
  });

  it('carries a 32 MiB streamed response body intact', async () => {
    const expected = await sha256(bigBody());
    const res = await new Promise<IncomingMessage>((resolve, reject) => request(`${url}/ml/stream/download-big`, resolve).on('error', reject).end());
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await sha256(res), { hex: expected.hex, bytes: BIG_BYTES });
  });
});
