/**
 * Preemption searches a cycle may skip because a smaller, higher-priority sibling already proved
 * them hopeless. A search is hopeless when, in every flavor, even removing every candidate
 * victim could not make room (the pod-slot bound failed, or there was no candidate). That bound
 * is monotone, so in an unchanged snapshot it also fails for a workload `b` of the same queue and
 * constraints that asks for at least as much (every pod resource, pod count) at no higher
 * priority: `b`'s candidates are a subset of `a`'s (withinQueue takes strictly lower priorities;
 * fairShare takes from queues whose share stays above the preemptor's, which only rises with
 * the request; reclaim, when `a` was allowed it, takes from every borrower) and `b` needs more
 * slots of a larger size. The skipped search would have ended exactly as the recorded one: no plan.
 *
 * A saturated cluster sees many such searches (one per shape of pending work); each costs a walk
 * over the other queues' admitted workloads, so this is most of what a cold cycle saves.
 *
 * Example:
 * ```ts
 * const hopeless = new HopelessSearches(snap, nowMs);
 * if (!hopeless.covers(w, version)) { const outcome = { hopeless: false }; findPreemption(snap, w, { ...ctx, outcome }); if (outcome.hopeless) hopeless.record(w, version); }
 * ```
 */
import type { Resources } from '../resources/index.js';
import type { Snapshot } from './snapshot.js';
import type { WorkloadInput } from './types.js';

interface RuleInputs {
  /** Per flavor of the queue, in order: does usage + request stay within the guarantee? */
  within: boolean[];
  reclaimAllowed: boolean;
}

interface Recorded extends RuleInputs {
  w: WorkloadInput;
  /** The snapshot version the search ran against (see `covers`). */
  version: number;
}

function positiveKeys(r: Resources): string {
  let key = '';
  for (const k of Object.keys(r).sort()) if (r[k] > 0) key += `${k},`;
  return key;
}

/** Every resource `big` asks for per pod is at least what `small` asks for (same positive keys checked by the caller). */
function atLeast(big: Resources, small: Resources): boolean {
  for (const k in small) if ((big[k] ?? 0) < small[k]) return false;
  return true;
}

/**
 * Are `b`'s cross-queue candidates a subset of `a`'s in this flavor? `a` within its guarantee
 * with reclaim allowed takes from every borrower (a superset of anything `b` may take); `a`
 * within without reclaim takes from no other queue, so `b` must not either; `a` beyond its
 * guarantee uses fairShare, and so must `b` (a larger request cannot be within when `a` was not).
 */
function crossQueueSubset(a: RuleInputs, b: RuleInputs, i: number): boolean {
  if (a.within[i]) return a.reclaimAllowed || (b.within[i] && !b.reclaimAllowed);
  return !b.within[i];
}

export class HopelessSearches {
  /** Queue → constraint key + positive request keys → recorded hopeless searches. */
  private readonly byQueue = new Map<string, Map<string, Recorded[]>>();

  constructor(private readonly snap: Snapshot, private readonly nowMs: number) {}

  private ruleInputs(w: WorkloadInput): RuleInputs {
    const queue = this.snap.queues.get(w.queue!);
    const request = w.totalRequest;
    return {
      within: this.snap.flavorsOf(w.queue!).map((f) => this.snap.trees.get(f)!.withinGuarantee(w.queue!, request)),
      reclaimAllowed: queue !== undefined && queue.reclaim !== 'Never' && this.nowMs - w.pendingSinceMs >= queue.reclaimDelayMs,
    };
  }

  private group(w: WorkloadInput, create: boolean): Recorded[] | undefined {
    let byKey = this.byQueue.get(w.queue!);
    if (!byKey) {
      if (!create) return undefined;
      this.byQueue.set(w.queue!, (byKey = new Map()));
    }
    const key = `${w.constraintKey}\u0000${positiveKeys(w.podRequest)}`;
    let list = byKey.get(key);
    if (!list && create) byKey.set(key, (list = []));
    return list;
  }

  /** Records that `w`'s search was hopeless against snapshot `version`. */
  record(w: WorkloadInput, version: number): void {
    if (!w.queue || w.preemptNever) return;
    const list = this.group(w, true)!;
    // Older versions can never cover again: versions only grow within a cycle.
    if (list.length > 0 && list[0].version !== version) list.length = 0;
    list.push({ w, version, ...this.ruleInputs(w) });
  }

  /** True when a recorded hopeless search against the same `version` proves `w`'s hopeless too. */
  covers(w: WorkloadInput, version: number): boolean {
    if (!w.queue) return false;
    const list = this.group(w, false);
    if (!list || list.length === 0 || list[0].version !== version) return false;
    let mine: RuleInputs | undefined;
    for (const a of list) {
      if (a.w.priority < w.priority || a.w.pods > w.pods || !atLeast(w.podRequest, a.w.podRequest)) continue;
      mine ??= this.ruleInputs(w);
      let subset = true;
      for (let i = 0; i < a.within.length && subset; i++) subset = crossQueueSubset(a, mine, i);
      if (subset) return true;
    }
    return false;
  }
}
