/**
 * Runs every write as one backend transaction: assigns resourceVersions from one global
 * sequence, appends the watch log, cascades deletions to dependents and namespace
 * contents, compacts the log, and hands the committed changes to the watch hub.
 */
import { randomUUID } from 'node:crypto';
import type { ApiObject, OwnerReference } from '@qm/api';
import type { Clock, DeleteOptions, UpdateOptions } from '@qm/core';
import {
  alreadyExists, checkDeletePreconditions, hasFinalizers, keyOf, notFound, prepareCreate, prepareUpdate,
  validateStorable, withDeletionTimestamp, withoutOwner, withResourceVersion, type ObjectKey,
} from './object-semantics.js';
import type { ChangeRecord, ChangeType, StorageBackend } from './storage-backend.js';

export interface WriteEngineOptions {
  /** Watch log entries kept (at least this many; trimmed in small batches). */
  watchLogRetention: number;
  /** Receives each committed transaction's changes, in resourceVersion order. */
  onCommit(changes: ChangeRecord[]): void;
}

export class WriteEngine {
  private lastRv: number;
  private oldestRv: number | undefined;
  private pending: ChangeRecord[] = [];
  private readonly trimBatch: number;

  constructor(private readonly backend: StorageBackend, private readonly clock: Clock, private readonly opts: WriteEngineOptions) {
    this.lastRv = backend.lastResourceVersion();
    this.oldestRv = backend.oldestLogResourceVersion();
    // Trimming one row per write costs a statement per write; trim in batches of ~1%.
    this.trimBatch = Math.max(1, Math.min(1000, Math.floor(opts.watchLogRetention / 100)));
  }

  get lastResourceVersion(): number {
    return this.lastRv;
  }

  get oldestRetainedResourceVersion(): number | undefined {
    return this.oldestRv;
  }

  create(input: ApiObject): ApiObject {
    const obj = prepareCreate(input, randomUUID(), this.clock.now());
    return this.run(() => this.write('ADDED', obj, undefined));
  }

  update(input: ApiObject, opts?: UpdateOptions): ApiObject {
    const key = validateStorable(input);
    return this.run(() => {
      const stored = this.mustGet(key);
      const next = prepareUpdate(stored, input, opts);
      if (next === undefined) return stored;
      if (next.metadata.deletionTimestamp !== undefined && !hasFinalizers(next)) {
        // The last finalizer is gone: the object goes now.
        const gone = this.write('DELETED', next, stored);
        this.cascade(gone);
        return gone;
      }
      return this.write('MODIFIED', next, stored);
    });
  }

  delete(key: ObjectKey, opts?: DeleteOptions): ApiObject {
    return this.run(() => {
      const stored = this.mustGet(key);
      checkDeletePreconditions(stored, opts);
      const removed: ApiObject[] = [];
      const result = this.deleteOne(stored, removed);
      if (removed.length > 0) this.cascade(removed[0]);
      return result;
    });
  }

  private mustGet(key: ObjectKey): ApiObject {
    const stored = this.backend.get(key.kind, key.namespace, key.name);
    if (stored === undefined) throw notFound(key);
    return stored;
  }

  /** Removes `obj`, or only starts its deletion when finalizers hold it; a removed object goes on `removed`. */
  private deleteOne(obj: ApiObject, removed: ApiObject[]): ApiObject {
    if (hasFinalizers(obj)) {
      if (obj.metadata.deletionTimestamp !== undefined) return obj;
      return this.write('MODIFIED', withDeletionTimestamp(obj, this.clock.now()), obj);
    }
    const gone = this.write('DELETED', obj, obj);
    removed.push(gone);
    return gone;
  }

  /** Deletes what depended on `removed`, depth-first through an explicit work list (no recursion limit). */
  private cascade(removed: ApiObject): void {
    const work = [removed];
    const visit = (item: ApiObject): void => {
      const uid = item.metadata.uid!;
      for (const key of this.backend.dependentsOf(uid)) {
        const dep = this.backend.get(key.kind, key.namespace, key.name);
        if (!dep?.metadata.ownerReferences?.some((r) => r.uid === uid)) continue;
        const others = dep.metadata.ownerReferences.filter((r) => r.uid !== uid);
        if (others.some((r) => this.ownerExists(r, dep))) {
          // Kubernetes' garbage collector keeps a dependent that still has a live owner.
          this.write('MODIFIED', withoutOwner(dep, uid), dep);
          continue;
        }
        this.deleteOne(dep, work);
      }
      if (item.kind === 'Namespace' && !item.metadata.namespace) {
        for (const key of this.backend.keysInNamespace(item.metadata.name)) {
          const obj = this.backend.get(key.kind, key.namespace, key.name);
          if (obj) this.deleteOne(obj, work);
        }
      }
    };
    while (work.length > 0) visit(work.pop()!);
  }

  private ownerExists(ref: OwnerReference, dependent: ApiObject): boolean {
    const ns = dependent.metadata.namespace ?? '';
    const candidates = ns ? [ns, ''] : [''];
    return candidates.some((candidateNs) => this.backend.get(ref.kind, candidateNs, ref.name)?.metadata.uid === ref.uid);
  }

  /** Assigns the next resourceVersion, persists `obj` and its log entry. */
  private write(type: ChangeType, obj: ApiObject, prev: ApiObject | undefined): ApiObject {
    const rv = this.lastRv + 1;
    const object = withResourceVersion(obj, rv);
    if (type === 'ADDED') {
      if (!this.backend.insert(object)) throw alreadyExists(keyOf(object));
    } else if (type === 'MODIFIED') {
      this.backend.replace(prev!, object);
    } else {
      this.backend.remove(prev!);
    }
    this.lastRv = rv;
    const record: ChangeRecord = { resourceVersion: rv, type, object, prev, prevKnown: true };
    this.backend.appendLog(record);
    this.pending.push(record);
    if (this.oldestRv === undefined) this.oldestRv = rv;
    return object;
  }

  private run<T>(fn: () => T): T {
    const savedRv = this.lastRv;
    const savedOldest = this.oldestRv;
    this.pending = [];
    let result: T;
    try {
      result = this.backend.transaction(() => {
        const value = fn();
        this.compact();
        return value;
      });
    } catch (err) {
      this.lastRv = savedRv;
      this.oldestRv = savedOldest;
      this.pending = [];
      throw err;
    }
    const committed = this.pending;
    this.pending = [];
    if (committed.length > 0) this.opts.onCommit(committed);
    return result;
  }

  private compact(): void {
    if (this.oldestRv === undefined) return;
    const retained = this.lastRv - this.oldestRv + 1;
    if (retained <= this.opts.watchLogRetention + this.trimBatch - 1) return;
    const upTo = this.lastRv - this.opts.watchLogRetention;
    this.backend.trimLog(upTo);
    this.oldestRv = upTo + 1;
  }
}
