/**
 * The Store and TokenStore ports over any synchronous StorageBackend: the async surface,
 * defensive copies, watch registration and replay, and option checks. Backends supply
 * storage only; every semantic rule lives in write-engine, object-semantics and watch-*.
 */
import { QmError, type ApiObject, type WatchEvent } from '@qm/api';
import type {
  Clock, DeleteOptions, ListOptions, ListResult, Store, TokenRecord, TokenStore, UpdateOptions,
  WatchHandle, WatchOptions,
} from '@qm/core';
import { cloneJson } from './json-value.js';
import { listPage } from './list-page.js';
import type { StorageBackend } from './storage-backend.js';
import { makeWatchFilter } from './watch-filter.js';
import { WatchHub, Watcher } from './watch-hub.js';
import { WriteEngine } from './write-engine.js';

export interface StoreOptions {
  /** Watch log entries kept for resuming watches (default 100_000, at least 1). */
  watchLogRetention?: number;
}

export const DEFAULT_WATCH_LOG_RETENTION = 100_000;
const REPLAY_CHUNK = 1000;

export function resolveStoreOptions(opts: StoreOptions | undefined): Required<StoreOptions> {
  const retention = opts?.watchLogRetention ?? DEFAULT_WATCH_LOG_RETENTION;
  if (!Number.isInteger(retention) || retention < 1) {
    throw new QmError('Invalid', `store option watchLogRetention must be an integer ≥ 1, got ${String(retention)}`, {
      causes: [{ field: 'watchLogRetention', message: 'must be an integer ≥ 1', reason: 'FieldValueInvalid' }],
    });
  }
  return { watchLogRetention: retention };
}

function parseWatchVersion(text: string | undefined): number | undefined {
  if (text === undefined || text === '' || text === '0') return undefined;
  if (!/^\d+$/.test(text)) {
    throw new QmError('BadRequest', `resourceVersion must be a decimal number, got "${text}"`, {
      causes: [{ field: 'resourceVersion', message: 'must be a decimal number', reason: 'FieldValueInvalid' }],
    });
  }
  return Number(text);
}

function checkToken(token: TokenRecord): void {
  const causes: { field: string; message: string; reason: string }[] = [];
  const need = (ok: boolean, field: string, message: string): void => {
    if (!ok) causes.push({ field, message, reason: 'FieldValueInvalid' });
  };
  need(typeof token.id === 'string' && token.id !== '', 'id', 'is required');
  need(typeof token.user === 'string' && token.user !== '', 'user', 'is required');
  need(Array.isArray(token.groups) && token.groups.every((g) => typeof g === 'string'), 'groups', 'must be a list of strings');
  need(typeof token.secretSha256 === 'string' && /^[0-9a-f]{64}$/.test(token.secretSha256), 'secretSha256', 'must be 64 lowercase hex digits');
  need(Number.isFinite(token.createdAtMs), 'createdAtMs', 'must be a number');
  need(token.description === undefined || typeof token.description === 'string', 'description', 'must be a string');
  if (causes.length > 0) {
    throw new QmError('Invalid', `token is invalid: ${causes.map((c) => `${c.field} ${c.message}`).join('; ')}`, { causes });
  }
}

export class BackendStore implements Store, TokenStore {
  protected readonly engine: WriteEngine;
  private readonly hub = new WatchHub();
  private closed = false;

  constructor(protected readonly backend: StorageBackend, clock: Clock, opts?: StoreOptions) {
    const { watchLogRetention } = resolveStoreOptions(opts);
    this.engine = new WriteEngine(backend, clock, {
      watchLogRetention,
      onCommit: (changes) => this.hub.publish(changes),
    });
  }

  private ensureOpen(): void {
    if (this.closed) throw new QmError('ServiceUnavailable', 'the store is closed');
  }

  private copyOut(obj: ApiObject): ApiObject {
    return this.backend.freshReads ? obj : cloneJson(obj);
  }

  async create(obj: ApiObject): Promise<ApiObject> {
    this.ensureOpen();
    return cloneJson(this.engine.create(obj));
  }

  async get(kind: string, namespace: string | undefined, name: string): Promise<ApiObject | undefined> {
    this.ensureOpen();
    const obj = this.backend.get(kind, namespace ?? '', name);
    return obj === undefined ? undefined : this.copyOut(obj);
  }

  async list(kind: string, opts: ListOptions = {}): Promise<ListResult> {
    this.ensureOpen();
    return listPage(this.backend, kind, opts, this.engine.lastResourceVersion);
  }

  async update(obj: ApiObject, opts?: UpdateOptions): Promise<ApiObject> {
    this.ensureOpen();
    return cloneJson(this.engine.update(obj, opts));
  }

  async delete(kind: string, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<ApiObject> {
    this.ensureOpen();
    return cloneJson(this.engine.delete({ kind, namespace: namespace ?? '', name }, opts));
  }

  async currentResourceVersion(): Promise<string> {
    this.ensureOpen();
    return String(this.engine.lastResourceVersion);
  }

  async watch(opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<WatchHandle> {
    this.ensureOpen();
    const filter = makeWatchFilter(opts);
    const from = parseWatchVersion(opts.resourceVersion);
    const last = this.engine.lastResourceVersion;
    if (from === undefined) {
      const watcher = new Watcher(filter, onEvent, last, false);
      this.hub.add(watcher);
      return { close: () => this.hub.remove(watcher) };
    }
    this.checkReplayable(from, last);
    const watcher = new Watcher(filter, onEvent, from, true);
    // Registered before the replay so that changes made by callbacks during it are kept.
    this.hub.add(watcher);
    let after = from;
    for (;;) {
      if (this.closed || watcher.closed) break;
      const chunk = this.backend.readLog(after, REPLAY_CHUNK, opts.kind, filter.selective);
      for (const record of chunk) watcher.deliver(record);
      if (chunk.length < REPLAY_CHUNK) break;
      after = chunk[chunk.length - 1].resourceVersion;
    }
    watcher.finishReplay();
    return { close: () => this.hub.remove(watcher) };
  }

  private checkReplayable(from: number, last: number): void {
    const relist = 'list again and watch from the list\'s resourceVersion';
    if (from > last) {
      throw new QmError('Gone', `resourceVersion ${from} is newer than the store's newest (${last}); ${relist}`);
    }
    const oldest = this.engine.oldestRetainedResourceVersion;
    if (from < last && (oldest === undefined || from < oldest - 1)) {
      throw new QmError('Gone', `resourceVersion ${from} is too old (oldest retained is ${oldest ?? last + 1}); ${relist}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.closeAll();
    this.backend.close();
  }

  async addToken(token: TokenRecord): Promise<void> {
    this.ensureOpen();
    checkToken(token);
    const outcome = this.backend.addToken({ ...token, groups: [...token.groups] });
    if (outcome === 'duplicate-id') throw new QmError('AlreadyExists', `token "${token.id}" already exists`, { name: token.id });
    if (outcome === 'duplicate-secret') throw new QmError('AlreadyExists', `a token with the same secret already exists (new id "${token.id}")`, { name: token.id });
  }

  async findTokenBySecretHash(secretSha256: string): Promise<TokenRecord | undefined> {
    this.ensureOpen();
    const found = this.backend.findTokenBySecretHash(secretSha256);
    return found === undefined ? undefined : { ...found, groups: [...found.groups] };
  }

  async listTokens(): Promise<TokenRecord[]> {
    this.ensureOpen();
    return this.backend.listTokens().map((t) => ({ ...t, groups: [...t.groups] }));
  }

  async removeToken(id: string): Promise<boolean> {
    this.ensureOpen();
    return this.backend.removeToken(id);
  }
}
