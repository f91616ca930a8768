/**
 * A StorageBackend on one SQLite file through better-sqlite3 (synchronous). WAL with
 * synchronous=NORMAL: a committed write survives the process being killed. Every
 * statement is prepared once. Objects are stored as JSON text; reads parse fresh copies.
 */
import Database from 'better-sqlite3';
import type { ApiObject } from '@qm/api';
import type { TokenRecord } from '@qm/core';
import type { ObjectKey } from '../object-semantics.js';
import type { ChangeRecord, ChangeType, ScanFrom, StorageBackend } from '../storage-backend.js';
import { applyMigrations } from './migrations.js';

interface LogRow {
  resource_version: number;
  type: ChangeType;
  data: string;
  prev_rv: number | null;
  prev_data?: string | null;
}

interface TokenRow {
  id: string;
  user: string;
  groups_json: string;
  secret_sha256: string;
  created_at_ms: number;
  description: string | null;
}

const toToken = (row: TokenRow): TokenRecord => ({
  id: row.id, user: row.user, groups: JSON.parse(row.groups_json) as string[], secretSha256: row.secret_sha256,
  createdAtMs: row.created_at_ms, ...(row.description === null ? {} : { description: row.description }),
});

const ns = (obj: ApiObject): string => obj.metadata.namespace ?? '';

export class SqliteBackend implements StorageBackend {
  readonly freshReads = true;
  private readonly db: Database.Database;
  private readonly runInTransaction: (fn: () => unknown) => unknown;
  // The object a write just serialized: its log entry reuses the text instead of a second stringify.
  private lastSerialized: { obj: ApiObject; json: string } | undefined;
  private readonly stmt;

  constructor(path: string, nowMs: number) {
    this.db = new Database(path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('busy_timeout = 5000');
      this.db.pragma('cache_size = -32768');
      applyMigrations(this.db, nowMs);
    } catch (err) {
      this.db.close();
      throw err;
    }
    const db = this.db;
    const scanSql = (byNs: boolean, after: boolean, what: string, order: boolean): string =>
      `SELECT ${what} FROM objects WHERE kind = ?${byNs ? ' AND namespace = ?' : ''}${after ? ' AND (namespace, name) > (?, ?)' : ''}${order ? ' ORDER BY namespace, name' : ''}`;
    const logSql = (byKind: boolean, withPrev: boolean): string =>
      `SELECT l.resource_version, l.type, l.data, l.prev_rv${withPrev ? ', p.data AS prev_data' : ''}
       FROM watch_log l${withPrev ? ' LEFT JOIN watch_log p ON p.resource_version = l.prev_rv' : ''}
       WHERE l.resource_version > ?${byKind ? ' AND l.kind = ?' : ''} ORDER BY l.resource_version LIMIT ?`;
    this.stmt = {
      get: db.prepare('SELECT data FROM objects WHERE kind = ? AND namespace = ? AND name = ?').pluck(),
      insert: db.prepare(`INSERT INTO objects (kind, namespace, name, uid, resource_version, data) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT (kind, namespace, name) DO NOTHING`),
      update: db.prepare('UPDATE objects SET resource_version = ?, data = ? WHERE kind = ? AND namespace = ? AND name = ?'),
      delete: db.prepare('DELETE FROM objects WHERE kind = ? AND namespace = ? AND name = ?'),
      addOwner: db.prepare('INSERT OR IGNORE INTO owner_refs (owner_uid, kind, namespace, name) VALUES (?, ?, ?, ?)'),
      dropOwner: db.prepare('DELETE FROM owner_refs WHERE owner_uid = ? AND kind = ? AND namespace = ? AND name = ?'),
      dependents: db.prepare('SELECT kind, namespace, name FROM owner_refs WHERE owner_uid = ?'),
      inNamespace: db.prepare('SELECT kind, namespace, name FROM objects WHERE namespace = ?'),
      scan: [false, true].map((byNs) => [false, true].map((after) => db.prepare(scanSql(byNs, after, 'data', true)).pluck())),
      count: [false, true].map((byNs) => [false, true].map((after) => db.prepare(scanSql(byNs, after, 'count(*)', false)).pluck())),
      appendLog: db.prepare('INSERT INTO watch_log (resource_version, type, kind, namespace, name, prev_rv, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      trimLog: db.prepare('DELETE FROM watch_log WHERE resource_version <= ?'),
      readLog: [false, true].map((byKind) => [false, true].map((withPrev) => db.prepare(logSql(byKind, withPrev)))),
      maxLog: db.prepare('SELECT max(resource_version) FROM watch_log').pluck(),
      minLog: db.prepare('SELECT min(resource_version) FROM watch_log').pluck(),
      maxObject: db.prepare('SELECT max(resource_version) FROM objects').pluck(),
      addToken: db.prepare(`INSERT INTO tokens (id, user, groups_json, secret_sha256, created_at_ms, description)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      tokenById: db.prepare('SELECT 1 FROM tokens WHERE id = ?').pluck(),
      tokenBySecret: db.prepare('SELECT * FROM tokens WHERE secret_sha256 = ?'),
      listTokens: db.prepare('SELECT * FROM tokens ORDER BY id'),
      removeToken: db.prepare('DELETE FROM tokens WHERE id = ?'),
    };
    this.runInTransaction = db.transaction((fn: () => unknown) => fn());
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.runInTransaction(fn) as T;
    } finally {
      this.lastSerialized = undefined;
    }
  }

  lastResourceVersion(): number {
    return Math.max((this.stmt.maxLog.get() as number | null) ?? 0, (this.stmt.maxObject.get() as number | null) ?? 0);
  }

  oldestLogResourceVersion(): number | undefined {
    return (this.stmt.minLog.get() as number | null) ?? undefined;
  }

  get(kind: string, namespace: string, name: string): ApiObject | undefined {
    const data = this.stmt.get.get(kind, namespace, name) as string | undefined;
    return data === undefined ? undefined : JSON.parse(data) as ApiObject;
  }

  private serialize(obj: ApiObject): string {
    if (this.lastSerialized?.obj === obj) return this.lastSerialized.json;
    const json = JSON.stringify(obj);
    this.lastSerialized = { obj, json };
    return json;
  }

  private indexOwners(obj: ApiObject, add: boolean): void {
    const refs = obj.metadata.ownerReferences;
    if (!refs) return;
    const stmt = add ? this.stmt.addOwner : this.stmt.dropOwner;
    for (const ref of refs) stmt.run(ref.uid, obj.kind, ns(obj), obj.metadata.name);
  }

  insert(obj: ApiObject): boolean {
    const m = obj.metadata;
    const info = this.stmt.insert.run(obj.kind, ns(obj), m.name, m.uid, Number(m.resourceVersion), this.serialize(obj));
    if (info.changes === 0) return false;
    this.indexOwners(obj, true);
    return true;
  }

  replace(prev: ApiObject, next: ApiObject): void {
    this.stmt.update.run(Number(next.metadata.resourceVersion), this.serialize(next), next.kind, ns(next), next.metadata.name);
    const before = prev.metadata.ownerReferences?.map((r) => r.uid).join('\n') ?? '';
    const after = next.metadata.ownerReferences?.map((r) => r.uid).join('\n') ?? '';
    if (before !== after) {
      this.indexOwners(prev, false);
      this.indexOwners(next, true);
    }
  }

  remove(obj: ApiObject): void {
    this.stmt.delete.run(obj.kind, ns(obj), obj.metadata.name);
    this.indexOwners(obj, false);
  }

  dependentsOf(ownerUid: string): ObjectKey[] {
    return this.stmt.dependents.all(ownerUid) as ObjectKey[];
  }

  keysInNamespace(namespace: string): ObjectKey[] {
    return this.stmt.inNamespace.all(namespace) as ObjectKey[];
  }

  private params(kind: string, namespace: string | undefined, from: ScanFrom | undefined): unknown[] {
    const params: unknown[] = [kind];
    if (namespace !== undefined) params.push(namespace);
    if (from !== undefined) params.push(from.namespace, from.name);
    return params;
  }

  scan(kind: string, namespace: string | undefined, from: ScanFrom | undefined, visit: (obj: ApiObject) => boolean): void {
    const stmt = this.stmt.scan[namespace === undefined ? 0 : 1][from === undefined ? 0 : 1];
    for (const data of stmt.iterate(...this.params(kind, namespace, from)) as IterableIterator<string>) {
      if (!visit(JSON.parse(data) as ApiObject)) break;
    }
  }

  count(kind: string, namespace: string | undefined, from: ScanFrom | undefined): number {
    const stmt = this.stmt.count[namespace === undefined ? 0 : 1][from === undefined ? 0 : 1];
    return stmt.get(...this.params(kind, namespace, from)) as number;
  }

  appendLog(record: ChangeRecord): void {
    const obj = record.object;
    const prevRv = record.prev?.metadata.resourceVersion;
    this.stmt.appendLog.run(record.resourceVersion, record.type, obj.kind, ns(obj), obj.metadata.name,
      prevRv === undefined ? null : Number(prevRv), this.serialize(obj));
  }

  trimLog(upTo: number): void {
    this.stmt.trimLog.run(upTo);
  }

  readLog(after: number, limit: number, kind: string | undefined, withPrev: boolean): ChangeRecord[] {
    const stmt = this.stmt.readLog[kind === undefined ? 0 : 1][withPrev ? 1 : 0];
    const rows = (kind === undefined ? stmt.all(after, limit) : stmt.all(after, kind, limit)) as LogRow[];
    return rows.map((row) => {
      const record: ChangeRecord = { resourceVersion: row.resource_version, type: row.type, object: JSON.parse(row.data) as ApiObject, prevKnown: true };
      if (withPrev && row.prev_rv !== null) {
        if (row.prev_data == null) record.prevKnown = false;
        else record.prev = JSON.parse(row.prev_data) as ApiObject;
      }
      return record;
    });
  }

  addToken(token: TokenRecord): 'added' | 'duplicate-id' | 'duplicate-secret' {
    if (this.stmt.tokenById.get(token.id) !== undefined) return 'duplicate-id';
    const info = this.stmt.addToken.run(token.id, token.user, JSON.stringify(token.groups), token.secretSha256,
      token.createdAtMs, token.description ?? null);
    return info.changes === 0 ? 'duplicate-secret' : 'added';
  }

  findTokenBySecretHash(secretSha256: string): TokenRecord | undefined {
    const row = this.stmt.tokenBySecret.get(secretSha256) as TokenRow | undefined;
    return row === undefined ? undefined : toToken(row);
  }

  listTokens(): TokenRecord[] {
    return (this.stmt.listTokens.all() as TokenRow[]).map(toToken);
  }

  removeToken(id: string): boolean {
    return this.stmt.removeToken.run(id).changes > 0;
  }

  close(): void {
    this.db.close();
  }
}
