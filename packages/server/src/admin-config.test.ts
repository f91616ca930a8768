import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TokenRecord, TokenStore } from '@qm/core';
import { ensureAdminConfig } from './admin-config.js';
import { hashSecret } from './auth.js';

function memoryTokens(): TokenStore & { records: TokenRecord[] } {
  const records: TokenRecord[] = [];
  return {
    records,
    addToken: async (r) => void records.push(r),
    findTokenBySecretHash: async (h) => records.find((r) => r.secretSha256 === h),
    listTokens: async () => [...records],
    removeToken: async () => false,
  };
}

test('ensureAdminConfig', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'qm-admin-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));

  await t.test('first start mints an admin token and writes a 0600 file in a 0700 dir', async () => {
    const tokens = memoryTokens();
    const configPath = join(dir, 'first', 'config.json');
    const result = await ensureAdminConfig({ tokens, configPath, serverUrl: 'http://127.0.0.1:1', nowMs: 5 });
    assert.equal(result.minted, true);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    assert.deepEqual(config, { server: 'http://127.0.0.1:1', token: result.token });
    assert.equal(tokens.records.length, 1);
    assert.deepEqual([tokens.records[0].user, tokens.records[0].groups], ['admin', ['system:masters']]);
    assert.equal(tokens.records[0].secretSha256, hashSecret(result.token));
    assert.equal((await stat(configPath)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'first'))).mode & 0o777, 0o700);
  });

  await t.test('a valid token is kept; only server changes and other keys survive', async () => {
    const tokens = memoryTokens();
    const configPath = join(dir, 'keep', 'config.json');
    const first = await ensureAdminConfig({ tokens, configPath, serverUrl: 'http://127.0.0.1:1', nowMs: 5 });
    const withExtra = { ...JSON.parse(await readFile(configPath, 'utf8')), namespace: 'team-a' };
    await writeFile(configPath, JSON.stringify(withExtra));
    const second = await ensureAdminConfig({ tokens, configPath, serverUrl: 'http://127.0.0.1:2', nowMs: 6 });
    assert.equal(second.minted, false);
    assert.equal(second.token, first.token);
    assert.equal(tokens.records.length, 1);
    assert.deepEqual(JSON.parse(await readFile(configPath, 'utf8')), { server: 'http://127.0.0.1:2', token: first.token, namespace: 'team-a' });
  });

  await t.test('a token unknown to this data dir is replaced', async () => {
    const tokens = memoryTokens();
    const configPath = join(dir, 'stale', 'config.json');
    await mkdir(join(dir, 'stale'));
    await writeFile(configPath, JSON.stringify({ server: 'http://old', token: 'qm_from_another_data_dir' }));
    const result = await ensureAdminConfig({ tokens, configPath, serverUrl: 'http://127.0.0.1:3', nowMs: 7 });
    assert.equal(result.minted, true);
    assert.notEqual(result.token, 'qm_from_another_data_dir');
    assert.equal(JSON.parse(await readFile(configPath, 'utf8')).token, result.token);
    assert.equal((await stat(configPath)).mode & 0o777, 0o600);
  });

  await t.test('a config that is not JSON is replaced', async () => {
    const tokens = memoryTokens();
    const configPath = join(dir, 'garbage', 'config.json');
    await mkdir(join(dir, 'garbage'));
    await writeFile(configPath, 'not json');
    const result = await ensureAdminConfig({ tokens, configPath, serverUrl: 'http://x', nowMs: 7 });
    assert.equal(result.minted, true);
    assert.equal(JSON.parse(await readFile(configPath, 'utf8')).server, 'http://x');
  });
});
