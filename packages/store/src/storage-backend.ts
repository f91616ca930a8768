/**
 * The seam between Kubernetes semantics (write-engine, watch-hub, list-page) and one
 * storage technology. A backend is synchronous and dumb: it stores what it is given,
 * inside `transaction`, and answers lookups. SQLite and memory implement it; an
 * asynchronous backend (PostgreSQL) would reuse object-semantics and watch-filter and
 * drive its own transaction around the same steps.
 */
import type { ApiObject } from '@qm/api';
import type { TokenRecord } from '@qm/core';
import type { ObjectKey } from './object-semantics.js';

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One entry of the watch log, as written and as replayed. */
export interface ChangeRecord {
  resourceVersion: number;
  type: ChangeType;
  /** The state after the change; for DELETED the last state, with the deletion's resourceVersion. */
  object: ApiObject;
  /** The state before the change (MODIFIED, DELETED) when known. */
  prev?: ApiObject;
  /** False only when a replayed entry's previous state has been compacted away. */
  prevKnown: boolean;
}

/** Where a page of a list starts: strictly after this (namespace, name). */
export interface ScanFrom {
  namespace: string;
  name: string;
}

export interface StorageBackend {
  /** True when reads return fresh objects the caller may keep (no defensive copy needed). */
  readonly freshReads: boolean;
  /** Runs `fn` atomically: every write inside lands, or none does if it throws. */
  transaction<T>(fn: () => T): T;
  /** Highest resourceVersion ever assigned (0 for a new store). */
  lastResourceVersion(): number;
  /** Lowest resourceVersion still in the watch log, or undefined when the log is empty. */
  oldestLogResourceVersion(): number | undefined;

  /** The stored object; callers must not mutate it. */
  get(kind: string, namespace: string, name: string): ApiObject | undefined;
  /** Stores a new object; false (and nothing written) when its key is taken. */
  insert(obj: ApiObject): boolean;
  replace(prev: ApiObject, next: ApiObject): void;
  remove(obj: ApiObject): void;
  /** Keys of objects whose ownerReferences name `ownerUid`. */
  dependentsOf(ownerUid: string): ObjectKey[];
  /** Keys of every object in `namespace` (any kind). */
  keysInNamespace(namespace: string): ObjectKey[];
  /**
   * Visits objects of `kind` in (namespace, name) order, optionally one namespace and
   * strictly after `from`, until `visit` returns false. `visit` must not write.
   */
  scan(kind: string, namespace: string | undefined, from: ScanFrom | undefined, visit: (obj: ApiObject) => boolean): void;
  /** How many objects `scan` would visit after `from`. */
  count(kind: string, namespace: string | undefined, from: ScanFrom | undefined): number;

  /** `prevResourceVersion` lets a persisted log find the previous state again on replay. */
  appendLog(record: ChangeRecord): void;
  /** Drops log entries with resourceVersion ≤ `upTo`. */
  trimLog(upTo: number): void;
  /** Up to `limit` log entries after `after`, oldest first, optionally one kind; `withPrev` fills `prev`. */
  readLog(after: number, limit: number, kind: string | undefined, withPrev: boolean): ChangeRecord[];

  /** Stores a token unless its id or secret hash is taken. */
  addToken(token: TokenRecord): 'added' | 'duplicate-id' | 'duplicate-secret';
  findTokenBySecretHash(secretSha256: string): TokenRecord | undefined;
  listTokens(): TokenRecord[];
  removeToken(id: string): boolean;

  close(): void;
}
