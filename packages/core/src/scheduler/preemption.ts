/**
 * Phase 5: preempt. Finds the smallest set of admitted workloads whose removal lets a pending
 * workload fit, by the rules of issue 3:
 * - withinQueue: in the same queue, a strictly lower priority yields (queue preemption.withinQueue);
 * - reclaim: a queue that stays within its guarantee takes back what other queues borrow
 *   (queue preemption.reclaim, after the queue's reclaim delay);
 * - fairShare: a borrowing queue takes from a queue that borrows more, only while the victim
 *   queue's share after losing the victim stays strictly above the preemptor queue's share with
 *   the preemptor — so the reverse preemption can never follow (no flapping).
 * Never: preemptionPolicy Never, victims younger than minRuntime, replicas a PDB protects,
 * queues within their guarantee (for cross-queue rules).
 * Victims are tried lowest priority first, then least work lost since the last checkpoint,
 * then newest; then every victim that turns out unnecessary is given back.
 *
 * Example: `const found = findPreemption(snap, job, ctx); // { flavor, victims: [{ entry, rule }] } | undefined`
 */
import { describeAmount, type Resources } from '../resources/index.js';
import type { PreemptionRule } from '../controllers/scheduling/types.js';
import { placeGang } from './placer.js';
import type { AdmittedEntry, Snapshot } from './snapshot.js';
import type { WorkloadInput } from './types.js';

export interface PreemptionContext {
  nowMs: number;
  minRuntimeBeforePreemptionMs: number;
  /** Workloads admitted in this cycle: never victims of the same cycle. */
  exclude?: ReadonlySet<string>;
}

export interface VictimChoice {
  entry: AdmittedEntry;
  rule: PreemptionRule;
  message: string;
}

export interface PreemptionPlan {
  flavor: string;
  victims: VictimChoice[];
}

function overlaps(a: Resources, b: Resources): boolean {
  for (const k in a) if (a[k] > 0 && (b[k] ?? 0) > 0) return true;
  return false;
}

/** Seconds of work lost if preempted now: since the later of the last checkpoint and the attempt's start. */
export function workLostMs(e: AdmittedEntry, nowMs: number): number {
  const since = Math.max(e.state.lastCheckpointMs ?? -Infinity, e.state.startedMs ?? e.state.admittedMs);
  return Math.max(0, nowMs - since);
}

/** Victim order: lowest priority, least work lost since checkpoint, newest, then id. */
export function compareVictims(a: AdmittedEntry, b: AdmittedEntry, nowMs: number): number {
  if (a.w.priority !== b.w.priority) return a.w.priority - b.w.priority;
  const la = workLostMs(a, nowMs);
  const lb = workLostMs(b, nowMs);
  if (la !== lb) return la - lb;
  const sa = a.state.startedMs ?? a.state.admittedMs;
  const sb = b.state.startedMs ?? b.state.admittedMs;
  if (sa !== sb) return sb - sa;
  if (a.w.createdMs !== b.w.createdMs) return b.w.createdMs - a.w.createdMs;
  return a.w.id < b.w.id ? -1 : a.w.id > b.w.id ? 1 : 0;
}

function ref(w: WorkloadInput): string {
  return `${w.namespace}/${w.key.name}${w.key.replica !== undefined ? `#${w.key.replica}` : ''}`;
}

/** Does `w` fit (namespace quota, queue quota in `flavor`, nodes) right now? */
export function fitsNow(snap: Snapshot, w: WorkloadInput, flavor: string): boolean {
  if (snap.nsQuotas.check(w) !== undefined) return false;
  const tree = snap.trees.get(flavor)!;
  if (tree.check(w.queue!, snap.totalRequest(w)) !== undefined) return false;
  const r = placeGang(snap.cluster, snap.elig, w, { commit: false, flavorName: flavor || undefined, flavorSelector: flavor ? snap.flavorSelectors.get(flavor) : undefined });
  return 'pods' in r;
}

function candidateRule(snap: Snapshot, w: WorkloadInput, e: AdmittedEntry, flavor: string, ctx: PreemptionContext, preemptorWithinGuarantee: boolean, reclaimAllowed: boolean): PreemptionRule | undefined {
  const queue = snap.queues.get(w.queue!)!;
  if (e.state.queue === w.queue) {
    return queue.withinQueue !== 'Never' && e.w.priority < w.priority ? 'withinQueue' : undefined;
  }
  if (e.state.flavor !== flavor) return undefined;
  if (preemptorWithinGuarantee) return reclaimAllowed ? 'reclaim' : undefined;
  return e.w.priority <= w.priority ? 'fairShare' : undefined;
  void ctx;
}

/** Re-checks the cross-queue conditions against the snapshot as it is now (victims removed so far count). */
function stillEligible(snap: Snapshot, w: WorkloadInput, e: AdmittedEntry, rule: PreemptionRule, flavor: string): string | undefined {
  const tree = snap.trees.get(flavor)!;
  const request = snap.totalRequest(w);
  if (rule === 'withinQueue') return `priority ${w.priority} > ${e.w.priority} in queue ${w.queue}`;
  if (!tree.isBorrowing(e.state.queue, request)) return undefined; // borrowers never take from a queue within its guarantee
  if (rule === 'reclaim') {
    const borrowed = tree.byName.get(e.state.queue)!.borrowed();
    const what = Object.keys(request).filter((k) => borrowed[k]).map((k) => describeAmount(k, borrowed[k])).join(', ');
    return `queue ${w.queue} reclaims its guarantee from queue ${e.state.queue}, which borrows ${what}`;
  }
  const vq = tree.byName.get(e.state.queue)!;
  const pq = tree.byName.get(w.queue!)!;
  const victimUsageAfter: Resources = { ...vq.usage };
  const victimReq = snap.totalRequest(e.w);
  for (const k in victimReq) victimUsageAfter[k] = (victimUsageAfter[k] ?? 0) - victimReq[k];
  const preemptorUsageAfter: Resources = { ...pq.usage };
  for (const k in request) preemptorUsageAfter[k] = (preemptorUsageAfter[k] ?? 0) + request[k];
  const victimShare = tree.shareOf(vq, victimUsageAfter);
  const preemptorShare = tree.shareOf(pq, preemptorUsageAfter);
  if (!(victimShare > preemptorShare)) return undefined;
  return `queue ${e.state.queue}'s share ${victimShare.toFixed(3)} stays above queue ${w.queue}'s ${preemptorShare.toFixed(3)}`;
}

/**
 * Searches victims for `w` in each of its flavors. On success the victims are already removed
 * from the snapshot (and their PDB budget spent); on failure the snapshot is as before.
 */
export function findPreemption(snap: Snapshot, w: WorkloadInput, ctx: PreemptionContext): PreemptionPlan | undefined {
  if (w.preemptNever || !w.queue) return undefined;
  const queue = snap.queues.get(w.queue);
  if (!queue) return undefined;
  const request = snap.totalRequest(w);
  const epochAtStart = snap.cluster.freedEpoch;
  const reclaimAllowed = queue.reclaim !== 'Never' && ctx.nowMs - w.pendingSinceMs >= queue.reclaimDelayMs;
  for (const flavor of snap.flavorsOf(w.queue)) {
    const tree = snap.trees.get(flavor)!;
    const within = tree.withinGuarantee(w.queue, request);
    // Fair share: removing victims only lowers a queue's share, so queues already at or below the
    // preemptor's share after admission can never yield; skip them up front.
    const pq = tree.byName.get(w.queue)!;
    const preemptorUsage: Resources = { ...pq.usage };
    for (const k in request) preemptorUsage[k] = (preemptorUsage[k] ?? 0) + request[k];
    const preemptorShare = tree.shareOf(pq, preemptorUsage);
    const shareCache = new Map<string, number>();
    const queueShare = (q: string): number => {
      let v = shareCache.get(q);
      if (v === undefined) shareCache.set(q, (v = tree.dominantShare(q)));
      return v;
    };
    const candidates: Array<{ e: AdmittedEntry; rule: PreemptionRule }> = [];
    for (const e of snap.admitted.values()) {
      if (e.w.id === w.id || ctx.exclude?.has(e.w.id) || !overlaps(e.w.podRequest, w.podRequest)) continue;
      if (ctx.nowMs - (e.state.startedMs ?? e.state.admittedMs) < ctx.minRuntimeBeforePreemptionMs) continue;
      const rule = candidateRule(snap, w, e, flavor, ctx, within, reclaimAllowed);
      if (rule === 'fairShare' && queueShare(e.state.queue) <= preemptorShare) continue;
      if (rule) candidates.push({ e, rule });
    }
    if (candidates.length === 0) continue;
    candidates.sort((a, b) => compareVictims(a.e, b.e, ctx.nowMs));
    const removed: Array<{ choice: VictimChoice; restore: () => void }> = [];
    let ok = false;
    for (const c of candidates) {
      if (snap.pdbBlocking(c.e.w)) continue;
      const why = stillEligible(snap, w, c.e, c.rule, flavor);
      if (why === undefined) continue;
      const message = `preempted by ${ref(w)} (rule ${c.rule}): ${why}`;
      snap.spendPdb(c.e.w, -1);
      removed.push({ choice: { entry: c.e, rule: c.rule, message }, restore: snap.forget(c.e.w.id) });
      if (fitsNow(snap, w, flavor)) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      // Nothing changes in the end: keep cached "did not fit" answers valid.
      const epoch = epochAtStart;
      for (let i = removed.length - 1; i >= 0; i--) {
        removed[i].restore();
        snap.spendPdb(removed[i].choice.entry.w, 1);
      }
      snap.cluster.freedEpoch = epoch;
      continue;
    }
    // Minimal set: give back every victim the preemptor does not need (latest-removed last).
    const victims: VictimChoice[] = [removed[removed.length - 1].choice];
    for (let i = removed.length - 2; i >= 0; i--) {
      removed[i].restore();
      if (fitsNow(snap, w, flavor)) {
        snap.spendPdb(removed[i].choice.entry.w, 1);
      } else {
        snap.forget(removed[i].choice.entry.w.id);
        victims.push(removed[i].choice);
      }
    }
    victims.reverse();
    return { flavor, victims };
  }
  return undefined;
}
