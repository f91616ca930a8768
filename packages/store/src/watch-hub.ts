/**
 * Fans committed changes out to watchers, in resourceVersion order, each exactly once.
 * Every watcher keeps a high-water mark: whatever reaches it twice (a change both
 * replayed from the log and delivered live) is dropped the second time, so a replay and
 * the live stream join with no gap and no duplicate.
 */
import type { WatchEvent } from '@qm/api';
import { cloneJson } from './json-value.js';
import type { ChangeRecord } from './storage-backend.js';
import type { WatchFilter } from './watch-filter.js';

export class Watcher {
  private buffering: boolean;
  private buffer: ChangeRecord[] = [];
  closed = false;

  /** `highWater`: the last resourceVersion this watcher has seen (changes ≤ it are skipped). */
  constructor(
    private readonly filter: WatchFilter,
    private readonly onEvent: (event: WatchEvent) => void,
    private highWater: number,
    replaying: boolean,
  ) {
    this.buffering = replaying;
  }

  /** A live change; held back while the replay is still running. */
  offer(record: ChangeRecord): void {
    if (this.closed) return;
    if (this.buffering) this.buffer.push(record);
    else this.deliver(record);
  }

  /** Delivers one change unless already seen. */
  deliver(record: ChangeRecord): void {
    if (this.closed || record.resourceVersion <= this.highWater) return;
    this.highWater = record.resourceVersion;
    const event = this.filter.eventFor(record);
    if (event === undefined) return;
    try {
      this.onEvent({ type: event.type, object: cloneJson(event.object) });
    } catch (err) {
      // A throwing consumer is a bug in the consumer: surface it without starving other watchers.
      queueMicrotask(() => { throw err; });
    }
  }

  /** Ends the replay: delivers the live changes that arrived meanwhile, then goes live. */
  finishReplay(): void {
    // Changes offered while flushing append to the buffer, so the loop sees them too.
    for (let i = 0; i < this.buffer.length; i++) this.deliver(this.buffer[i]);
    this.buffer = [];
    this.buffering = false;
  }
}

export class WatchHub {
  private readonly watchers = new Set<Watcher>();
  private queue: ChangeRecord[] = [];
  private draining = false;

  add(watcher: Watcher): void {
    this.watchers.add(watcher);
  }

  remove(watcher: Watcher): void {
    watcher.closed = true;
    this.watchers.delete(watcher);
  }

  closeAll(): void {
    for (const w of this.watchers) w.closed = true;
    this.watchers.clear();
    this.queue = [];
  }

  get size(): number {
    return this.watchers.size;
  }

  /**
   * Called after each commit. A watcher callback that writes to the store publishes
   * again from inside `drain`; those changes queue behind the current ones so every
   * watcher still sees resourceVersion order.
   */
  publish(changes: ChangeRecord[]): void {
    if (this.watchers.size === 0 && !this.draining) return;
    for (const c of changes) this.queue.push(c);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let i = 0; i < this.queue.length; i++) {
        for (const w of this.watchers) w.offer(this.queue[i]);
      }
    } finally {
      this.queue = [];
      this.draining = false;
    }
  }
}
