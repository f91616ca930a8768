import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQmError } from '@qm/api';
import type { TokenRecord, TokenStore } from '@qm/core';
import { authenticate, describeRequest, hashSecret, mastersOnlyAuthorizer, mintToken } from './auth.js';

function tokenStoreWith(records: TokenRecord[]): TokenStore {
  return {
    addToken: async (r) => void records.push(r),
    findTokenBySecretHash: async (h) => records.find((r) => r.secretSha256 === h),
    listTokens: async () => [...records],
    removeToken: async () => false,
  };
}

test('mintToken: qm_ + 32 random bytes base64url, only the hash is in the record', () => {
  const { secret, record } = mintToken('alice', ['team-a'], { nowMs: 1234 });
  assert.match(secret, /^qm_[A-Za-z0-9_-]{43}$/);
  assert.equal(record.secretSha256, hashSecret(secret));
  assert.equal(JSON.stringify(record).includes(secret), false);
  assert.deepEqual({ user: record.user, groups: record.groups, createdAtMs: record.createdAtMs }, { user: 'alice', groups: ['team-a'], createdAtMs: 1234 });
  assert.notEqual(mintToken('alice', []).secret, secret);
});

test('authenticate', async (t) => {
  const { secret, record } = mintToken('alice', ['team-a']);
  const tokens = tokenStoreWith([record]);
  const cases: Array<{ name: string; header: string | undefined; want: string | 'Unauthorized' }> = [
    { name: 'valid bearer token', header: `Bearer ${secret}`, want: 'alice' },
    { name: 'scheme is case-insensitive', header: `bearer ${secret}`, want: 'alice' },
    { name: 'missing header', header: undefined, want: 'Unauthorized' },
    { name: 'unknown token', header: 'Bearer qm_nope', want: 'Unauthorized' },
    { name: 'basic auth', header: 'Basic YWxpY2U6cHc=', want: 'Unauthorized' },
    { name: 'empty bearer', header: 'Bearer ', want: 'Unauthorized' },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      if (c.want === 'Unauthorized') {
        await assert.rejects(authenticate(c.header, tokens), (err: unknown) => isQmError(err, 'Unauthorized'));
      } else {
        assert.deepEqual(await authenticate(c.header, tokens), { name: c.want, groups: ['team-a'] });
      }
    });
  }
});

test('mastersOnlyAuthorizer', async (t) => {
  const resource = { group: 'ml.quartermaster.dev', plural: 'trainingjobs', name: 'bert' };
  const cases = [
    { name: 'system:masters may create', groups: ['system:masters'], want: true },
    { name: 'others may not', groups: ['team-a'], want: false },
    { name: 'no groups may not', groups: [], want: false },
  ];
  for (const c of cases) {
    await t.test(c.name, async () => {
      const decision = await mastersOnlyAuthorizer.authorize({ name: 'u', groups: c.groups }, 'create', resource, 'team-a');
      assert.equal(decision.allowed, c.want);
      assert.ok(decision.reason.length > 0);
    });
  }
});

test('describeRequest names verb, resource, name and namespace', () => {
  assert.equal(describeRequest('create', { group: 'ml.quartermaster.dev', plural: 'trainingjobs', name: 'bert' }, 'team-a'),
    'create trainingjobs.ml.quartermaster.dev "bert" in namespace "team-a"');
  assert.equal(describeRequest('patch', { group: '', plural: 'namespaces', subresource: 'status', name: 'x' }),
    'patch namespaces/status "x" at the cluster scope');
  assert.equal(describeRequest('get', { group: '', plural: '', nonResourcePath: '/metrics' }), 'get path /metrics');
});
