import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { QmError } from '@qm/api';
import { createReplicaLogSource, pickReplica, replicaLogPath, type LiveReplica } from './replica-log-source.js';
import { QM, startTestServer } from './test-support.js';

const live: LiveReplica[] = [
  { id: 'chat-b', ready: true },
  { id: 'chat-a', ready: false },
  { id: 'chat-c', ready: true },
];

describe('pickReplica', () => {
  const cases: Array<{ name: string; live: LiveReplica[]; recorded: string[]; requested?: string; want?: string | RegExp }> = [
    { name: 'no flag: the first ready replica by name', live, recorded: [], want: 'chat-b' },
    { name: 'no flag, none ready: the first live one', live: [{ id: 'x-2', ready: false }, { id: 'x-1', ready: false }], recorded: [], want: 'x-1' },
    { name: 'no flag, none live: the only recorded one', live: [], recorded: ['old-0'], want: 'old-0' },
    { name: 'no flag, none live, several recorded: nothing to pick', live: [], recorded: ['a', 'b'], want: undefined },
    { name: 'an index counts live replicas in name order', live, recorded: [], requested: '2', want: 'chat-c' },
    { name: 'a live replica by name', live, recorded: [], requested: 'chat-a', want: 'chat-a' },
    { name: 'a stopped replica whose log is recorded', live, recorded: ['chat-old'], requested: 'chat-old', want: 'chat-old' },
    { name: 'an index past the end is NotFound listing the replicas', live, recorded: [], requested: '3', want: /no replica "3"; live replicas: 0=chat-a, 1=chat-b, 2=chat-c/ },
    { name: 'an unknown name is NotFound', live: [], recorded: [], requested: 'nope', want: /no replica "nope"; live replicas: none/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.want instanceof RegExp) {
        assert.throws(() => pickReplica(c.live, c.recorded, c.requested, 'md'), (err: unknown) => err instanceof QmError && err.code === 'NotFound' && (c.want as RegExp).test(err.message));
      } else {
        assert.equal(pickReplica(c.live, c.recorded, c.requested, 'md'), c.want);
      }
    });
  }
});

async function readAll(stream: Readable): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  return text;
}

describe('createReplicaLogSource', () => {
  it('reads a replica log, follows it until the replica is gone, and serves it at modeldeployments/NAME/log', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'qm-replica-logs-'));
    let replicas: LiveReplica[] = [{ id: 'chat-r1-0', ready: true }, { id: 'chat-r1-1', ready: true }];
    const source = createReplicaLogSource({ dataDir, replicas: () => replicas, pollIntervalMs: 10 });
    for (const [id, text] of [['chat-r1-0', 'zero: loaded\n'], ['chat-r1-1', 'one: loaded\n']]) {
      const path = replicaLogPath(dataDir, 'team-a', 'chat', id);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
    }
    const server = await startTestServer({ memory: true, logSource: source });
    try {
      assert.equal(await source.open({ namespace: 'team-a', name: 'chat', follow: false }), 'zero: loaded\n');
      assert.equal(await source.open({ namespace: 'team-a', name: 'chat', replica: '1', follow: false }), 'one: loaded\n');
      assert.equal(await source.open({ namespace: 'team-a', name: 'other', follow: false }), undefined, 'no replica, no log');

      const stream = await source.open({ namespace: 'team-a', name: 'chat', replica: 'chat-r1-1', follow: true }) as Readable;
      const all = readAll(stream);
      await new Promise((r) => setTimeout(r, 50));
      appendFileSync(replicaLogPath(dataDir, 'team-a', 'chat', 'chat-r1-1'), 'one: served 3\n');
      await new Promise((r) => setTimeout(r, 50));
      replicas = [replicas[0]!]; // chat-r1-1 stopped: the stream ends after its last line
      assert.equal(await all, 'one: loaded\none: served 3\n');

      // Through the route: the object must exist, and ?replica reaches the source.
      const md = { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'team-a' },
        spec: { replicas: 2, command: ['python3', 'serve.py'], port: 8000 } };
      assert.equal((await server.call('POST', `${QM}/namespaces/team-a/modeldeployments`, md)).statusCode, 201);
      const res = await server.call('GET', `${QM}/namespaces/team-a/modeldeployments/chat/log?replica=chat-r1-1`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.body, 'one: loaded\none: served 3\n');
      const missing = await server.call('GET', `${QM}/namespaces/team-a/modeldeployments/chat/log?replica=7`);
      assert.equal(missing.statusCode, 404);
      assert.match(JSON.parse(missing.body).message, /no replica "7"; live replicas: 0=chat-r1-0/);
    } finally {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
