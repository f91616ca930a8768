/**
 * Several runs, each yielding its items in order, read back in merged order one item at a time —
 * a k-way merge with a small heap of run heads. A preemption search reads victims this way: it
 * usually stops after a few, so neither sorting nor even filtering every candidate up front is
 * worth it (a run pulls its next item only when its head was taken).
 *
 * Example:
 * ```ts
 * const m = new RunMerge([runOf([1, 4]), runOf([2, 3])], (a, b) => a - b);
 * m.next(); // 1, then 2, 3, 4, undefined
 * ```
 */
import { BinaryHeap } from './binary-heap.js';

/** A run: each call gives its next item, undefined once it is done. */
export type Run<T> = () => T | undefined;

/** A run over an array (already sorted). */
export function runOf<T>(items: readonly T[]): Run<T> {
  let i = 0;
  return () => (i < items.length ? items[i++] : undefined);
}

export class RunMerge<T> {
  /** Each live run with the item it would give next, ordered by that item. */
  private readonly heap: BinaryHeap<{ item: T; run: Run<T> }>;

  constructor(runs: ReadonlyArray<Run<T>>, compare: (a: T, b: T) => number) {
    this.heap = new BinaryHeap((a, b) => compare(a.item, b.item) < 0);
    for (const run of runs) {
      const item = run();
      if (item !== undefined) this.heap.push({ item, run });
    }
  }

  next(): T | undefined {
    const top = this.heap.peek();
    if (!top) return undefined;
    const item = top.item;
    const following = top.run();
    if (following === undefined) this.heap.pop();
    else {
      top.item = following;
      this.heap.updateTop();
    }
    return item;
  }
}
