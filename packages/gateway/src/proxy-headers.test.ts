import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseRequestHead, parseResponseHead } from './http1-head.js';
import { downstreamResponseFields, parseGatewayPath, upstreamRequestFields } from './proxy-headers.js';

describe('parseGatewayPath', () => {
  const cases: Array<{ name: string; url: string; want: { key: string; upstreamPath: string } | undefined }> = [
    { name: 'rest and query kept', url: '/ml/llama/v1/chat?stream=1&x=%2F', want: { key: 'ml/llama', upstreamPath: '/v1/chat?stream=1&x=%2F' } },
    { name: 'no rest → /', url: '/ml/llama', want: { key: 'ml/llama', upstreamPath: '/' } },
    { name: 'trailing slash → /', url: '/ml/llama/', want: { key: 'ml/llama', upstreamPath: '/' } },
    { name: 'query right after the name', url: '/ml/llama?q=1', want: { key: 'ml/llama', upstreamPath: '/?q=1' } },
    { name: 'encoded segments pass through verbatim', url: '/ml/llama/a%20b//c', want: { key: 'ml/llama', upstreamPath: '/a%20b//c' } },
    { name: 'one segment is not a deployment', url: '/metrics', want: undefined },
    { name: 'empty namespace', url: '//llama/x', want: undefined },
    { name: 'empty name', url: '/ml//x', want: undefined },
    { name: 'query inside the namespace', url: '/ml?x=/llama', want: undefined },
    { name: 'absolute-form URL', url: 'http://h/ml/llama', want: undefined },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = parseGatewayPath(c.url);
      assert.deepEqual(got && { key: got.key, upstreamPath: got.upstreamPath }, c.want);
    });
  }
  it('names the prefix it strips', () => {
    assert.equal(parseGatewayPath('/ml/llama/v1')?.prefix, '/ml/llama');
  });
});

/** Parses header lines as the gateway does, so these cases go through the real parser. */
function requestHead(fields: Array<[string, string]>) {
  return parseRequestHead(['POST /ml/llama/x HTTP/1.1', ...fields.map(([k, v]) => `${k}: ${v}`)].join('\r\n'));
}

/** `Name: value\r\n` lines → [name, value] pairs, in order. */
function lines(text: string): Array<[string, string]> {
  assert.ok(text === '' || text.endsWith('\r\n'), 'every line ends in CRLF');
  return text.split('\r\n').filter((l) => l !== '').map((l) => {
    const colon = l.indexOf(': ');
    return [l.slice(0, colon), l.slice(colon + 2)];
  });
}

/** Lower-case name → the values it has, in order. */
function byName(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [k, v] of lines(text)) out.set(k.toLowerCase(), [...(out.get(k.toLowerCase()) ?? []), v]);
  return out;
}

describe('upstreamRequestFields', () => {
  const cases: Array<{ name: string; incoming: Array<[string, string]>; check: (out: Map<string, string[]>, text: string) => void }> = [
    {
      name: 'drops hop-by-hop headers, the Host and those the Connection header names',
      incoming: [['Host', 'gw:80'], ['Connection', 'keep-alive, X-Secret'], ['Keep-Alive', 'timeout=5'], ['X-Secret', 's'], ['TE', 'trailers'], ['Upgrade', 'h2c'], ['Proxy-Authorization', 'p'], ['Accept', 'application/json']],
      check: (out) => {
        for (const h of ['host', 'connection', 'keep-alive', 'x-secret', 'te', 'upgrade', 'proxy-authorization']) assert.equal(out.get(h), undefined, h);
        assert.deepEqual(out.get('accept'), ['application/json']);
      },
    },
    {
      name: 'sets X-Forwarded-* on a first hop',
      incoming: [['Host', 'gw.example:8080']],
      check: (out) => {
        assert.deepEqual(out.get('x-forwarded-for'), ['10.0.0.7']);
        assert.deepEqual(out.get('x-forwarded-proto'), ['http']);
        assert.deepEqual(out.get('x-forwarded-host'), ['gw.example:8080']);
        assert.deepEqual(out.get('x-forwarded-prefix'), ['/ml/llama']);
      },
    },
    {
      name: 'appends to the X-Forwarded-For of a proxy in front (all its lines) and keeps its proto and host',
      incoming: [['Host', 'internal'], ['X-Forwarded-For', '1.2.3.4'], ['x-forwarded-for', '5.6.7.8'], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', 'public.example'], ['X-Forwarded-Prefix', '/spoofed']],
      check: (out) => {
        assert.deepEqual(out.get('x-forwarded-for'), ['1.2.3.4, 5.6.7.8, 10.0.0.7']);
        assert.deepEqual(out.get('x-forwarded-proto'), ['https']);
        assert.deepEqual(out.get('x-forwarded-host'), ['public.example']);
        assert.deepEqual(out.get('x-forwarded-prefix'), ['/ml/llama']);
      },
    },
    {
      name: 'keeps content-length and end-to-end headers, names and values as sent',
      incoming: [['Host', 'gw'], ['Content-Length', '12'], ['Content-Type', 'text/plain'], ['authorization', 'Bearer t'], ['X-Odd', 'a:b  c']],
      check: (_, text) => {
        const kept = lines(text).filter(([k]) => !k.startsWith('X-Forwarded'));
        assert.deepEqual(kept, [['Content-Length', '12'], ['Content-Type', 'text/plain'], ['authorization', 'Bearer t'], ['X-Odd', 'a:b  c']]);
      },
    },
    {
      name: 'keeps a chunked Transfer-Encoding: the body goes up with its framing',
      incoming: [['Host', 'gw'], ['Transfer-Encoding', 'chunked']],
      check: (out) => assert.deepEqual(out.get('transfer-encoding'), ['chunked']),
    },
    {
      name: 'never drops framing because Connection names it (a request-smuggling trick)',
      incoming: [['Host', 'gw'], ['Connection', 'content-length, transfer-encoding'], ['Content-Length', '3']],
      check: (out) => assert.deepEqual(out.get('content-length'), ['3']),
    },
  ];
  for (const c of cases) it(c.name, () => {
    const text = upstreamRequestFields(requestHead(c.incoming), '10.0.0.7', '/ml/llama');
    c.check(byName(text), text);
  });
});

describe('downstreamResponseFields', () => {
  const response = (fields: Array<[string, string]>) => parseResponseHead(['HTTP/1.1 200 OK', ...fields.map(([k, v]) => `${k}: ${v}`)].join('\r\n'));
  const cases: Array<{ name: string; fields: Array<[string, string]>; dropTransferCoding: boolean; want: Array<[string, string]> }> = [
    {
      name: 'keeps set-cookie lines and chunked framing, drops connection headers',
      fields: [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Transfer-Encoding', 'chunked'], ['Trailer', 'X-Sum'], ['Connection', 'close, X-Hop'], ['X-Hop', '1'], ['Keep-Alive', 'timeout=5'], ['Content-Type', 'text/event-stream']],
      dropTransferCoding: false,
      want: [['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'], ['Transfer-Encoding', 'chunked'], ['Trailer', 'X-Sum'], ['Content-Type', 'text/event-stream']],
    },
    {
      name: 'drops the chunked framing for an HTTP/1.0 client',
      fields: [['Transfer-Encoding', 'chunked'], ['Trailer', 'X-Sum'], ['Content-Type', 'text/plain']],
      dropTransferCoding: true,
      want: [['Content-Type', 'text/plain']],
    },
    {
      name: 'keeps Content-Length',
      fields: [['Content-Length', '5'], ['Content-Type', 'text/plain']],
      dropTransferCoding: false,
      want: [['Content-Length', '5'], ['Content-Type', 'text/plain']],
    },
    {
      name: 'drops a Content-Length that Transfer-Encoding overrides',
      fields: [['Content-Length', '5'], ['Transfer-Encoding', 'chunked']],
      dropTransferCoding: false,
      want: [['Transfer-Encoding', 'chunked']],
    },
  ];
  for (const c of cases) it(c.name, () => assert.deepEqual(lines(downstreamResponseFields(response(c.fields), c.dropTransferCoding)), c.want));
});
