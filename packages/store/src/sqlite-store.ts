import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '@qm/core';
import { BackendStore, resolveStoreOptions, type StoreOptions } from './base-store.js';
import { SqliteBackend } from './sqlite/sqlite-backend.js';

/**
 * The Store with Kubernetes semantics on one SQLite file: the default for `qm up`.
 * One process writes a file at a time (resourceVersions are assigned in-process).
 *
 * Example:
 * ```ts
 * const store = await openSqliteStore('/var/lib/qm/state.db', { now: () => Date.now() });
 * const { items, resourceVersion } = await store.list('Node');
 * ```
 */
export class SqliteStore extends BackendStore {
  constructor(readonly path: string, clock: Clock, opts?: StoreOptions) {
    super(openBackend(path, clock, opts), clock, opts);
  }
}

// Options are checked before the file is opened, so a bad option leaves no open handle.
function openBackend(path: string, clock: Clock, opts: StoreOptions | undefined): SqliteBackend {
  resolveStoreOptions(opts);
  return new SqliteBackend(path, clock.now());
}

/** Opens (creating the file, its parent directory and the schema as needed) a SQLite store. */
export async function openSqliteStore(path: string, clock: Clock, opts?: StoreOptions): Promise<SqliteStore> {
  if (path !== ':memory:' && path !== '') mkdirSync(dirname(path), { recursive: true });
  return new SqliteStore(path, clock, opts);
}
