import type { ApiObject, ObjectRef } from '@qm/api';
import type { Clock, EventType, Recorder, Store } from '@qm/core';

export interface EventRecorderOptions {
  /** Same object, type, reason and message within this window bump `count` (default 10 minutes). */
  dedupWindowMs?: number;
  /** `source.component` of every Event (default "quartermaster"). */
  component?: string;
  /** How many distinct recent events are remembered for deduplication (default 4096). */
  maxTracked?: number;
  logger?: { error(obj: object, msg: string): void };
}

type Involved = ObjectRef & { uid?: string; apiVersion?: string };

interface Recent {
  namespace: string;
  name: string;
  lastMs: number;
}

/**
 * Writes core/v1 Events into the involved object's namespace (cluster-scoped objects →
 * `default`). Writes happen in the background, one at a time and in order; a failure is
 * logged, never thrown at the caller. A repeat of the same event within the window updates
 * the existing Event's `count` and `lastTimestamp`.
 *
 * Example:
 * ```ts
 * const recorder = new EventRecorder(store, clock, { logger });
 * recorder.record({ kind: 'Node', name: 'gpu-1' }, 'Normal', 'Registered', 'registered with 8 GPUs');
 * await recorder.flush();   // in tests and at shutdown
 * ```
 */
export class EventRecorder implements Recorder {
  private chain: Promise<void> = Promise.resolve();
  private readonly recent = new Map<string, Recent>();
  private readonly windowMs: number;
  private readonly component: string;
  private readonly maxTracked: number;
  private sequence = 0;

  constructor(private readonly store: Store, private readonly clock: Clock, private readonly opts: EventRecorderOptions = {}) {
    this.windowMs = opts.dedupWindowMs ?? 10 * 60 * 1000;
    this.component = opts.component ?? 'quartermaster';
    this.maxTracked = opts.maxTracked ?? 4096;
  }

  record(involved: Involved, type: EventType, reason: string, message: string): void {
    const nowMs = this.clock.now();
    const snapshot = { ...involved };
    this.chain = this.chain
      .then(() => this.write(snapshot, type, reason, message, nowMs))
      .catch((err: unknown) => {
        this.opts.logger?.error({ err, involved: snapshot, reason }, 'could not record event');
      });
  }

  /** Resolves once every event recorded so far is written (or has failed and been logged). */
  flush(): Promise<void> {
    return this.chain;
  }

  private async write(involved: Involved, type: EventType, reason: string, message: string, nowMs: number): Promise<void> {
    const key = JSON.stringify([involved.kind, involved.namespace ?? '', involved.name, involved.uid ?? '', type, reason, message]);
    const seen = this.recent.get(key);
    if (seen && nowMs - seen.lastMs <= this.windowMs) {
      const existing = await this.store.get('Event', seen.namespace, seen.name);
      if (existing) {
        // Unconditional (no resourceVersion): this recorder is the only writer of its Events.
        const metadata = { ...existing.metadata };
        delete metadata.resourceVersion;
        await this.store.update({
          ...existing,
          metadata,
          count: (typeof existing.count === 'number' ? existing.count : 1) + 1,
          lastTimestamp: new Date(nowMs).toISOString(),
        });
        this.remember(key, { ...seen, lastMs: nowMs });
        return;
      }
    }
    const namespace = involved.namespace ?? 'default';
    const created = await this.store.create(this.buildEvent(involved, type, reason, message, namespace, nowMs));
    this.remember(key, { namespace, name: created.metadata.name, lastMs: nowMs });
  }

  private buildEvent(
    involved: Involved, type: EventType, reason: string, message: string, namespace: string, nowMs: number,
  ): ApiObject {
    const timestamp = new Date(nowMs).toISOString();
    // Kubernetes-style name: the object's name plus a unique hex suffix.
    const suffix = `${nowMs.toString(16)}${(this.sequence++).toString(16).padStart(4, '0')}`;
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${involved.name.slice(0, 200)}.${suffix}`, namespace },
      involvedObject: {
        kind: involved.kind,
        ...(involved.namespace ? { namespace: involved.namespace } : {}),
        name: involved.name,
        ...(involved.uid ? { uid: involved.uid } : {}),
        ...(involved.apiVersion ? { apiVersion: involved.apiVersion } : {}),
      },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      source: { component: this.component },
    };
  }

  // Map order is insertion order: re-inserting keeps the most recently seen last, so eviction drops the stalest.
  private remember(key: string, entry: Recent): void {
    this.recent.delete(key);
    this.recent.set(key, entry);
    while (this.recent.size > this.maxTracked) {
      const oldest = this.recent.keys().next().value as string;
      this.recent.delete(oldest);
    }
  }
}
