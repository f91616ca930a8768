/**
 * The SQLite schema as numbered migrations. A database records what it has applied in
 * `schema_migrations`; opening applies the missing ones in order, in one transaction.
 * Never edit a released migration: add the next number.
 */
import type Database from 'better-sqlite3';
import { QmError } from '@qm/api';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'objects, watch log, owner index, tokens',
    sql: `
      -- One row per object; namespace is '' for cluster-scoped kinds. The primary key
      -- orders a kind's rows by (namespace, name), which is the list order.
      CREATE TABLE objects (
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        uid TEXT NOT NULL,
        resource_version INTEGER NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (kind, namespace, name)
      );
      -- Every write, in resourceVersion order. prev_rv is the resourceVersion of the
      -- object's previous state, whose own entry holds it (for selector watches on replay).
      CREATE TABLE watch_log (
        resource_version INTEGER PRIMARY KEY,
        type TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        prev_rv INTEGER,
        data TEXT NOT NULL
      );
      -- Which objects name which owner uid in metadata.ownerReferences (cascading delete).
      CREATE TABLE owner_refs (
        owner_uid TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        PRIMARY KEY (owner_uid, kind, namespace, name)
      ) WITHOUT ROWID;
      CREATE TABLE tokens (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        groups_json TEXT NOT NULL,
        secret_sha256 TEXT NOT NULL UNIQUE,
        created_at_ms INTEGER NOT NULL,
        description TEXT
      );
    `,
  },
];

/** Applies every migration newer than the database's; returns the versions applied. */
export function applyMigrations(db: Database.Database, nowMs: number, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at_ms INTEGER NOT NULL)`);
  const apply = db.transaction(() => {
    const applied = new Set((db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]));
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...migrations.map((m) => m.version));
    if (newest > known) {
      throw new QmError('InternalError', `the database schema is at version ${newest}, newer than this build knows (${known}); run a newer qm`);
    }
    const done: number[] = [];
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)');
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (applied.has(m.version)) continue;
      db.exec(m.sql);
      record.run(m.version, m.name, nowMs);
      done.push(m.version);
    }
    return done;
  });
  // IMMEDIATE takes the write lock first, so two processes opening one file cannot both migrate.
  return apply.immediate();
}
