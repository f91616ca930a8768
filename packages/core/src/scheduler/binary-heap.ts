/**
 * A binary min-heap ordered by `before(a, b)` (true when `a` comes out first). The scheduler's
 * queue heads, the estimates' wake-up queues and the victim-run merge all use this one.
 *
 * Example:
 * ```ts
 * const heap = new BinaryHeap<number>((a, b) => a < b);
 * heap.push(3); heap.push(1);
 * heap.pop(); // 1
 * ```
 */
export class BinaryHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly before: (a: T, b: T) => boolean) {}

  get size(): number {
    return this.items.length;
  }

  /** What pop() would return, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(x: T): void {
    const h = this.items;
    h.push(x);
    for (let i = h.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }

  pop(): T | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      this.siftDown();
    }
    return top;
  }

  /** Takes the top out and puts `x` in, in one sift: push(x) then pop() when `x` does not come first. */
  replaceTop(x: T): T | undefined {
    const h = this.items;
    if (h.length === 0) {
      h.push(x);
      return undefined;
    }
    const top = h[0];
    h[0] = x;
    this.siftDown();
    return top;
  }

  /** Restores the order after the top item's key changed in place (cheaper than pop + push). */
  updateTop(): void {
    if (this.items.length > 1) this.siftDown();
  }

  private siftDown(): void {
    const h = this.items;
    for (let i = 0; ;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l], h[m])) m = l;
      if (r < h.length && this.before(h[r], h[m])) m = r;
      if (m === i) return;
      [h[i], h[m]] = [h[m], h[i]];
      i = m;
    }
  }
}
