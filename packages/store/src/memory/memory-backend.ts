/**
 * A StorageBackend in Maps. Stored objects are immutable snapshots (the engine always
 * builds new ones), so the log can keep references instead of copies. Transactions keep
 * an undo list so a failed write leaves nothing behind, as SQLite's rollback does.
 */
import type { ApiObject } from '@qm/api';
import type { TokenRecord } from '@qm/core';
import type { ObjectKey } from '../object-semantics.js';
import type { ChangeRecord, ScanFrom, StorageBackend } from '../storage-backend.js';

const SEP = '\u0000';

/**
 * One kind's objects, keyed `namespace\0name`; that key sorts exactly like (namespace, name).
 * The sorted key list is repaired lazily: inserts since the last list are sorted and merged
 * in, removed keys dropped, so alternating writes and lists cost O(n) rather than a sort each.
 */
class KindTable {
  readonly objects = new Map<string, ApiObject>();
  private sorted: string[] = [];
  private added: string[] = [];
  private dirty = false;

  noteInsert(key: string): void {
    this.added.push(key);
    this.dirty = true;
  }

  noteRemove(): void {
    this.dirty = true;
  }

  sortedKeys(): string[] {
    if (!this.dirty) return this.sorted;
    const added = this.added.sort();
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    // A key removed and inserted again may sit in both lists: keep it once.
    const push = (key: string): void => {
      if (this.objects.has(key) && merged[merged.length - 1] !== key) merged.push(key);
    };
    while (i < this.sorted.length || j < added.length) {
      if (j >= added.length || (i < this.sorted.length && this.sorted[i] <= added[j])) push(this.sorted[i++]);
      else push(added[j++]);
    }
    this.sorted = merged;
    this.added = [];
    this.dirty = false;
    return merged;
  }
}

/** First index whose key is > `key` (strict) or ≥ `key`. */
function bound(keys: string[], key: string, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < key || (strict && keys[mid] === key)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const rowKey = (namespace: string, name: string): string => namespace + SEP + name;
const fullKey = (k: ObjectKey): string => k.kind + SEP + k.namespace + SEP + k.name;
const keyOfObj = (o: ApiObject): ObjectKey => ({ kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name });

export class MemoryBackend implements StorageBackend {
  readonly freshReads = false;
  private readonly kinds = new Map<string, KindTable>();
  /** owner uid → full keys of dependents. */
  private readonly owners = new Map<string, Map<string, ObjectKey>>();
  private log: ChangeRecord[] = [];
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly tokenIdBySecret = new Map<string, string>();
  private undo: Array<() => void> | null = null;

  transaction<T>(fn: () => T): T {
    if (this.undo !== null) return fn();
    const steps: Array<() => void> = [];
    this.undo = steps;
    try {
      const result = fn();
      this.undo = null;
      return result;
    } catch (err) {
      this.undo = null;
      for (let i = steps.length - 1; i >= 0; i--) steps[i]();
      throw err;
    }
  }

  private onUndo(step: () => void): void {
    this.undo?.push(step);
  }

  lastResourceVersion(): number {
    return this.log.length > 0 ? this.log[this.log.length - 1].resourceVersion : 0;
  }

  oldestLogResourceVersion(): number | undefined {
    return this.log[0]?.resourceVersion;
  }

  private table(kind: string): KindTable {
    let t = this.kinds.get(kind);
    if (t === undefined) {
      t = new KindTable();
      this.kinds.set(kind, t);
    }
    return t;
  }

  get(kind: string, namespace: string, name: string): ApiObject | undefined {
    return this.kinds.get(kind)?.objects.get(rowKey(namespace, name));
  }

  private put(obj: ApiObject, isNew: boolean): void {
    const t = this.table(obj.kind);
    const key = rowKey(obj.metadata.namespace ?? '', obj.metadata.name);
    t.objects.set(key, obj);
    if (isNew) t.noteInsert(key);
  }

  private drop(obj: ApiObject): void {
    const t = this.table(obj.kind);
    t.objects.delete(rowKey(obj.metadata.namespace ?? '', obj.metadata.name));
    t.noteRemove();
  }

  private indexOwners(obj: ApiObject, add: boolean): void {
    const refs = obj.metadata.ownerReferences;
    if (!refs) return;
    const key = keyOfObj(obj);
    const fk = fullKey(key);
    for (const ref of refs) {
      let deps = this.owners.get(ref.uid);
      if (add) {
        if (deps === undefined) this.owners.set(ref.uid, (deps = new Map()));
        deps.set(fk, key);
      } else if (deps !== undefined) {
        deps.delete(fk);
        if (deps.size === 0) this.owners.delete(ref.uid);
      }
    }
  }

  insert(obj: ApiObject): boolean {
    if (this.get(obj.kind, obj.metadata.namespace ?? '', obj.metadata.name) !== undefined) return false;
    this.put(obj, true);
    this.indexOwners(obj, true);
    this.onUndo(() => { this.indexOwners(obj, false); this.drop(obj); });
    return true;
  }

  replace(prev: ApiObject, next: ApiObject): void {
    this.indexOwners(prev, false);
    this.put(next, false);
    this.indexOwners(next, true);
    this.onUndo(() => { this.indexOwners(next, false); this.put(prev, false); this.indexOwners(prev, true); });
  }

  remove(obj: ApiObject): void {
    this.indexOwners(obj, false);
    this.drop(obj);
    this.onUndo(() => { this.put(obj, true); this.indexOwners(obj, true); });
  }

  dependentsOf(ownerUid: string): ObjectKey[] {
    return [...(this.owners.get(ownerUid)?.values() ?? [])];
  }

  keysInNamespace(namespace: string): ObjectKey[] {
    const keys: ObjectKey[] = [];
    for (const [kind, t] of this.kinds) {
      for (const obj of t.objects.values()) {
        if (obj.metadata.namespace === namespace) keys.push({ kind, namespace, name: obj.metadata.name });
      }
    }
    return keys;
  }

  /** [start, end) positions in the sorted keys for a namespace filter and a start point. */
  private range(t: KindTable, namespace: string | undefined, from: ScanFrom | undefined): [string[], number, number] {
    const keys = t.sortedKeys();
    let start = 0;
    let end = keys.length;
    if (namespace !== undefined) {
      start = bound(keys, namespace + SEP, false);
      // '\u0001' sorts right after the separator, so this is the first key of the next namespace.
      end = bound(keys, namespace + '\u0001', false);
    }
    if (from !== undefined) start = Math.max(start, bound(keys, rowKey(from.namespace, from.name), true));
    return [keys, start, Math.max(start, end)];
  }

  scan(kind: string, namespace: string | undefined, from: ScanFrom | undefined, visit: (obj: ApiObject) => boolean): void {
    const t = this.kinds.get(kind);
    if (t === undefined) return;
    const [keys, start, end] = this.range(t, namespace, from);
    for (let i = start; i < end; i++) {
      if (!visit(t.objects.get(keys[i])!)) return;
    }
  }

  count(kind: string, namespace: string | undefined, from: ScanFrom | undefined): number {
    const t = this.kinds.get(kind);
    if (t === undefined) return 0;
    const [, start, end] = this.range(t, namespace, from);
    return end - start;
  }

  appendLog(record: ChangeRecord): void {
    this.log.push(record);
    this.onUndo(() => { this.log.pop(); });
  }

  trimLog(upTo: number): void {
    let n = 0;
    while (n < this.log.length && this.log[n].resourceVersion <= upTo) n++;
    if (n === 0) return;
    const removed = this.log.splice(0, n);
    this.onUndo(() => { this.log.unshift(...removed); });
  }

  readLog(after: number, limit: number, kind: string | undefined): ChangeRecord[] {
    const out: ChangeRecord[] = [];
    let lo = 0;
    let hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.log[mid].resourceVersion <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.log.length && out.length < limit; i++) {
      const r = this.log[i];
      if (kind === undefined || r.object.kind === kind) out.push(r);
    }
    return out;
  }

  addToken(token: TokenRecord): 'added' | 'duplicate-id' | 'duplicate-secret' {
    if (this.tokens.has(token.id)) return 'duplicate-id';
    if (this.tokenIdBySecret.has(token.secretSha256)) return 'duplicate-secret';
    this.tokens.set(token.id, token);
    this.tokenIdBySecret.set(token.secretSha256, token.id);
    return 'added';
  }

  findTokenBySecretHash(secretSha256: string): TokenRecord | undefined {
    const id = this.tokenIdBySecret.get(secretSha256);
    return id === undefined ? undefined : this.tokens.get(id);
  }

  listTokens(): TokenRecord[] {
    return [...this.tokens.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  removeToken(id: string): boolean {
    const token = this.tokens.get(id);
    if (token === undefined) return false;
    this.tokens.delete(id);
    this.tokenIdBySecret.delete(token.secretSha256);
    return true;
  }

  close(): void {
    // Nothing to release; the store refuses calls after close.
  }
}
