/**
 * One scheduling cycle, pure and synchronous, in numbered phases:
 *   1. snapshot — nodes, quota trees, namespace quotas, PDBs; admitted workloads assumed in
 *   2. order    — pending workloads per queue; queues picked by priority, fair share, age
 *   3. quota    — namespace ResourceQuota, then the queue tree (per flavor, in order)
 *   4. place    — every pod on a node now, or none (gang)
 *   5. preempt  — the minimal victim set under withinQueue / reclaim / fairShare
 *   6. assume   — decisions go into the snapshot at once; a starving head gets capacity held
 *   7. result   — admissions, preemptions, pending reasons and positions, queue reports
 *   7b. estimates — estimated start times, from a forward simulation of the running workloads' ends
 *
 * `scheduleCycle` runs them all; `openCycle` stops after the decisions, so a long-lived caller
 * can write them before it computes the estimates (7b), or without them between refreshes.
 *
 * Example:
 * ```ts
 * const r = scheduleCycle(input, { nowMs: clock.now(), rng, config: DEFAULT_SCHEDULER_CONFIG });
 * const cycle = openCycle(input, { nowMs, rng, config, memo }); // cycle.result has no estimates yet
 * await write(cycle.result); cycle.estimate(); cycle.close();
 * ```
 */
import { DEFAULT_SCHEDULER_CONFIG } from '../controllers/scheduling/types.js';
import { GPU, addInto, type Resources } from '../resources/index.js';
import { estimateStarts } from './estimate.js';
import { HeadHeap, compareHeads, compareWithinQueue, type QueueHead } from './ordering.js';
import type { NodeState } from './cluster-state.js';
import { placeGang } from './placer.js';
import { findPreemption, type PreemptionPlan } from './preemption.js';
import { HopelessSearches } from './hopeless-searches.js';
import { RunMerge, type Run } from './run-merge.js';
import { Snapshot } from './snapshot.js';
import { staticReject } from './plugins/index.js';
import { HELD_MARK, nextTimeRuleDueMs } from './time-rules.js';
import type { CycleMemo } from './cycle-memo.js';
import type {
  AdmissionDecision, CycleInput, CycleOptions, CycleResult, PendingDecision, PreemptionDecision, QueueReport, WorkloadInput,
} from './types.js';

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function durationText(ms: number): string {
  const m = Math.round(ms / 60_000);
  return m >= 60 ? `${Math.round(m / 6) / 10}h` : `${m}m`;
}

/**
 * A cycle whose decisions are made and whose snapshot is still held: a long-lived caller writes
 * the decisions first, then (when due) asks for the estimates, then closes it.
 */
export interface OpenCycle {
  /** Admissions, preemptions, pending reasons and positions, queue reports; no estimates until `estimate()`. */
  readonly result: CycleResult;
  /** Fills in the pending workloads' estimatedStartMs from the snapshot as the decisions left it. At most once. */
  estimate(): void;
  /** Hands the snapshot back to the memo (or drops it after a failure). Call exactly once, also after a throw. */
  close(): void;
}

/** Decides, estimates and closes: one whole cycle. */
export function scheduleCycle(input: CycleInput, opts: CycleOptions): CycleResult {
  const cycle = openCycle(input, opts);
  try {
    cycle.estimate();
  } finally {
    cycle.close();
  }
  return cycle.result;
}

/** Makes the cycle's decisions; the estimates wait for `estimate()`, the memo for `close()`. */
export function openCycle(input: CycleInput, opts: CycleOptions): OpenCycle {
  const memo = opts.memo;
  const config = { ...DEFAULT_SCHEDULER_CONFIG, ...opts.config };
  const snap = memo ? memo.acquire(input, opts.nowMs) : new Snapshot(input);
  let decided: Decided;
  try {
    decided = runCycle(input, opts, snap, memo);
  } catch (err) {
    memo?.release(snap, undefined);
    throw err;
  }
  let state: 'open' | 'estimated' | 'failed' | 'closed' = 'open';
  return {
    result: decided.result,
    estimate(): void {
      if (state !== 'open') return;
      state = 'failed'; // until it returns
      estimateCandidates(snap, memo, decided);
      state = 'estimated';
    },
    close(): void {
      if (state === 'closed') return;
      const failed = state === 'failed';
      state = 'closed';
      memo?.release(snap, failed ? undefined : nextTimeRuleDueMs(input, decided.result, opts.nowMs, config));
    },
  };
}

/** A cycle's decisions, and the pending workloads (first `estimateHorizon` per queue) that get estimates. */
interface Decided {
  result: CycleResult;
  candidates: WorkloadInput[];
}

/** Phase 7b: estimated start times for the candidates, written into the result's pending decisions. */
function estimateCandidates(snap: Snapshot, memo: CycleMemo | undefined, { result, candidates }: Decided): void {
  if (candidates.length === 0) return;
  candidates.sort(compareWithinQueue);
  // A memo keeps the snapshot for the next cycle: the simulation must leave it as it found it.
  const estimates = memo ? memo.estimates(snap, candidates, () => estimateStarts(snap, candidates, { restore: true })) : estimateStarts(snap, candidates);
  for (const p of result.pending) {
    const t = estimates.get(p.workload.id);
    if (t !== undefined) p.estimatedStartMs = t;
  }
}

function runCycle(input: CycleInput, opts: CycleOptions, snap: Snapshot, memo?: CycleMemo): Decided {
  const config = { ...DEFAULT_SCHEDULER_CONFIG, ...opts.config };
  const nowMs = opts.nowMs;

  // 1. snapshot (built, or reused from the last cycle by opts.memo)
  const admitted: AdmissionDecision[] = [];
  const preempted: PreemptionDecision[] = [];
  const noQueue: Array<{ w: WorkloadInput; reason: string }> = [];

  // 2. order
  const perQueue = new Map<string, WorkloadInput[]>();
  for (const w of input.workloads) {
    if (w.admitted) continue;
    if (!w.queue || w.queueProblem || !snap.queues.has(w.queue)) {
      noQueue.push({ w, reason: w.queueProblem ?? `queue ${w.queue} does not exist` });
      continue;
    }
    const list = perQueue.get(w.queue);
    if (list) list.push(w);
    else perQueue.set(w.queue, [w]);
  }
  const shareOf = (queue: string): number => {
    let s = 0;
    for (const tree of snap.trees.values()) s = Math.max(s, tree.dominantShare(queue));
    return s;
  };
  const heap = new HeadHeap();
  const ordered = new Map<string, QueueHead>();
  for (const [queue, unsorted] of [...perQueue.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    // A memo keeps each queue's order from the last cycle and merges in what changed.
    const items = memo ? memo.pendingOrders.sorted(queue, unsorted) : unsorted.sort(compareWithinQueue);
    const head: QueueHead = { queue, items, reasons: new Array<string | null | undefined>(items.length), cursor: 0, share: shareOf(queue), shareAt: 0, tried: false };
    ordered.set(queue, head);
    heap.push(head);
  }

  // A failed shape fails again until capacity is freed: cache by shape. A shape that found no
  // node stays failed until a node it may use (eligible class) gets the GPUs one pod needs;
  // one that quota stopped, until anything is freed.
  interface Failure { sig: number; global: boolean; reason: string; freedVersion: number }
  const failedShapes = new Map<string, Array<Failure | undefined>>();
  const freedSig = (w: WorkloadInput, global: boolean): number => {
    if (global) return snap.cluster.freedEpoch;
    let sig = 0;
    const need = w.podRequest[GPU] ?? 0;
    for (const flavor of snap.flavorsOf(w.queue!)) {
      const e = snap.eligibility(w, flavor);
      sig += snap.cluster.freedSignature(e.classes, need);
    }
    return sig;
  };
  /** Nothing freed since (same version), or nothing this shape could use: the failure stands. */
  const stillFails = (f: Failure, w: WorkloadInput): boolean => {
    if (f.freedVersion === snap.cluster.freedVersion) return true;
    if (f.sig !== freedSig(w, f.global)) return false;
    f.freedVersion = snap.cluster.freedVersion;
    return true;
  };
  const hopeless = new HopelessSearches(snap, nowMs);
  const holders = new Set<string>();
  const admittedNow = new Set<string>();
  const mayUseHeldFor = (w: WorkloadInput) => (holder: WorkloadInput): boolean => {
    const q = snap.queues.get(holder.queue!);
    return holder.queue === w.queue && w.priority < holder.priority && q?.withinQueue !== 'Never';
  };

  // Queue shares change only when something is admitted (with its victims): recompute them then.
  let admissions = 0;
  for (let head: QueueHead | undefined = heap.pop(); head;) {
    const at = head.cursor++;
    const w = head.items[at];
    const reason = tryAdmit(w, !head.tried);
    head.reasons[at] = reason ?? null; // null: admitted
    if (reason !== undefined) head.tried = true;
    else admissions++;
    if (head.cursor < head.items.length) {
      if (head.shareAt !== admissions) {
        head.share = shareOf(head.queue);
        head.shareAt = admissions;
      }
      // Still ahead of every other queue (heads never tie: ids differ)? Go on without a heap round trip.
      const next = heap.peek();
      if (!next || compareHeads(head, next) < 0) continue;
      head = heap.replaceTop(head); // as push(head) then pop(): `next` comes first
      continue;
    }
    head = heap.pop();
  }

  /** Admits `w` (undefined) or says why not. */
  function tryAdmit(w: WorkloadInput, isHead: boolean): string | undefined {
    const queue = w.queue!;
    if (w.retryAfterMs !== undefined && w.retryAfterMs > nowMs) {
      return `waiting to retry after ${iso(w.retryAfterMs)}`;
    }
    const shape = w.shapeKey;
    const slot = w.pendingSinceMs >= nowMs - config.starvationBoundMs ? 0 : 1;
    const cached = failedShapes.get(shape)?.[slot];
    if (cached && !isHead && stillFails(cached, w)) {
      return cached.reason;
    }
    // The same search over the same state ended the same way in an earlier cycle: take its answer.
    const memoKey = memo ? searchKey(w) : undefined;
    const stateKey = memo ? snap.stateKey() : '';
    const remembered = memoKey === undefined ? undefined : memo!.failure(stateKey, memoKey);
    const rememberedPlan = memoKey === undefined || remembered ? undefined : memo!.plan(stateKey, memoKey, w.id);
    let reason: string | undefined;
    let placementFailed = false;
    if (remembered) ({ reason, placementFailed } = remembered);
    else if (rememberedPlan) ({ reason, placementFailed } = rememberedPlan);
    else {
      // 3. quota, 4. place (flavors in order)
      reason = snap.nsQuotas.check(w);
      const request = w.totalRequest;
      if (reason === undefined) {
        for (const flavor of snap.flavorsOf(queue)) {
          const tree = snap.trees.get(flavor)!;
          const quotaReason = tree.check(queue, request);
          if (quotaReason !== undefined) {
            reason ??= quotaReason;
            continue;
          }
          const r = placeGang(snap.cluster, snap.elig, w, {
            commit: true, flavorName: flavor || undefined, flavorSelector: flavor ? snap.flavorSelectors.get(flavor) : undefined, mayUseHeld: mayUseHeldFor(w),
          });
          if ('pods' in r) {
            admit(w, queue, flavor, r.pods);
            return undefined;
          }
          if (reason === undefined || !placementFailed) {
            reason = r.reason;
            placementFailed = true;
          }
        }
      }
    }
    // 5. preempt
    const epochBefore = snap.cluster.freedEpoch;
    const markBefore = snap.cluster.markFreed();
    let plan = rememberedPlan && replayPlan(rememberedPlan.plan);
    if (!plan && !remembered && reason !== undefined && !reason.startsWith('namespace ')) {
      // Failed searches leave the snapshot as it was: only admissions (with their victims) change it.
      const version = admitted.length;
      if (!hopeless.covers(w, version)) {
        const outcome = { hopeless: false };
        plan = findPreemption(snap, w, { nowMs, minRuntimeBeforePreemptionMs: config.minRuntimeBeforePreemptionMs, exclude: admittedNow, outcome });
        if (plan && memoKey !== undefined) memo!.rememberPlan(stateKey, memoKey, w.id, { plan, reason, placementFailed });
        if (!plan && outcome.hopeless) hopeless.record(w, version);
      }
    }
    if (plan) {
      const r = placeGang(snap.cluster, snap.elig, w, {
        commit: true, flavorName: plan.flavor || undefined, flavorSelector: plan.flavor ? snap.flavorSelectors.get(plan.flavor) : undefined, mayUseHeld: () => true,
      });
      if ('pods' in r) {
        // Only victims' GPUs the preemptor did not take are freed for others.
        const epochAfter = snap.cluster.freedEpoch;
        snap.cluster.restoreFreed(markBefore);
        snap.cluster.freedEpoch = epochAfter;
        const net = new Map<NodeState, number>();
        for (const v of plan.victims) {
          v.entry.nodes.forEach((node, i) => {
            if (node && v.entry.taken[i]) net.set(node, (net.get(node) ?? 0) + Math.max(1, v.entry.w.podRequest[GPU] ?? 0));
          });
        }
        for (const p of r.pods) {
          const node = snap.cluster.byName.get(p.node)!;
          net.set(node, (net.get(node) ?? 0) - (w.podRequest[GPU] ?? 0));
        }
        for (const [node, freed] of net) if (freed > 0) snap.cluster.noteFreed(node);
        for (const v of plan.victims) preempted.push({ victim: v.entry.w, preemptor: w, rule: v.rule, message: v.message });
        admit(w, queue, plan.flavor, r.pods);
        return undefined;
      }
    }
    // 6. hold capacity for a starving head gang
    if (memoKey !== undefined && !remembered && !plan && snap.cluster.freedEpoch === epochBefore) memo!.rememberFailure(stateKey, memoKey, { reason, placementFailed });
    let text = reason ?? 'does not fit';
    if (isHead && placementFailed && nowMs - w.pendingSinceMs >= config.starvationBoundMs && holdFor(w)) {
      text += `; ${HELD_MARK} (waiting ${durationText(nowMs - w.pendingSinceMs)})`;
    }
    if (snap.cluster.freedEpoch === epochBefore) {
      let slots = failedShapes.get(shape);
      if (!slots) failedShapes.set(shape, (slots = []));
      const global = !placementFailed;
      slots[slot] = { sig: freedSig(w, global), global, reason: text, freedVersion: snap.cluster.freedVersion };
    }
    return text;
  }

  /**
   * Takes out the victims a remembered plan chose, as findPreemption would have; undefined (and
   * nothing changed) when one of them is no longer admitted as it was.
   */
  function replayPlan(p: PreemptionPlan): PreemptionPlan | undefined {
    for (const v of p.victims) if (snap.admitted.get(v.entry.w.id) !== v.entry) return undefined;
    for (const v of p.victims) {
      snap.spendPdb(v.entry.w, -1);
      snap.forget(v.entry.w.id);
    }
    return p;
  }

  /** Everything of `w` a search depends on (the snapshot's state is the memo's other key). */
  function searchKey(w: WorkloadInput): string {
    const q = snap.queues.get(w.queue!);
    const reclaimOk = q !== undefined && q.reclaim !== 'Never' && nowMs - w.pendingSinceMs >= q.reclaimDelayMs;
    return `${w.shapeKey}\u0000${w.key.kind}\u0000${w.priorityClassName ?? ''}\u0000${reclaimOk}\u0000${holders.has(w.id)}`;
  }

  function admit(w: WorkloadInput, queue: string, flavor: string, pods: AdmissionDecision['pods']): void {
    snap.assumePlaced(w, queue, flavor, pods, nowMs);
    admittedNow.add(w.id);
    admitted.push({ workload: w, queue, flavor, pods });
    if (holders.has(w.id)) {
      snap.cluster.unhold(w);
      holders.delete(w.id);
    }
  }

  /** Reserves the nodes closest to fitting (most free GPUs) for `w`'s pods. */
  function holdFor(w: WorkloadInput): boolean {
    const elig = snap.eligibility(w, snap.flavorsOf(w.queue!)[0]);
    // Most free GPUs first, then name: walk the free-GPU buckets down and stop once enough are found.
    const nodes: NodeState[] = [];
    let top = 0;
    for (const c of elig.classes) top = Math.max(top, c.maxGpu);
    const usable = (n: NodeState): boolean => !n.heldBy && (!elig.perNode || staticReject(w, n.input) === undefined);
    for (let k = top; k >= 0 && nodes.length < w.pods; k--) {
      // Every node of level k has k free GPUs; each class's bucket is in name order: merge them,
      // taking only as many as are still needed (the lowest level may hold most of the cluster).
      const runs: Array<Run<NodeState>> = [];
      for (const c of elig.classes) {
        if (k > c.maxGpu || c.buckets[k].length === 0) continue;
        // Classes passed the static checks as a whole unless node names matter.
        const bucket = c.buckets[k];
        let i = 0;
        runs.push(() => {
          while (i < bucket.length) if (usable(bucket[i++])) return bucket[i - 1];
          return undefined;
        });
      }
      const level = new RunMerge(runs, (a, b) => a.idx - b.idx);
      while (nodes.length < w.pods) {
        const n = level.next();
        if (!n) break;
        nodes.push(n);
      }
    }
    if (nodes.length < w.pods) return false;
    for (let i = 0; i < w.pods; i++) snap.cluster.hold(nodes[i], w);
    holders.add(w.id);
    return true;
  }

  // 7. result
  const pending: PendingDecision[] = [];
  const queuePending = new Map<string, number>();
  const candidates: WorkloadInput[] = [];
  for (const [queue, { items, reasons }] of ordered) {
    let position = 0;
    for (let i = 0; i < items.length; i++) {
      const reason = reasons[i];
      if (reason === null) continue; // admitted
      const w = items[i];
      position++;
      if (position <= config.estimateHorizon) candidates.push(w);
      pending.push({ workload: w, reason: reason ?? 'not tried', queuePosition: position });
    }
    queuePending.set(queue, position);
  }
  for (const { w, reason } of noQueue) pending.push({ workload: w, reason });

  const queues: QueueReport[] = [];
  for (const q of input.queues) {
    const usage: Resources = {};
    const borrowed: Resources = {};
    let admittedCount = 0;
    let share = 0;
    for (const tree of snap.trees.values()) {
      const node = tree.byName.get(q.name);
      if (!node) continue;
      addInto(usage, node.usage);
      addInto(borrowed, node.borrowed());
      admittedCount += node.admittedCount;
      share = Math.max(share, tree.dominantShare(q.name));
    }
    let pendingCount = queuePending.get(q.name) ?? 0;
    // An inner queue counts its children's pending work too.
    const tree = snap.trees.get('')!;
    const stack = [...(tree.byName.get(q.name)?.children ?? [])];
    while (stack.length) {
      const c = stack.pop()!;
      pendingCount += queuePending.get(c.name) ?? 0;
      stack.push(...c.children);
    }
    // A resource whose last user left stays in a reused snapshot's usage as 0: report what is used.
    for (const k in usage) if (usage[k] === 0) delete usage[k];
    queues.push({ name: q.name, usage, borrowed, pending: pendingCount, admitted: admittedCount, dominantShare: Math.round(share * 1e6) / 1e6 });
  }

  void opts.rng;
  return { result: { admitted, preempted, pending, queues }, candidates };
}
