import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BodyFramer, BY_LENGTH, CHUNKED, NO_BODY, UNTIL_CLOSE, type Framing } from './body-framing.js';

interface Fed {
  /** Bytes consumed as this message (framing included), as latin1. */
  message: string;
  /** Payload bytes reported to the sink (framing removed). */
  payload: string;
  /** What followed the message in the last buffer. */
  rest: string;
  done: boolean;
  error: string | undefined;
}

/** Feeds `wire` in pieces cut at `cuts` until the framer finishes or fails. */
function feed(mode: Framing, wire: string, cuts: number[], length = 0): Fed {
  const framer = new BodyFramer();
  framer.expect(mode, length);
  const bytes = Buffer.from(wire, 'latin1');
  let message = '';
  let payload = '';
  const sink = { payload: (buf: Buffer, start: number, end: number) => { payload += buf.toString('latin1', start, end); } };
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    const piece = bytes.subarray(from, to);
    from = to;
    if (framer.done) return { message, payload, rest: piece.toString('latin1'), done: true, error: undefined };
    const end = framer.consume(piece, 0, piece.length, sink);
    if (end < 0) return { message, payload, rest: '', done: false, error: framer.error };
    message += piece.toString('latin1', 0, end);
    if (framer.done) return { message, payload, rest: piece.toString('latin1', end) + bytes.toString('latin1', to), done: true, error: undefined };
  }
  return { message, payload, rest: '', done: framer.done, error: undefined };
}

/** Every way to split `wire` in two, plus one byte at a time. */
function splits(wire: string): number[][] {
  const out: number[][] = [[]];
  for (let i = 1; i < wire.length; i++) out.push([i]);
  out.push(Array.from({ length: wire.length - 1 }, (_, i) => i + 1));
  return out;
}

describe('BodyFramer: chunked', () => {
  const NEXT = 'GET /next HTTP/1.1\r\n\r\n';
  const good: Array<{ name: string; body: string; payload: string }> = [
    { name: 'two chunks', body: '5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n', payload: 'hello world' },
    { name: 'upper and lower case hex', body: 'A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n', payload: '0123456789abcdefghijk' },
    { name: 'leading zeros', body: '0005\r\nhello\r\n000\r\n\r\n', payload: 'hello' },
    { name: 'chunk extensions, quoted ones too', body: '5;name=value\r\nhello\r\n3 ; a="x;y" ;b\r\nabc\r\n0;last\r\n\r\n', payload: 'helloabc' },
    { name: 'trailers', body: '2\r\nhi\r\n0\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n', payload: 'hi' },
    { name: 'chunk data holding CRLF and hex-looking bytes', body: '4\r\n\r\n0\r\r\n0\r\n\r\n', payload: '\r\n0\r' },
    { name: 'empty body', body: '0\r\n\r\n', payload: '' },
  ];
  for (const c of good) {
    it(`${c.name}: ends at the right byte, split anywhere`, () => {
      for (const cuts of splits(c.body + NEXT)) {
        const fed = feed(CHUNKED, c.body + NEXT, cuts);
        const where = `cuts ${cuts.join(',')}`;
        assert.equal(fed.error, undefined, where);
        assert.equal(fed.done, true, where);
        assert.equal(fed.message, c.body, where);
        assert.equal(fed.payload, c.payload, where);
        assert.equal(fed.rest, NEXT, where);
      }
    });
  }

  it('is not done before the last CRLF', () => {
    const body = '5\r\nhello\r\n0\r\n\r\n';
    for (let n = 0; n < body.length; n++) {
      const fed = feed(CHUNKED, body.slice(0, n), []);
      assert.equal(fed.done, false, `after ${n} bytes`);
      assert.equal(fed.error, undefined);
    }
  });

  const bad: Array<{ name: string; body: string; error: RegExp }> = [
    { name: 'no size', body: '\r\nhello\r\n0\r\n\r\n', error: /expected a chunk size/ },
    { name: 'not hex', body: 'zz\r\nhello\r\n', error: /expected a chunk size/ },
    { name: 'junk after the size', body: '5x\r\nhello\r\n', error: /malformed chunk size/ },
    { name: 'negative size', body: '-5\r\nhello\r\n', error: /expected a chunk size/ },
    { name: 'size line ended by a bare LF', body: '5\nhello\r\n', error: /malformed chunk size/ },
    { name: 'CR without LF after the size', body: '5\rhello\r\n', error: /not ended by CRLF/ },
    { name: 'data longer than its size', body: '3\r\nhello\r\n0\r\n\r\n', error: /longer than its size/ },
    { name: 'data ended by a bare LF', body: '5\r\nhello\n0\r\n\r\n', error: /longer than its size/ },
    { name: 'huge size', body: 'fffffffffffffffff\r\n', error: /too large/ },
    { name: 'control character in an extension', body: '5;a=\x01\r\nhello\r\n', error: /control character/ },
    { name: 'over-long extension', body: `5;${'x'.repeat(5000)}\r\nhello\r\n`, error: /too long/ },
    { name: 'bare LF in trailers', body: '0\r\nX-A: 1\n\r\n', error: /bare LF/ },
    { name: 'final CRLF missing its LF', body: '0\r\n\rX', error: /not ended by CRLF/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}, split anywhere`, () => {
      for (const cuts of splits(c.body)) {
        const fed = feed(CHUNKED, c.body, cuts);
        assert.match(fed.error ?? '(no error)', c.error, `cuts ${cuts.join(',')}`);
      }
    });
  }
});

describe('BodyFramer: other framings', () => {
  const cases: Array<{ name: string; mode: Framing; length?: number; wire: string; cuts: number[]; message: string; done: boolean }> = [
    { name: 'Content-Length in one piece', mode: BY_LENGTH, length: 5, wire: 'helloNEXT', cuts: [], message: 'hello', done: true },
    { name: 'Content-Length split', mode: BY_LENGTH, length: 5, wire: 'helloNEXT', cuts: [2, 4], message: 'hello', done: true },
    { name: 'Content-Length not complete yet', mode: BY_LENGTH, length: 10, wire: 'hello', cuts: [1], message: 'hello', done: false },
    { name: 'Content-Length 0 is no body', mode: BY_LENGTH, length: 0, wire: 'NEXT', cuts: [], message: '', done: true },
    { name: 'no body', mode: NO_BODY, wire: 'NEXT', cuts: [], message: '', done: true },
    { name: 'until close takes everything', mode: UNTIL_CLOSE, wire: 'all of it', cuts: [3], message: 'all of it', done: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const fed = feed(c.mode, c.wire, c.cuts, c.length);
      assert.equal(fed.message, c.message);
      assert.equal(fed.done, c.done);
      if (c.done) assert.equal(c.message + fed.rest, c.wire);
    });
  }
  it('until close ends when the connection does; other framings are cut short', () => {
    const framer = new BodyFramer();
    framer.expect(UNTIL_CLOSE);
    assert.equal(framer.closed(), true);
    framer.expect(BY_LENGTH, 5);
    framer.consume(Buffer.from('hel'), 0, 3);
    assert.equal(framer.closed(), false);
    framer.expect(CHUNKED);
    framer.consume(Buffer.from('5\r\nhe'), 0, 5);
    assert.equal(framer.closed(), false);
  });
  it('starts over cleanly for the next message', () => {
    const framer = new BodyFramer();
    framer.expect(CHUNKED);
    assert.equal(framer.consume(Buffer.from('zz'), 0, 2), -1);
    framer.expect(CHUNKED);
    const wire = Buffer.from('1\r\na\r\n0\r\n\r\n');
    assert.equal(framer.consume(wire, 0, wire.length), wire.length);
    assert.equal(framer.done, true);
    assert.equal(framer.error, undefined);
  });
});
