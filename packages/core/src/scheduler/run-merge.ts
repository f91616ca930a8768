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
export class RunMerge<T> {
  /** Cursor and end per live run, as a min-heap on each run's current item. */
  private readonly heap: Array<{ at: number; end: number }> = [];

  constructor(private readonly items: readonly T[], runStarts: readonly number[], private readonly compare: (a: T, b: T) => number) {
    runStarts.forEach((start, i) => {
      const end = i + 1 < runStarts.length ? runStarts[i + 1] : items.length;
      if (start < end) this.push({ at: start, end });
    });
  }

  next(): T | undefined {
    const heap = this.heap;
    if (heap.length === 0) return undefined;
    const top = heap[0];
    const item = this.items[top.at++];
    if (top.at === top.end) {
      const last = heap.pop()!;
      if (heap.length === 0) return item;
      heap[0] = last;
    }
    this.siftDown(0);
    return item;
  }

  private less(a: { at: number }, b: { at: number }): boolean {
    return this.compare(this.items[a.at], this.items[b.at]) < 0;
  }

  private push(run: { at: number; end: number }): void {
    const heap = this.heap;
    heap.push(run);
    for (let i = heap.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.less(heap[i], heap[p])) break;
      [heap[i], heap[p]] = [heap[p], heap[i]];
      i = p;
    }
  }

  private siftDown(i: number): void {
    const heap = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && this.less(heap[l], heap[m])) m = l;
      if (r < heap.length && this.less(heap[r], heap[m])) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m], heap[i]];
      i = m;
    }
  }
}

