/**
 * Phase 2: order. Inside a queue: priority (high first), then submission time, then
 * namespace/name. Between queues, the next workload comes from the queue whose head has the
 * highest priority, then the lowest weighted dominant share above its guarantee (fair share),
 * then the earliest submission. A small binary heap keeps picking the next queue cheap.
 *
 * Example: `pending.sort(compareWithinQueue)`.
 */
import type { WorkloadInput } from './types.js';

export function compareWithinQueue(a: WorkloadInput, b: WorkloadInput): number {
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (a.createdMs !== b.createdMs) return a.createdMs - b.createdMs;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export interface QueueHead {
  queue: string;
  items: WorkloadInput[];
  cursor: number;
  share: number;
}

/** Negative when `a`'s head goes first. */
export function compareHeads(a: QueueHead, b: QueueHead): number {
  const x = a.items[a.cursor];
  const y = b.items[b.cursor];
  if (x.priority !== y.priority) return y.priority - x.priority;
  if (a.share !== b.share) return a.share - b.share;
  return compareWithinQueue(x, y);
}

export class HeadHeap {
  private readonly heap: QueueHead[] = [];

  get size(): number {
    return this.heap.length;
  }

  /** The head that pop() would return, left in place. */
  peek(): QueueHead | undefined {
    return this.heap[0];
  }

  push(h: QueueHead): void {
    const heap = this.heap;
    heap.push(h);
    let i = heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (compareHeads(heap[i], heap[p]) >= 0) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  }

  pop(): QueueHead | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && compareHeads(heap[l], heap[m]) < 0) m = l;
        if (r < heap.length && compareHeads(heap[r], heap[m]) < 0) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m], heap[i]];
        i = m;
      }
    }
    return top;
  }
}
