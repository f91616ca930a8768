import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CliError, EXIT_USAGE } from './errors.js';
import { resolveConfig } from './config.js';

const FILE = JSON.stringify({ server: 'http://file:1', token: 'file-token' });

function files(map: Record<string, string>): (path: string) => string {
  return (path) => {
    if (path in map) return map[path];
    throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
  };
}

test('resolveConfig: flags beat env, env beats $QM_HOME/config.json, each value on its own', () => {
  const cases: [string, { server?: string; token?: string }, Record<string, string>, Record<string, string>, [string, string | undefined], [string, string]][] = [
    ['flags win', { server: 'http://flag:1', token: 'flag-token' }, { QM_SERVER: 'http://env:1', QM_TOKEN: 'env-token', QM_HOME: '/h' }, { '/h/config.json': FILE },
      ['http://flag:1', 'flag-token'], ['flag', 'flag']],
    ['env over file', {}, { QM_SERVER: 'http://env:1', QM_TOKEN: 'env-token', QM_HOME: '/h' }, { '/h/config.json': FILE },
      ['http://env:1', 'env-token'], ['env', 'env']],
    ['file fills the gaps', { server: 'http://flag:1' }, { QM_HOME: '/h' }, { '/h/config.json': FILE },
      ['http://flag:1', 'file-token'], ['flag', 'file']],
    ['QM_HOME defaults to ~/.qm', {}, {}, { '/home/u/.qm/config.json': FILE },
      ['http://file:1', 'file-token'], ['file', 'file']],
    ['nothing anywhere', {}, { QM_HOME: '/empty' }, {},
      ['http://127.0.0.1:7070', undefined], ['default', 'none']],
    ['blank env values are ignored, trailing slash trimmed', {}, { QM_SERVER: '  ', QM_TOKEN: '', QM_HOME: '/h' }, { '/h/config.json': JSON.stringify({ server: 'http://file:1/' }) },
      ['http://file:1', undefined], ['file', 'none']],
  ];
  for (const [name, flags, env, fileMap, [server, token], [serverSource, tokenSource]] of cases) {
    const cfg = resolveConfig({ flags, env, readFile: files(fileMap), homeDir: '/home/u' });
    assert.equal(cfg.server, server, name);
    assert.equal(cfg.token, token, name);
    assert.deepEqual(cfg.sources, { server: serverSource, token: tokenSource }, name);
  }
});

test('resolveConfig does not read the file when flags and env say everything', () => {
  const cfg = resolveConfig({ flags: { server: 'http://a:1' }, env: { QM_TOKEN: 't' }, readFile: () => { throw new Error('read'); } });
  assert.equal(cfg.token, 't');
});

test('a malformed config.json is a usage error naming the file', () => {
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{server:', /\/h\/config\.json is not valid JSON/],
    ['not an object', '[1]', /\/h\/config\.json must hold a JSON object/],
  ];
  for (const [name, text, want] of cases) {
    assert.throws(() => resolveConfig({ flags: {}, env: { QM_HOME: '/h' }, readFile: files({ '/h/config.json': text }) }),
      (err: unknown) => err instanceof CliError && err.exitCode === EXIT_USAGE && want.test(err.message), name);
  }
});
