import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { isQmError, type WatchEvent } from '@qm/api';
import { runStoreConformance } from './conformance.js';
import { ManualClock, job, node, withMeta, withSpec } from './conformance-helpers.js';
import { MIGRATIONS } from './sqlite/migrations.js';
import { openSqliteStore } from './sqlite-store.js';

const root = mkdtempSync(join(tmpdir(), 'qm-sqlite-store-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = (): string => join(root, `case-${++counter}`, 'state.db');

runStoreConformance('SqliteStore', async ({ clock, watchLogRetention }) => openSqliteStore(freshPath(), clock, { watchLogRetention }));

async function collect(store: Awaited<ReturnType<typeof openSqliteStore>>, opts: Parameters<typeof store.watch>[0]): Promise<string[]> {
  const events: WatchEvent[] = [];
  const handle = await store.watch(opts, (e) => events.push(e));
  handle.close();
  return events.map((e) => `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`);
}

describe('SqliteStore', () => {
  it('creates the parent directory, uses WAL and records applied migrations', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path, new ManualClock());
    await store.close();
    assert.ok(existsSync(path));
    const db = new Database(path, { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    const applied = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(applied, MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    db.close();
  });

  it('refuses a database whose schema is newer than this build', async () => {
    const path = freshPath();
    await (await openSqliteStore(path, new ManualClock())).close();
    const db = new Database(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (999, ?, 0)').run('from the future');
    db.close();
    await assert.rejects(openSqliteStore(path, new ManualClock()), (err: unknown) => isQmError(err, 'InternalError') && /newer/.test(err.message));
  });

  it('keeps objects, the resourceVersion sequence and the watch log across a reopen', async () => {
    const path = freshPath();
    const clock = new ManualClock();
    const first = await openSqliteStore(path, clock);
    await first.create(job('a'));
    const listedAt = await first.currentResourceVersion();
    const b = await first.create(job('b'));
    await first.update(withSpec(b, { workers: 2 }));
    await first.delete('TrainingJob', 'team-a', 'a');
    await first.addToken({ id: 't1', user: 'ana', groups: ['g'], secretSha256: 'a'.repeat(64), createdAtMs: 5 });
    const lastBefore = await first.currentResourceVersion();
    await first.close();

    const second = await openSqliteStore(path, clock);
    assert.equal(await second.currentResourceVersion(), lastBefore);
    assert.deepEqual((await second.list('TrainingJob')).items.map((o) => [o.metadata.name, o.spec.workers]), [['b', 2]]);
    assert.equal((await second.findTokenBySecretHash('a'.repeat(64)))?.user, 'ana');
    const replay = await collect(second, { resourceVersion: listedAt });
    assert.deepEqual(replay.map((e) => e.split('@')[0]), ['ADDED b', 'MODIFIED b', 'DELETED a']);
    const c = await second.create(job('c'));
    assert.equal(Number(c.metadata.resourceVersion), Number(lastBefore) + 1);
    await second.close();
  });

  it('replays selector transitions after a reopen, from the persisted previous states', async () => {
    const path = freshPath();
    const clock = new ManualClock();
    const first = await openSqliteStore(path, clock);
    await first.create(node('marker'));
    const start = await first.currentResourceVersion();
    const a = await first.create(withMeta(job('a'), { labels: { tier: 'silver' } }));
    const a2 = await first.update(withMeta(a, { labels: { tier: 'gold' } }));
    await first.update(withMeta(a2, { labels: { tier: 'bronze' } }));
    await first.close();
    const second = await openSqliteStore(path, clock);
    const replay = await collect(second, { labelSelector: 'tier=gold', resourceVersion: start });
    assert.deepEqual(replay.map((e) => e.split('@')[0]), ['ADDED a', 'DELETED a']);
    await second.close();
  });

  it('when a previous state was compacted away, a selector replay errs towards DELETED', async () => {
    const path = freshPath();
    const store = await openSqliteStore(path, new ManualClock(), { watchLogRetention: 3 });
    const a = await store.create(withMeta(job('a'), { labels: { tier: 'gold' } }));
    for (let i = 0; i < 5; i++) await store.create(node(`n-${i}`));
    const from = await store.currentResourceVersion();
    const a2 = await store.update(withMeta(a, { labels: { tier: 'silver' } })); // prev entry (a's ADDED) is gone
    await store.update(withSpec(a2, { workers: 9 })); // prev entry retained: neither matches, so nothing
    assert.deepEqual((await collect(store, { labelSelector: 'tier=gold', resourceVersion: from })).map((e) => e.split('@')[0]), ['DELETED a']);
    await store.close();
  });

  it('a committed write survives kill -9 of the writing process', async () => {
    const path = freshPath();
    const storeUrl = new URL('./index.js', import.meta.url).href;
    const script = `
      const { openSqliteStore } = await import(${JSON.stringify(storeUrl)});
      const store = await openSqliteStore(${JSON.stringify(path)}, { now: () => 0 });
      for (let i = 0; i < 50; i++) {
        await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns-' + i } });
      }
      process.stdout.write('committed\\n');
      setInterval(() => {}, 1000);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('committed')) resolve(); });
      child.on('exit', (code) => reject(new Error(`child exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const store = await openSqliteStore(path, new ManualClock());
    const listed = await store.list('Namespace');
    assert.equal(listed.items.length, 50);
    assert.equal(listed.resourceVersion, '50');
    assert.equal((await collect(store, { resourceVersion: '40' })).length, 10);
    await store.close();
  });
});
