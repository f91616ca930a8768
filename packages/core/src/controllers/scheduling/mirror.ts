/**
 * An in-memory copy of the kinds the scheduler reads, kept current through one store.watch,
 * so a pass never relists. Newer resourceVersions win; deletions leave a tombstone so a list
 * that raced the watch cannot bring an object back.
 *
 * Example:
 * ```ts
 * const mirror = new Mirror(store);
 * await mirror.sync();                 // first call: list + watch; later: wait for the watch to catch up
 * mirror.list('Node');                 // ApiObject[]
 * mirror.apply(updatedByUs);           // our own writes land at once
 * ```
 */
import type { ApiObject, WatchEvent } from '@qm/api';
import type { Store, WatchHandle } from '../../ports/store.js';

export const MIRRORED_KINDS = [
  'Node', 'Queue', 'PriorityClass', 'ResourceQuota', 'LimitRange', 'PodDisruptionBudget', 'Namespace', 'TrainingJob', 'ModelDeployment',
] as const;
const MIRRORED = new Set<string>(MIRRORED_KINDS);

function keyOf(obj: ApiObject): string {
  return `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

function rvOf(obj: ApiObject): number {
  return Number(obj.metadata.resourceVersion ?? 0);
}

export class Mirror {
  private readonly byKind = new Map<string, Map<string, ApiObject>>();
  private readonly tombstones = new Map<string, number>();
  private handle?: WatchHandle;
  private started?: Promise<void>;
  private lastSeenRv = 0;
  /** Bumped on any change of a kind in `kindsChanged`; lets callers cache derived data. */
  readonly versions = new Map<string, number>();
  /** Bumped on every change of any mirrored object: equal counts mean nothing changed in between. */
  changeCount = 0;

  constructor(private readonly store: Store) {
    for (const k of MIRRORED_KINDS) {
      this.byKind.set(k, new Map());
      this.versions.set(k, 0);
    }
  }

  list(kind: string): ApiObject[] {
    return [...(this.byKind.get(kind)?.values() ?? [])];
  }

  /** The objects of a kind without copying them into an array (a pass reads every one). */
  values(kind: string): Iterable<ApiObject> {
    return this.byKind.get(kind)?.values() ?? [];
  }

  get(kind: string, namespace: string | undefined, name: string): ApiObject | undefined {
    return this.byKind.get(kind)?.get(`${namespace ?? ''}/${name}`);
  }

  /** Puts an object we wrote (or read) into the mirror unless the mirror already has a newer one. */
  apply(obj: ApiObject): void {
    const map = this.byKind.get(obj.kind);
    if (!map) return;
    const key = keyOf(obj);
    const current = map.get(key);
    if (current && rvOf(current) >= rvOf(obj)) return;
    const dead = this.tombstones.get(`${obj.kind}/${key}`);
    if (dead !== undefined && dead >= rvOf(obj)) return;
    map.set(key, obj);
    this.versions.set(obj.kind, (this.versions.get(obj.kind) ?? 0) + 1);
    this.changeCount++;
  }

  remove(obj: ApiObject): void {
    const map = this.byKind.get(obj.kind);
    if (!map) return;
    const key = keyOf(obj);
    const current = map.get(key);
    if (current && rvOf(current) > rvOf(obj)) return;
    map.delete(key);
    this.tombstones.set(`${obj.kind}/${key}`, rvOf(obj));
    this.versions.set(obj.kind, (this.versions.get(obj.kind) ?? 0) + 1);
    this.changeCount++;
  }

  private onEvent(ev: WatchEvent): void {
    const rv = rvOf(ev.object);
    if (rv > this.lastSeenRv) this.lastSeenRv = rv;
    if (!MIRRORED.has(ev.object.kind)) return;
    if (ev.type === 'DELETED') this.remove(ev.object);
    else if (ev.type === 'ADDED' || ev.type === 'MODIFIED') this.apply(ev.object);
  }

  private async start(): Promise<void> {
    const from = await this.store.currentResourceVersion();
    this.lastSeenRv = Number(from);
    this.handle = await this.store.watch({ resourceVersion: from }, (ev) => this.onEvent(ev));
    for (const kind of MIRRORED_KINDS) {
      const res = await this.store.list(kind);
      for (const obj of res.items) this.apply(obj);
    }
  }

  /** Ensures the mirror has seen every write the store had when sync() was called. */
  async sync(): Promise<void> {
    this.started ??= this.start();
    await this.started;
    const target = Number(await this.store.currentResourceVersion());
    // The stores deliver watch events inside the write, so the mirror is normally current here;
    // yield a few microtasks for a backend that queues delivery. Still behind? The next pass catches up.
    for (let i = 0; i < 50 && this.lastSeenRv < target; i++) await Promise.resolve();
  }

  close(): void {
    this.handle?.close();
  }
}
