import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HeadError, HeadMemo, HeadReader, parseRequestHead, parseResponseHead, type MessageHead } from './http1-head.js';

/** Feeds `wire` to a fresh reader in pieces cut at `cuts`; returns every head and what followed the last one. */
function readAll(wire: string, cuts: number[], maxBytes = 1024) {
  const reader = new HeadReader(maxBytes, true);
  const bytes = Buffer.from(wire, 'latin1');
  const heads: string[] = [];
  let rest = '';
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const piece = bytes.subarray(from, to);
    from = to;
    let offset = 0;
    while (offset < piece.length || heads.length === 0) {
      const text = reader.read(piece, offset);
      if (text === undefined) break;
      heads.push(text);
      offset = reader.next;
      rest = piece.toString('latin1', offset);
    }
  }
  return { heads, rest, pending: reader.pendingBytes };
}

describe('HeadReader', () => {
  const wire = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\nbody';
  it('finds the head wherever the bytes are split (every single cut)', () => {
    for (let cut = 0; cut <= wire.length; cut++) {
      const { heads } = readAll(wire, [cut]);
      assert.deepEqual(heads, ['GET /a HTTP/1.1\r\nHost: x'], `cut at ${cut}`);
    }
  });
  it('finds it when every byte arrives alone (and keeps what follows as the next head)', () => {
    const { heads, pending } = readAll(wire, Array.from({ length: wire.length }, (_, i) => i));
    assert.deepEqual(heads, ['GET /a HTTP/1.1\r\nHost: x']);
    assert.equal(pending, 'body'.length);
  });
  it('reports where the body starts, in the buffer that completed the head', () => {
    const cases: Array<{ name: string; cuts: number[]; rest: string }> = [
      { name: 'one piece', cuts: [], rest: 'body' },
      { name: 'split inside the blank line', cuts: [wire.indexOf('\r\n\r\n') + 2], rest: 'body' },
      { name: 'split just before the body', cuts: [wire.indexOf('body')], rest: '' },
    ];
    for (const c of cases) assert.equal(readAll(wire, c.cuts).rest, c.rest, c.name);
  });
  it('reads pipelined heads one after another from one buffer', () => {
    const two = 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n';
    const reader = new HeadReader(1024, true);
    const buf = Buffer.from(two, 'latin1');
    assert.equal(reader.read(buf, 0), 'GET /1 HTTP/1.1\r\nHost: x');
    assert.equal(reader.read(buf, reader.next), 'GET /2 HTTP/1.1\r\nHost: x');
    assert.equal(reader.next, buf.length);
  });
  it('skips blank lines before a request line, even split between reads', () => {
    for (const cuts of [[], [1], [2], [3]]) {
      assert.deepEqual(readAll('\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n', cuts).heads, ['GET / HTTP/1.1\r\nHost: x'], `cuts ${cuts}`);
    }
  });
  it('refuses a head past the limit with 431, complete or not', () => {
    const big = `GET / HTTP/1.1\r\nX: ${'a'.repeat(2000)}\r\n\r\n`;
    for (const cuts of [[], [100], [1000, 1500]]) {
      assert.throws(() => readAll(big, cuts), (err: HeadError) => err.status === 431, `cuts ${cuts}`);
    }
  });
});

describe('parseRequestHead', () => {
  const ok: Array<{ name: string; head: string; check: (h: MessageHead) => void }> = [
    {
      name: 'request line, fields as sent, trimmed values',
      head: 'POST /ml/llama/v1?x=1 HTTP/1.1\r\nHost: gw:80\r\nX-Mixed-Case:  a b \t\r\nEmpty:',
      check: (h) => {
        assert.equal(h.method, 'POST');
        assert.equal(h.target, '/ml/llama/v1?x=1');
        assert.equal(h.minorVersion, 1);
        assert.deepEqual(h.fields, ['Host', 'host', 'gw:80', 'X-Mixed-Case', 'x-mixed-case', 'a b', 'Empty', 'empty', '']);
        assert.equal(h.host, 'gw:80');
        assert.equal(h.keepAlive, true);
      },
    },
    { name: 'Content-Length', head: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 42', check: (h) => assert.equal(h.contentLength, 42) },
    { name: 'no framing: no body', head: 'GET / HTTP/1.1\r\nHost: x', check: (h) => { assert.equal(h.contentLength, -1); assert.equal(h.chunked, false); } },
    { name: 'chunked', head: 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked', check: (h) => assert.equal(h.chunked, true) },
    { name: 'chunked after another coding', head: 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked', check: (h) => assert.equal(h.chunked, true) },
    { name: 'Connection: close', head: 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close', check: (h) => assert.equal(h.keepAlive, false) },
    { name: 'HTTP/1.0 closes by default', head: 'GET / HTTP/1.0', check: (h) => { assert.equal(h.minorVersion, 0); assert.equal(h.keepAlive, false); } },
    { name: 'HTTP/1.0 with keep-alive', head: 'GET / HTTP/1.0\r\nConnection: Keep-Alive', check: (h) => assert.equal(h.keepAlive, true) },
    { name: 'Connection tokens named for dropping', head: 'GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-A ,x-b', check: (h) => assert.deepEqual(h.connectionTokens, ['x-a', 'x-b']) },
    { name: 'Expect: 100-continue', head: 'POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue', check: (h) => assert.equal(h.expectContinue, true) },
    { name: 'Upgrade', head: 'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket', check: (h) => assert.equal(h.upgrade, 'websocket') },
    { name: 'obs-text bytes survive in values', head: 'GET / HTTP/1.1\r\nHost: x\r\nX-Name: caf\xe9', check: (h) => assert.equal(h.fields[5], 'caf\xe9') },
  ];
  for (const c of ok) it(`parses: ${c.name}`, () => c.check(parseRequestHead(c.head)));

  const bad: Array<{ name: string; head: string; status: number }> = [
    { name: 'no version', head: 'GET /', status: 400 },
    { name: 'two spaces', head: 'GET  / HTTP/1.1\r\nHost: x', status: 400 },
    { name: 'space in the target', head: 'GET /a b HTTP/1.1\r\nHost: x', status: 400 },
    { name: 'method not a token', head: 'G(T / HTTP/1.1\r\nHost: x', status: 400 },
    { name: 'HTTP/2.0', head: 'GET / HTTP/2.0\r\nHost: x', status: 505 },
    { name: 'garbage version', head: 'GET / HTTX/1.1\r\nHost: x', status: 400 },
    { name: 'HTTP/1.1 without Host', head: 'GET / HTTP/1.1\r\nAccept: x', status: 400 },
    { name: 'two Host headers', head: 'GET / HTTP/1.1\r\nHost: a\r\nHost: b', status: 400 },
    { name: 'line without colon', head: 'GET / HTTP/1.1\r\nHost: x\r\nnonsense', status: 400 },
    { name: 'space before the colon', head: 'GET / HTTP/1.1\r\nHost : x', status: 400 },
    { name: 'obs-fold', head: 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  continued: 2', status: 400 },
    { name: 'bare LF inside a value', head: 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\nX-B: 2', status: 400 },
    { name: 'bare CR inside a value', head: 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\rX-B: 2', status: 400 },
    { name: 'NUL in a value', head: 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\0b', status: 400 },
    { name: 'negative Content-Length', head: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1', status: 400 },
    { name: 'Content-Length list', head: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1', status: 400 },
    { name: 'conflicting Content-Length', head: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2', status: 400 },
    { name: 'repeated Content-Length', head: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 4', status: 400 },
    { name: 'Content-Length and chunked (smuggling)', head: 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked', status: 400 },
    { name: 'chunked not last', head: 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip', status: 400 },
    { name: 'chunked twice', head: 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked', status: 400 },
    { name: 'unknown coding alone', head: 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip', status: 400 },
  ];
  for (const c of bad) {
    it(`refuses: ${c.name} (${c.status})`, () => {
      assert.throws(() => parseRequestHead(c.head), (err: unknown) => err instanceof HeadError && err.status === c.status);
    });
  }
});

describe('parseResponseHead', () => {
  const ok: Array<{ name: string; head: string; check: (h: MessageHead) => void }> = [
    { name: 'status and reason', head: 'HTTP/1.1 404 Not Found\r\nContent-Length: 0', check: (h) => { assert.equal(h.statusCode, 404); assert.equal(h.reason, 'Not Found'); assert.equal(h.contentLength, 0); } },
    { name: 'repeated equal Content-Length', head: 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\ncontent-length: 4', check: (h) => assert.equal(h.contentLength, 4) },
    { name: 'empty reason', head: 'HTTP/1.1 200 \r\nX: 1', check: (h) => { assert.equal(h.statusCode, 200); assert.equal(h.reason, ''); } },
    { name: 'no space after the code', head: 'HTTP/1.1 204', check: (h) => assert.equal(h.statusCode, 204) },
    { name: 'HTTP/1.0 closes by default', head: 'HTTP/1.0 200 OK', check: (h) => { assert.equal(h.minorVersion, 0); assert.equal(h.keepAlive, false); } },
    { name: 'Connection: close', head: 'HTTP/1.1 200 OK\r\nConnection: close', check: (h) => assert.equal(h.keepAlive, false) },
    { name: 'Transfer-Encoding overrides Content-Length', head: 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked', check: (h) => { assert.equal(h.chunked, true); assert.equal(h.contentLength, -1); } },
    { name: 'a coding other than chunked: until close', head: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip', check: (h) => { assert.equal(h.hasTransferEncoding, true); assert.equal(h.chunked, false); } },
    { name: 'interim 100', head: 'HTTP/1.1 100 Continue', check: (h) => assert.equal(h.statusCode, 100) },
  ];
  for (const c of ok) it(`parses: ${c.name}`, () => c.check(parseResponseHead(c.head)));

  for (const head of ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 5', 'HTTP/1.1 20 OK', 'HTTP/1.1 abc OK', 'HTTP/1.1 200OK', 'ICY 200 OK', 'HTTP/1.1 099 Low', 'HTTP/1.1 200 OK\r\nBad Name: 1']) {
    it(`refuses ${JSON.stringify(head)}`, () => assert.throws(() => parseResponseHead(head), HeadError));
  }
});

describe('HeadMemo', () => {
  it('hands back the same parse for the same bytes, a new one for others', () => {
    const memo = new HeadMemo();
    const a = memo.request('GET /a HTTP/1.1\r\nHost: x');
    assert.equal(memo.request(`GET /a HTTP/1.1\r\n${'Host: x'}`), a, 'equal text, even as another string');
    const b = memo.request('GET /b HTTP/1.1\r\nHost: x');
    assert.notEqual(b, a);
    assert.equal(b.target, '/b');
    assert.equal(memo.request('GET /b HTTP/1.1\r\nHost: x'), b);
  });
  it('keeps refusing a bad head (nothing is remembered from a failure)', () => {
    const memo = new HeadMemo();
    for (let i = 0; i < 2; i++) assert.throws(() => memo.request('GET / HTTP/1.1'), HeadError);
    const r = memo.response('HTTP/1.1 200 OK\r\nContent-Length: 2');
    assert.equal(memo.response('HTTP/1.1 200 OK\r\nContent-Length: 2'), r);
  });
});
