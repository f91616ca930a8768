/** Builders and assertions shared by the store conformance suite. */
import assert from 'node:assert/strict';
import { isQmError, type ApiObject, type ErrorCode, type WatchEvent } from '@qm/api';
import type { Clock, Store, TokenStore, WatchHandle, WatchOptions } from '@qm/core';

export interface StoreFactoryOptions {
  clock: Clock;
  /** Backends must honour this (the suite tests compaction with small values). */
  watchLogRetention?: number;
}

/** Makes a fresh, empty store; the suite closes it. */
export type StoreFactory = (opts: StoreFactoryOptions) => Promise<Store & TokenStore>;

export type TestStore = Store & TokenStore;

/** A clock the test moves by hand. Starts at 2025-01-01T00:00:00Z. */
export class ManualClock implements Clock {
  constructor(public ms = Date.UTC(2025, 0, 1)) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** Freezes deeply, so any mutation of an input by the store throws in strict mode. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

export function job(name: string, namespace = 'team-a', extra: Partial<ApiObject> = {}): ApiObject {
  return deepFreeze({
    apiVersion: 'ml.quartermaster.dev/v1alpha1',
    kind: 'TrainingJob',
    metadata: { name, namespace, labels: { app: name } },
    spec: { workers: 1 },
    ...extra,
  });
}

export function node(name: string, extra: Partial<ApiObject> = {}): ApiObject {
  return deepFreeze({ apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Node', metadata: { name }, ...extra });
}

export function namespaceObj(name: string): ApiObject {
  return deepFreeze({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

/** A copy of `obj` with metadata fields merged in. */
export function withMeta(obj: ApiObject, meta: Partial<ApiObject['metadata']>): ApiObject {
  return deepFreeze({ ...structuredClone(obj), metadata: { ...structuredClone(obj.metadata), ...meta } });
}

export function withSpec(obj: ApiObject, spec: unknown): ApiObject {
  return deepFreeze({ ...structuredClone(obj), spec: structuredClone(spec) });
}

export function withStatus(obj: ApiObject, status: unknown): ApiObject {
  return deepFreeze({ ...structuredClone(obj), status: structuredClone(status) });
}

export function ownerRef(owner: ApiObject): NonNullable<ApiObject['metadata']['ownerReferences']>[number] {
  return { apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid! };
}

/** Asserts that `promise` rejects with a QmError of `code` whose message matches `message`. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isQmError(err), `expected a QmError(${code}), got ${String(err)}`);
    assert.equal(err.code, code, `expected ${code}, got ${err.code}: ${err.message}`);
    if (message) assert.match(err.message, message);
    return true;
  });
}

export const rv = (obj: ApiObject): number => Number(obj.metadata.resourceVersion);

/** Collects watch events; `next(n)` waits (asynchronous backends may deliver later) until n arrived. */
export class EventLog {
  readonly events: WatchEvent[] = [];
  handle: WatchHandle | undefined;

  static async open(store: Store, opts: WatchOptions): Promise<EventLog> {
    const log = new EventLog();
    log.handle = await store.watch(opts, (e) => log.events.push(e));
    return log;
  }

  async waitFor(count: number): Promise<WatchEvent[]> {
    // A bound on polling rounds, not a duration assertion: it only turns a hang into a failure.
    for (let i = 0; i < 2000 && this.events.length < count; i++) await new Promise((r) => setTimeout(r, 1));
    assert.ok(this.events.length >= count, `expected ${count} watch events, got ${this.events.length}: ${this.describe()}`);
    return this.events.slice(0, count);
  }

  /** Waits a little and asserts nothing beyond `count` arrived. */
  async settleAt(count: number): Promise<void> {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(this.events.length, count, `expected exactly ${count} watch events, got ${this.describe()}`);
  }

  describe(): string {
    return this.events.map((e) => `${e.type} ${e.object.kind}/${e.object.metadata.name}@${e.object.metadata.resourceVersion}`).join(', ') || '(none)';
  }

  summary(): string[] {
    return this.events.map((e) => `${e.type} ${e.object.metadata.name}`);
  }

  close(): void {
    this.handle?.close();
  }
}
