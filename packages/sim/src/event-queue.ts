/**
 * The simulator's timeline: a binary min-heap of timed events ordered by (time, rank, seq).
 * `rank` orders kinds of events that fall on the same instant (finishes before scenario
 * events before submissions); `seq` keeps insertion order among equals, so runs are
 * deterministic. push/pop are O(log n): the loop jumps from event to event, never ticks.
 *
 * Example:
 * ```ts
 * const q = new EventQueue<string>();
 * q.push(2000, 1, 'b'); q.push(1000, 3, 'a');
 * q.popDue(q.peekTime()!); // ['a']
 * ```
 */
interface Entry<T> {
  timeMs: number;
  rank: number;
  seq: number;
  item: T;
}

export class EventQueue<T> {
  private readonly heap: Entry<T>[] = [];
  private nextSeq = 0;

  get size(): number {
    return this.heap.length;
  }

  push(timeMs: number, rank: number, item: T): void {
    if (!Number.isFinite(timeMs)) throw new Error(`event time must be finite, got ${timeMs}`);
    const heap = this.heap;
    heap.push({ timeMs, rank, seq: this.nextSeq++, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i], heap[parent])) break;
      [heap[i], heap[parent]] = [heap[parent], heap[i]];
      i = parent;
    }
  }

  /** The earliest event's time, or undefined when empty. */
  peekTime(): number | undefined {
    return this.heap[0]?.timeMs;
  }

  pop(): { timeMs: number; item: T } | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l], heap[m])) m = l;
        if (r < heap.length && before(heap[r], heap[m])) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return { timeMs: top.timeMs, item: top.item };
  }

  /** Removes and returns, in order, every event at exactly `timeMs` that is queued now. */
  popDue(timeMs: number): T[] {
    const out: T[] = [];
    while (this.heap.length > 0 && this.heap[0].timeMs <= timeMs) out.push(this.pop()!.item);
    return out;
  }
}

function before<T>(a: Entry<T>, b: Entry<T>): boolean {
  if (a.timeMs !== b.timeMs) return a.timeMs < b.timeMs;
  if (a.rank !== b.rank) return a.rank < b.rank;
  return a.seq < b.seq;
}
