/**
 * Each queue's admitted entries in victim order, split into runs of equal total request (a
 * preemption search decides its fair-share rule once per run). An order is sorted once and then
 * kept — across cycles too, while the comparator is the same function (the victim order does not
 * depend on the time unless some entry's start or checkpoint lies in the future): admissions are
 * inserted in their place, forgotten entries stay where they are (callers skip entries that are
 * not `alive`) until most of the order is dead and it is compacted.
 *
 * Example:
 * ```ts
 * const orders = new VictimOrders();
 * for (const run of orders.runs('team-a', compare, () => admittedOf('team-a'))) walk(run.entries);
 * orders.added(entry); // a new admission joins the kept order in its place
 * ```
 */
import type { Resources } from '../resources/index.js';
import type { AdmittedEntry } from './snapshot.js';
import type { AdmittedState } from './types.js';

/** Since when an admitted workload's work would be lost if preempted: its last checkpoint, else its start (AdmittedEntry.sinceMs). */
export function workSinceMs(state: AdmittedState): number {
  return Math.max(state.lastCheckpointMs ?? -Infinity, state.startedMs ?? state.admittedMs);
}

/** A queue's admitted entries that take out the same amount (`total`), in victim order. */
export interface VictimRun {
  total: Resources;
  entries: AdmittedEntry[];
}

type Compare = (a: AdmittedEntry, b: AdmittedEntry) => number;

interface QueueOrder {
  compare: Compare;
  runs: VictimRun[];
  byKey: Map<string, VictimRun>;
  /** Every entry listed in a run, alive or not. */
  members: Set<AdmittedEntry>;
  /** Members that are not alive. */
  dead: number;
}

export class VictimOrders {
  private readonly byQueue = new Map<string, QueueOrder>();

  /** `queue`'s runs under `compare`: kept from before, or sorted from `entries()` (the queue's admitted entries). */
  runs(queue: string, compare: Compare, entries: () => Iterable<AdmittedEntry>): readonly VictimRun[] {
    let order = this.byQueue.get(queue);
    if (!order || order.compare !== compare) {
      order = { compare, runs: [], byKey: new Map(), members: new Set(), dead: 0 };
      for (const e of [...entries()].sort(compare)) this.append(order, e);
      this.byQueue.set(queue, order);
    } else if (order.dead > 64 && order.dead > order.members.size / 2) this.compact(order);
    return order.runs;
  }

  /** An entry admitted or reinstated: a kept order of its queue takes it in its place (a reinstated one is still there). */
  added(e: AdmittedEntry): void {
    const order = this.byQueue.get(e.state.queue);
    if (!order) return;
    if (order.members.has(e)) {
      order.dead--;
      return;
    }
    const run = this.runOf(order, e);
    const list = run.entries;
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order.compare(list[mid], e) < 0) lo = mid + 1;
      else hi = mid;
    }
    list.splice(lo, 0, e);
    order.members.add(e);
  }

  /** An entry forgotten: it stays listed (and skipped) until its order is compacted. */
  removed(e: AdmittedEntry): void {
    const order = this.byQueue.get(e.state.queue);
    if (order?.members.has(e)) order.dead++;
  }

  private append(order: QueueOrder, e: AdmittedEntry): void {
    this.runOf(order, e).entries.push(e);
    order.members.add(e);
  }

  private runOf(order: QueueOrder, e: AdmittedEntry): VictimRun {
    let run = order.byKey.get(e.w.totalKey);
    if (!run) {
      order.runs.push((run = { total: e.w.totalRequest, entries: [] }));
      order.byKey.set(e.w.totalKey, run);
    }
    return run;
  }

  /** Drops the dead members, keeping the order of the rest. */
  private compact(order: QueueOrder): void {
    for (const run of order.runs) {
      run.entries = run.entries.filter((e) => {
        if (e.alive) return true;
        order.members.delete(e);
        return false;
      });
    }
    order.dead = 0;
  }
}
