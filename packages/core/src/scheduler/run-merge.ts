/**
 * Several runs of one list, each already sorted, read back in merged order one item at a time —
 * a k-way merge with a small heap of run cursors. A preemption search reads victims this way:
 * it usually stops after a few, so sorting every candidate up front was wasted work.
 *
 * Example:
 * ```ts
 * const m = new RunMerge([1, 4, 2, 3], [0, 2], (a, b) => a - b); // runs [1, 4] and [2, 3]
 * m.next(); // 1, then 2, 3, 4, undefined
 * ```
 */
import { BinaryHeap } from './binary-heap.js';

export class RunMerge<T> {
  /** Cursor and end per live run, ordered by each run's current item. */
  private readonly heap: BinaryHeap<{ at: number; end: number }>;

  constructor(private readonly items: readonly T[], runStarts: readonly number[], compare: (a: T, b: T) => number) {
    this.heap = new BinaryHeap((a, b) => compare(items[a.at], items[b.at]) < 0);
    runStarts.forEach((start, i) => {
      const end = i + 1 < runStarts.length ? runStarts[i + 1] : items.length;
      if (start < end) this.heap.push({ at: start, end });
    });
  }

  next(): T | undefined {
    const top = this.heap.peek();
    if (!top) return undefined;
    const item = this.items[top.at++];
    if (top.at === top.end) this.heap.pop();
    else this.heap.updateTop();
    return item;
  }
}
