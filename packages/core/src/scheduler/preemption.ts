/**
 * Phase 5: preempt. Finds the smallest set of admitted workloads whose removal lets a pending
 * workload fit, by the rules of issue 3:
 * - withinQueue: in the same queue, a strictly lower priority yields (queue preemption.withinQueue);
 * - reclaim: a queue that stays within its guarantee takes back what other queues borrow
 *   (queue preemption.reclaim, after the queue's reclaim delay);
 * - fairShare: a borrowing queue takes from a queue that borrows more, only while the victim
 *   queue's share after losing the victim stays at or above the preemptor queue's share with
 *   the preemptor — so the reverse preemption can never follow (no flapping).
 * Never: preemptionPolicy Never, victims younger than minRuntime, replicas a PDB protects,
 * queues within their guarantee (for cross-queue rules).
 * Victims are tried lowest priority first, then least work lost since the last checkpoint,
 * then newest; then every victim that turns out unnecessary is given back.
 *
 * Example: `const found = findPreemption(snap, job, ctx); // { flavor, victims: [{ entry, rule }] } | undefined`
 */
import { GPU, addInto, describeAmount, sub, type Resources } from '../resources/index.js';
import type { QuotaNode, QuotaTree } from './quota-tree.js';
import type { PreemptionRule } from '../controllers/scheduling/types.js';
import { placeGang } from './placer.js';
import { RunMerge } from './run-merge.js';
import type { AdmittedEntry, Snapshot } from './snapshot.js';
import type { WorkloadInput } from './types.js';

export interface PreemptionContext {
  nowMs: number;
  minRuntimeBeforePreemptionMs: number;
  /** Workloads admitted in this cycle: never victims of the same cycle. */
  exclude?: ReadonlySet<string>;
  /**
   * Filled in on failure: `hopeless` is true when, in every flavor, even taking out every
   * candidate victim could not make room (the pod-slot bound failed, or there were none), as
   * opposed to a search that tried victims one by one and still did not fit.
   */
  outcome?: { hopeless: boolean };
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
  return Math.max(0, nowMs - e.sinceMs);
}

/** Victim order: lowest priority, least work lost since checkpoint, newest, then id. */
export function compareVictims(a: AdmittedEntry, b: AdmittedEntry, nowMs: number): number {
  if (a.w.priority !== b.w.priority) return a.w.priority - b.w.priority;
  const la = workLostMs(a, nowMs);
  const lb = workLostMs(b, nowMs);
  if (la !== lb) return la - lb;
  return compareAfterWorkLost(a, b);
}

/** compareVictims' last keys: newest first, then id. */
function compareAfterWorkLost(a: AdmittedEntry, b: AdmittedEntry): number {
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
  if (tree.check(w.queue!, w.totalRequest) !== undefined) return false;
  const r = placeGang(snap.cluster, snap.elig, w, { commit: false, flavorName: flavor || undefined, flavorSelector: flavor ? snap.flavorSelectors.get(flavor) : undefined, explain: false });
  return 'pods' in r;
}

/** Re-checks the cross-queue conditions against the snapshot as it is now (victims removed so far count). */
function stillEligible(snap: Snapshot, w: WorkloadInput, e: AdmittedEntry, rule: PreemptionRule, flavor: string): string | undefined {
  const tree = snap.trees.get(flavor)!;
  const request = w.totalRequest;
  if (rule === 'withinQueue') return `priority ${w.priority} > ${e.w.priority} in queue ${w.queue}`;
  if (!tree.isBorrowing(e.state.queue, request)) return undefined; // borrowers never take from a queue within its guarantee
  if (rule === 'reclaim') {
    const borrowed = tree.byName.get(e.state.queue)!.borrowed();
    const what = Object.keys(request).filter((k) => borrowed[k]).map((k) => describeAmount(k, borrowed[k])).join(', ');
    return `queue ${w.queue} reclaims its guarantee from queue ${e.state.queue}, which borrows ${what}`;
  }
  const victimShare = tree.shareWith(tree.byName.get(e.state.queue)!, e.w.totalRequest, -1);
  const preemptorShare = tree.shareWith(tree.byName.get(w.queue!)!, request, 1);
  // Equal shares after the move are allowed (Kueue's LessThanOrEqualToFinalShare): the reverse move
  // would need the victim's queue, back at its share before, to end at or below ours minus the
  // victim — impossible, so this cannot flap, and two equal borrowers still reach an even split.
  if (victimShare < preemptorShare) return undefined;
  return `queue ${e.state.queue}'s share ${victimShare.toFixed(3)} stays at or above queue ${w.queue}'s ${preemptorShare.toFixed(3)}`;
}

const comparators = new WeakMap<Snapshot, { nowMs: number; compare: (a: AdmittedEntry, b: AdmittedEntry) => number }>();

/**
 * compareVictims while no start or checkpoint lies after `now`: work lost then falls as its start
 * rises, whatever the time, so one comparator serves every cycle and the orders are kept.
 */
export function compareVictimsTimeless(a: AdmittedEntry, b: AdmittedEntry): number {
  if (a.w.priority !== b.w.priority) return a.w.priority - b.w.priority;
  if (a.sinceMs !== b.sinceMs) return b.sinceMs - a.sinceMs;
  return compareAfterWorkLost(a, b);
}

/** The victim comparator for `snap` at `nowMs`: the same function while it can be (the snapshot keeps its orders per comparator). */
function comparatorFor(snap: Snapshot, nowMs: number): (a: AdmittedEntry, b: AdmittedEntry) => number {
  if (snap.latestVictimSinceMs <= nowMs) return compareVictimsTimeless;
  let c = comparators.get(snap);
  if (!c || c.nowMs !== nowMs) comparators.set(snap, (c = { nowMs, compare: fastVictimCompare(nowMs) }));
  return c.compare;
}

/** compareVictims with each entry's work lost computed once (sorting calls it n log n times). */
function fastVictimCompare(nowMs: number): (a: AdmittedEntry, b: AdmittedEntry) => number {
  const lostOf = (e: AdmittedEntry): number => {
    if (e.lostAtMs !== nowMs) {
      e.lostMs = workLostMs(e, nowMs);
      e.lostAtMs = nowMs;
    }
    return e.lostMs!;
  };
  return (a, b) => {
    if (a.w.priority !== b.w.priority) return a.w.priority - b.w.priority;
    const la = lostOf(a);
    const lb = lostOf(b);
    if (la !== lb) return la - lb;
    return compareAfterWorkLost(a, b);
  };
}

/**
 * Could `w`'s pods fit if every candidate were gone? Counts pod slots (a node with free GPUs
 * for k pods counts k: a gang's pods may share a node) on the nodes of the classes that may host
 * it, with the candidates' GPUs added back. An upper bound (CPU, memory, holds and quota
 * ignored), so a "no" safely skips a search that would remove every candidate one by one and
 * then put them all back.
 */
function couldFit(snap: Snapshot, w: WorkloadInput, flavor: string, eachCandidate: (visit: (e: AdmittedEntry) => boolean) => boolean): boolean {
  const need = w.podRequest[GPU] ?? 0;
  const elig = need > 0 ? snap.eligibility(w, flavor) : undefined;
  let slots = elig && !elig.perNode ? snap.cluster.countPodSlots(elig.classes, need, w.pods) : Infinity;
  // No bound to check: it is enough that there is someone to take out.
  if (slots >= w.pods) return eachCandidate(() => true);
  // The GPUs each node would get back, on scratch fields stamped for this count (no map per search).
  const stamp = ++boundStamp;
  for (const cls of elig!.classes) cls.boundStamp = stamp;
  return eachCandidate((e) => {
    const gpus = e.w.podRequest[GPU] ?? 0;
    for (let i = 0; i < e.nodes.length; i++) {
      const node = e.nodes[i];
      if (!node || !e.taken[i] || node.cls.boundStamp !== stamp) continue;
      const before = node.boundStamp === stamp ? node.boundExtraGpus : 0;
      node.boundStamp = stamp;
      node.boundExtraGpus = before + gpus;
      slots += Math.floor((node.freeGpus + before + gpus) / need) - Math.floor((node.freeGpus + before) / need);
    }
    return slots >= w.pods;
  });
}

/** Tells one couldFit count from the next (see NodeState.boundStamp). */
let boundStamp = 0;

/** One run of a queue's victim order that a rule allows: its entries up to `maxPriority` may yield. */
interface EligibleRun {
  entries: readonly AdmittedEntry[];
  queue: string;
  maxPriority: number;
}

const enum Verdict { Skip, Candidate, RestTooHigh }

/** The run's entries that could be taken out, in victim order, one per call (undefined when done). */
function candidatesOf(run: EligibleRun, usable: (run: EligibleRun, e: AdmittedEntry) => Verdict): () => AdmittedEntry | undefined {
  let i = 0;
  return () => {
    while (i < run.entries.length) {
      const e = run.entries[i++];
      const v = usable(run, e);
      if (v === Verdict.Candidate) return e;
      if (v === Verdict.RestTooHigh) break;
    }
    i = run.entries.length;
    return undefined;
  };
}

/**
 * Searches victims for `w` in each of its flavors. On success the victims are already removed
 * from the snapshot (and their PDB budget spent); on failure the snapshot is as before.
 */
export function findPreemption(snap: Snapshot, w: WorkloadInput, ctx: PreemptionContext): PreemptionPlan | undefined {
  if (w.preemptNever || !w.queue) return undefined;
  const queue = snap.queues.get(w.queue);
  if (!queue) return undefined;
  const request = w.totalRequest;
  const markAtStart = snap.cluster.markFreed();
  const reclaimAllowed = queue.reclaim !== 'Never' && ctx.nowMs - w.pendingSinceMs >= queue.reclaimDelayMs;
  if (ctx.outcome) ctx.outcome.hopeless = true;
  for (const flavor of snap.flavorsOf(w.queue)) {
    const tree = snap.trees.get(flavor)!;
    const within = tree.withinGuarantee(w.queue, request);
    // Fair share: removing victims only lowers a queue's share, so queues already at or below the
    // preemptor's share after admission can never yield; skip them up front.
    const pq = tree.byName.get(w.queue)!;
    const preemptorShare = tree.shareWith(pq, request, 1);
    const shareCache = new Map<string, number>();
    const queueShare = (q: string): number => {
      let v = shareCache.get(q);
      if (v === undefined) shareCache.set(q, (v = tree.dominantShare(q)));
      return v;
    };
    const compare = comparatorFor(snap, ctx.nowMs);
    // The runs (one queue, one total request, each in victim order) whose entries could be taken
    // out at some point of the search. Eligibility only shrinks while victims go — a victim queue's
    // usage and share only fall — so a run or entry ruled out here stays out for the whole search,
    // and the fit bound below gets tighter for it. Entries are filtered lazily, as the search reads.
    const runs: EligibleRun[] = [];
    const addRuns = (q: string, maxPriority: number, keep: (total: Resources) => boolean): void => {
      for (const run of snap.admittedRuns(q, compare)) if (keep(run.total)) runs.push({ entries: run.entries, queue: q, maxPriority });
    };
    // One rule per queue: its own queue yields by priority, the others by reclaim or fair share.
    const ruleOf = (e: AdmittedEntry): PreemptionRule => (e.state.queue === w.queue ? 'withinQueue' : within ? 'reclaim' : 'fairShare');
    /** The checks that do not change during the search (victim orders put the lowest priority first). */
    const usable = (run: EligibleRun, e: AdmittedEntry): Verdict => {
      if (!e.alive || e.state.queue !== run.queue) return Verdict.Skip;
      if (e.w.priority > run.maxPriority) return Verdict.RestTooHigh;
      if (e.w.id === w.id || ctx.exclude?.has(e.w.id) || !overlaps(e.w.podRequest, w.podRequest)) return Verdict.Skip;
      if (ctx.nowMs - (e.state.startedMs ?? e.state.admittedMs) < ctx.minRuntimeBeforePreemptionMs) return Verdict.Skip;
      if (run.queue !== w.queue && e.state.flavor !== flavor) return Verdict.Skip;
      return Verdict.Candidate;
    };
    // Only the queues some rule allows: its own (withinQueue: strictly lower priority), and other
    // queues that borrow (removing victims only lowers usage, so a queue within its guarantee now
    // stays so) — for fairShare only those whose share is above the preemptor's.
    let preemptorShareMin = preemptorShare;
    if (queue.withinQueue !== 'Never' && snap.admittedByQueue.get(w.queue)?.size) {
      const ownFrom = runs.length;
      addRuns(w.queue, w.priority - 1, () => true);
      // The preemptor's share can fall only by its own-queue victims: bound it by taking them all out.
      const ownTotal: Resources = {};
      for (let r = ownFrom; r < runs.length; r++) {
        const next = candidatesOf(runs[r], usable);
        for (let e = next(); e; e = next()) addInto(ownTotal, e.w.totalRequest);
      }
      if (Object.keys(ownTotal).length > 0) preemptorShareMin = tree.shareWith(pq, sub(request, ownTotal), 1);
    }
    const crossQueue = within ? reclaimAllowed : tree.maxShareExcept(w.queue) > preemptorShare;
    if (crossQueue) {
      for (const [q, entries] of snap.admittedByQueue) {
        if (q === w.queue || entries.size === 0 || !tree.isBorrowing(q, request)) continue;
        if (within) {
          addRuns(q, Infinity, () => true);
          continue;
        }
        if (queueShare(q) <= preemptorShare) continue;
        // Fair share: only a victim whose queue keeps a share at or above the preemptor's lowest.
        const vq = tree.byName.get(q)!;
        addRuns(q, w.priority, (total) => tree.shareWith(vq, total, -1) >= preemptorShareMin);
      }
    }
    // Every candidate until `visit` says stop (true). Budgets only get spent during a search: a
    // victim a PDB protects now stays protected.
    const eachCandidate = (visit: (e: AdmittedEntry) => boolean): boolean => {
      for (const run of runs) {
        const next = candidatesOf(run, usable);
        for (let e = next(); e; e = next()) if (!snap.pdbBlocking(e.w) && visit(e)) return true;
      }
      return false;
    };
    if (!couldFit(snap, w, flavor, eachCandidate)) continue;
    if (ctx.outcome) ctx.outcome.hopeless = false;
    // Each run is already in victim order: merge them lazily, since the search usually stops
    // after a few victims (sorting, or even filtering, every candidate was most of its cost).
    const inOrder = new RunMerge(runs.map((r) => candidatesOf(r, usable)), compare);
    const removed: Array<{ choice: VictimChoice; restore: () => void }> = [];
    let ok = false;
    for (let e = inOrder.next(); e; e = inOrder.next()) {
      if (snap.pdbBlocking(e.w)) continue;
      const rule = ruleOf(e);
      const why = stillEligible(snap, w, e, rule, flavor);
      if (why === undefined) continue;
      const message = `preempted by ${ref(w)} (rule ${rule}): ${why}`;
      snap.spendPdb(e.w, -1);
      removed.push({ choice: { entry: e, rule, message }, restore: snap.forget(e.w.id) });
      if (fitsNow(snap, w, flavor)) {
        ok = true;
        break;
      }
    }
    if (!ok) {
      // Nothing changes in the end: keep cached "did not fit" answers valid.
      for (let i = removed.length - 1; i >= 0; i--) {
        removed[i].restore();
        snap.spendPdb(removed[i].choice.entry.w, 1);
      }
      snap.cluster.restoreFreed(markAtStart);
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
