import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { downstreamResponseHeaders, parseGatewayPath, upstreamRequestHeaders } from './proxy-headers.js';

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

describe('upstreamRequestHeaders', () => {
  const cases: Array<{ name: string; incoming: Record<string, string | string[]>; check: (out: Record<string, unknown>) => void }> = [
    {
      name: 'drops hop-by-hop headers, the Host and those the Connection header names',
      incoming: { host: 'gw:80', connection: 'keep-alive, X-Secret', 'keep-alive': 'timeout=5', 'x-secret': 's', te: 'trailers', 'transfer-encoding': 'chunked', upgrade: 'h2c', 'proxy-authorization': 'p', accept: 'application/json' },
      check: (out) => {
        for (const h of ['host', 'connection', 'keep-alive', 'x-secret', 'te', 'transfer-encoding', 'upgrade', 'proxy-authorization']) assert.equal(out[h], undefined, h);
        assert.equal(out.accept, 'application/json');
      },
    },
    {
      name: 'sets X-Forwarded-* on a first hop',
      incoming: { host: 'gw.example:8080' },
      check: (out) => {
        assert.equal(out['x-forwarded-for'], '10.0.0.7');
        assert.equal(out['x-forwarded-proto'], 'http');
        assert.equal(out['x-forwarded-host'], 'gw.example:8080');
        assert.equal(out['x-forwarded-prefix'], '/ml/llama');
      },
    },
    {
      name: 'appends to the X-Forwarded-For of a proxy in front and keeps its proto and host',
      incoming: { host: 'internal', 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'public.example' },
      check: (out) => {
        assert.equal(out['x-forwarded-for'], '1.2.3.4, 10.0.0.7');
        assert.equal(out['x-forwarded-proto'], 'https');
        assert.equal(out['x-forwarded-host'], 'public.example');
      },
    },
    {
      name: 'keeps content-length and end-to-end headers',
      incoming: { 'content-length': '12', 'content-type': 'text/plain', authorization: 'Bearer t' },
      check: (out) => {
        assert.equal(out['content-length'], '12');
        assert.equal(out.authorization, 'Bearer t');
      },
    },
  ];
  for (const c of cases) it(c.name, () => c.check(upstreamRequestHeaders(c.incoming, '10.0.0.7', '/ml/llama') as Record<string, unknown>));
});

describe('downstreamResponseHeaders', () => {
  it('keeps set-cookie lists and drops framing', () => {
    const out = downstreamResponseHeaders({ 'set-cookie': ['a=1', 'b=2'], 'transfer-encoding': 'chunked', connection: 'close', 'content-type': 'text/event-stream' });
    assert.deepEqual(out, { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/event-stream' });
  });
});
