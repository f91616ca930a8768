import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { WatchEvent } from '@qm/api';
import { MemoryStore } from '@qm/store';
import { mintToken } from './auth.js';
import { createServer } from './server.js';
import { QM, startTestServer } from './test-support.js';
import type { TestServer } from './test-support.js';

let s: TestServer;
let base: string;
before(async () => {
  s = await startTestServer();
  await s.app.listen({ port: 0, host: '127.0.0.1' });
  const address = s.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
after(() => s.close());

const queue = (name: string, weight = 1) => ({
  apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name }, spec: { namespaces: [name], weight },
});

/** Opens a watch and returns a reader of its lines. */
function openWatch(path: string, token: string) {
  return openWatchAt(base, path, token);
}

async function openWatchAt(server: string, path: string, token: string) {
  const controller = new AbortController();
  const res = await fetch(`${server}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: controller.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  return {
    res,
    async next(): Promise<WatchEvent> {
      for (;;) {
        const newline = buffered.indexOf('\n');
        if (newline >= 0) {
          const line = buffered.slice(0, newline);
          buffered = buffered.slice(newline + 1);
          return JSON.parse(line) as WatchEvent;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('watch stream ended');
        buffered += decoder.decode(value, { stream: true });
      }
    },
    close() { controller.abort(); },
  };
}

const post = (path: string, body: unknown) => s.call('POST', path, body);

test('watch streams ADDED, MODIFIED and DELETED in order, and resumes from a resourceVersion', async () => {
  const startRv = (await s.call('GET', `${QM}/queues`)).json().metadata.resourceVersion as string;
  const watch = await openWatch(`${QM}/queues?watch=true&resourceVersion=${startRv}`, s.adminToken);
  assert.equal(watch.res.status, 200);
  assert.match(watch.res.headers.get('content-type') ?? '', /application\/json/);

  assert.equal((await post(`${QM}/queues`, queue('w1'))).statusCode, 201);
  assert.equal((await s.call('PATCH', `${QM}/queues/w1`, { spec: { weight: 5 } })).statusCode, 200);
  assert.equal((await s.call('DELETE', `${QM}/queues/w1`)).statusCode, 200);

  const events = [await watch.next(), await watch.next(), await watch.next()];
  assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name]), [['ADDED', 'w1'], ['MODIFIED', 'w1'], ['DELETED', 'w1']]);
  assert.equal(events[1].object.spec.weight, 5);
  watch.close();

  // Resume after the ADDED: the MODIFIED and DELETED come again.
  const resumed = await openWatch(`${QM}/queues?watch=true&resourceVersion=${events[0].object.metadata.resourceVersion}`, s.adminToken);
  assert.deepEqual([(await resumed.next()).type, (await resumed.next()).type], ['MODIFIED', 'DELETED']);
  resumed.close();
});

test('watch without a resourceVersion starts with the current objects as ADDED', async () => {
  await post(`${QM}/namespaces/team-a/trainingjobs`, {
    apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'existing' },
    spec: { workers: 1, gpusPerWorker: 0, command: ['true'] },
  });
  const watch = await openWatch(`${QM}/namespaces/team-a/trainingjobs?watch=1`, s.adminToken);
  const first = await watch.next();
  assert.deepEqual([first.type, first.object.metadata.name], ['ADDED', 'existing']);
  watch.close();
});

test('watch filters by namespace and label selector', async () => {
  const startRv = (await s.call('GET', `${QM}/queues`)).json().metadata.resourceVersion as string;
  const watch = await openWatch(`${QM}/queues?watch=true&resourceVersion=${startRv}&labelSelector=pick%3Dme`, s.adminToken);
  await post(`${QM}/queues`, queue('skip-me'));
  await post(`${QM}/queues`, { ...queue('pick'), metadata: { name: 'pick', labels: { pick: 'me' } } });
  const event = await watch.next();
  assert.equal(event.object.metadata.name, 'pick');
  watch.close();
});

test('watch from a compacted resourceVersion → 410 Expired Status, before any line', async () => {
  const small = await watchServer({ watchLogRetention: 2 });
  try {
    const first = await small.create('old-0');
    for (let i = 1; i <= 5; i++) await small.create(`old-${i}`);
    const res = await fetch(`${small.base}${QM}/queues?watch=true&resourceVersion=${first.metadata.resourceVersion}`, { headers: small.headers });
    assert.equal(res.status, 410);
    const status = (await res.json()) as { kind: string; reason: string; code: number };
    assert.deepEqual([status.kind, status.reason, status.code], ['Status', 'Expired', 410]);
  } finally {
    await small.close();
  }
});

test('a client that disconnects releases its store watch; closing the server ends open watches', async () => {
  const w = await watchServer({});
  try {
    const first = await openWatchAt(w.base, `${QM}/queues?watch=true`, w.token);
    assert.equal(w.openWatches(), 1);
    first.close();
    for (let i = 0; i < 1000 && w.openWatches() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    assert.equal(w.openWatches(), 0, 'the store watch is closed after the client disconnects');

    const second = await openWatchAt(w.base, `${QM}/queues?watch=true`, w.token);
    await w.create('live');
    assert.equal((await second.next()).object.metadata.name, 'live');
    await w.app.close();
    await assert.rejects(second.next(), /watch stream ended/);
    assert.equal(w.openWatches(), 0);
  } finally {
    await w.close();
  }
});

/** A listening server over a MemoryStore whose open watch handles are counted. */
async function watchServer(opts: { watchLogRetention?: number }) {
  const clock = { now: () => Date.now() };
  const store = new MemoryStore(clock, opts);
  let open = 0;
  const realWatch = store.watch.bind(store);
  store.watch = async (o, onEvent) => {
    const handle = await realWatch(o, onEvent);
    open++;
    let closed = false;
    return { close() { if (!closed) { closed = true; open--; } handle.close(); } };
  };
  const { secret, record } = mintToken('admin', ['system:masters']);
  await store.addToken(record);
  const app = createServer({ store, clock, processMetrics: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return {
    app, base, token: secret, headers: { authorization: `Bearer ${secret}` },
    openWatches: () => open,
    create: (name: string) => store.create(queue(name)),
    async close() { await app.close(); await store.close(); },
  };
}
