import type { ApiObject, WatchEvent } from '@qm/api';

/** Options for listing one kind. */
export interface ListOptions {
  /** Only this namespace; absent = all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  /** Kubernetes label selector syntax: `app=web,tier!=db,env in (a,b),!legacy`. */
  labelSelector?: string;
  /** `metadata.name=x`, `metadata.namespace=y`, `status.phase=Running` (=, ==, !=; comma = and). */
  fieldSelector?: string;
  /** Page size; absent or 0 = everything. */
  limit?: number;
  /** Token from a previous page's `continue`. */
  continue?: string;
}

export interface ListResult {
  items: ApiObject[];
  /** The store's resourceVersion at the time of the list; watch from here to see every later change. */
  resourceVersion: string;
  /** Present when more items remain. */
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  /** Only this kind; absent = every kind. */
  kind?: string;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /**
   * Deliver every change after this version (exclusive), then live changes.
   * Absent or '0' = only changes from now on. Older than the retained log → QmError('Gone').
   */
  resourceVersion?: string;
}

export interface WatchHandle {
  close(): void;
}

export interface DeleteOptions {
  /** Refuse with Conflict unless the stored object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface UpdateOptions {
  /** 'status' writes only `.status` (and keeps everything else); absent writes everything except `.status`. */
  subresource?: 'status';
}

/**
 * The durable object store, with Kubernetes semantics:
 * - `create` sets uid, resourceVersion, generation=1, creationTimestamp; AlreadyExists if taken.
 * - `update` refuses a stale `metadata.resourceVersion` with Conflict (absent = unconditional),
 *   bumps generation only when something outside metadata/status changed, and keeps the
 *   stored status unless `subresource: 'status'` (which keeps everything but status).
 * - `delete` with finalizers only sets deletionTimestamp; the object goes when an update empties
 *   `finalizers`. Deleting an owner deletes every object whose ownerReferences name its uid.
 * - every write appends to a watch log; the resourceVersion is the log's sequence number.
 *
 * Every error is a QmError (NotFound, AlreadyExists, Conflict, Gone, Invalid).
 * Objects passed in are never mutated; objects returned are copies the caller may keep.
 *
 * Example:
 * ```ts
 * const created = await store.create(job);
 * const next = { ...created, spec: { ...created.spec, workers: 4 } };
 * await store.update(next);            // ok, generation 2
 * await store.update(next);            // Conflict: next carries the old resourceVersion
 * ```
 */
export interface Store {
  create(obj: ApiObject): Promise<ApiObject>;
  get(kind: string, namespace: string | undefined, name: string): Promise<ApiObject | undefined>;
  list(kind: string, opts?: ListOptions): Promise<ListResult>;
  update(obj: ApiObject, opts?: UpdateOptions): Promise<ApiObject>;
  /** Returns the object as it was removed, or with deletionTimestamp set if finalizers hold it. */
  delete(kind: string, namespace: string | undefined, name: string, opts?: DeleteOptions): Promise<ApiObject>;
  /** Calls `onEvent` for each change in order; each change exactly once. */
  watch(opts: WatchOptions, onEvent: (event: WatchEvent) => void): Promise<WatchHandle>;
  /** The newest resourceVersion written. */
  currentResourceVersion(): Promise<string>;
  close(): Promise<void>;
}

/** A stored API token: only a hash of the secret is kept. */
export interface TokenRecord {
  /** Short public id, shown in listings (the secret is never stored). */
  id: string;
  user: string;
  groups: string[];
  /** Hex SHA-256 of the secret. */
  secretSha256: string;
  createdAtMs: number;
  description?: string;
}

/** Where bearer tokens live. */
export interface TokenStore {
  addToken(token: TokenRecord): Promise<void>;
  findTokenBySecretHash(secretSha256: string): Promise<TokenRecord | undefined>;
  listTokens(): Promise<TokenRecord[]>;
  removeToken(id: string): Promise<boolean>;
}
