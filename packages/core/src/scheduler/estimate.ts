/**
 * Phase 7b: estimated start times. Simulates forward from the end of this cycle: running
 * workloads end at their expected end times (status.expectedEndTime), in order; after each end
 * the pending workloads (the first `horizon` of each queue, in scheduling order) that now fit
 * are assumed at that time. Based only on expected ends — never on `now` — so an unchanged
 * cluster gets the same estimates every pass. Workloads that never fit get none.
 *
 * Cost is bounded: equal workloads of a queue form one shape, tried head first; shapes that ask
 * for the same placement (any queue) form a group. A shape that did not fit sleeps until an end
 * frees what it waits for: its namespace's or queue tree's quota, or — for the whole group at
 * once — a node of a class it may use reaching the GPUs one pod needs. A woken group tries only
 * its earliest sleeper and goes back to sleep if that does not fit, so an end that frees one
 * node wakes one try, not one per queue. At most `maxAttempts` placements are tried in all.
 *
 * Example: `const estimates = estimateStarts(snap, candidates, { restore: true }); // Map id → epoch ms`
 */
import { GPU } from '../resources/index.js';
import { BinaryHeap } from './binary-heap.js';
import type { NodeClass, NodeState } from './cluster-state.js';
import { placeGang } from './placer.js';
import type { AdmittedEntry, Snapshot } from './snapshot.js';
import type { PodPlacement, WorkloadInput } from './types.js';

interface Shape {
  group: Group;
  members: WorkloadInput[];
  /** Scheduling-order rank of each member. */
  ranks: number[];
  cursor: number;
  /** Bumped whenever it is queued or put to sleep: older queue entries and registrations go stale. */
  gen: number;
  state: 'queued' | 'asleep' | 'done';
}

interface Group {
  key: string;
  /** Shapes asleep waiting for nodes (stale entries skipped). */
  sleepers: BinaryHeap<{ shape: Shape; gen: number }>;
  /** Registered on node wake-ups (and not woken since). */
  registered: boolean;
  /** A token for it sits in the main queue. */
  queued: boolean;
  classes?: Array<{ cls: NodeClass; need: number }>;
}

type Item = { shape: Shape; gen: number; group?: undefined } | { group: Group; shape?: undefined };

/** What placement depends on (not quota): equal keys fit or fail together. */
function placementKey(w: WorkloadInput, flavors: readonly string[]): string {
  const req = Object.keys(w.podRequest).sort().map((k) => `${k}=${w.podRequest[k]}`).join(',');
  return `${flavors.join(',')}|${w.constraintKey}|${w.pods}|${req}`;
}

const rankOfShape = (s: Shape): number => s.ranks[s.cursor];

export interface EstimateOptions {
  /** Bounds the placements tried (default 20,000). */
  maxAttempts?: number;
  /**
   * Put the snapshot's nodes and quotas back as they were when done (a CycleMemo reuses it);
   * without it the snapshot is left as the simulation ended (a one-off snapshot, about to go).
   */
  restore?: boolean;
}

/** Runs last in a cycle: holds are dropped, and without `restore` the snapshot is used up. */
export function estimateStarts(snap: Snapshot, candidates: readonly WorkloadInput[], opts: EstimateOptions = {}): Map<string, number> {
  const out = new Map<string, number>();
  if (candidates.length === 0) return out;
  const maxAttempts = opts.maxAttempts ?? 20_000;
  snap.cluster.unhold();
  const freedAtStart = snap.cluster.markFreed();
  // What the simulation did, to undo with opts.restore: entries ended, workloads placed.
  const ended: AdmittedEntry[] = [];
  const placed: Array<{ w: WorkloadInput; flavor: string; pods: PodPlacement[] }> = [];
  const ends = [...snap.admitted.values()]
    .filter((e) => e.state.expectedEndMs !== undefined)
    .sort((a, b) => a.state.expectedEndMs! - b.state.expectedEndMs! || (a.w.id < b.w.id ? -1 : 1));

  const sleeperRank = (x: { shape: Shape }): number => rankOfShape(x.shape);
  const groupRank = (g: Group): number => {
    const top = g.sleepers.peek();
    return top ? sleeperRank(top) : Infinity;
  };
  const itemRank = (x: Item): number => (x.group ? groupRank(x.group) : rankOfShape(x.shape));
  const queue = new BinaryHeap<Item>((a, b) => itemRank(a) < itemRank(b));
  const groups = new Map<string, Group>();
  const shapes = new Map<string, Shape>();
  candidates.forEach((w, rank) => {
    if (w.queue === undefined) return;
    const placement = placementKey(w, snap.flavorsOf(w.queue));
    const key = `${w.queue}|${w.namespace}|${placement}`;
    let s = shapes.get(key);
    if (!s) {
      let g = groups.get(placement);
      if (!g) {
        g = { key: placement, sleepers: new BinaryHeap<{ shape: Shape; gen: number }>((a, b) => sleeperRank(a) < sleeperRank(b)), registered: false, queued: false };
        groups.set(placement, g);
      }
      s = { group: g, members: [], ranks: [], cursor: 0, gen: 0, state: 'queued' };
      shapes.set(key, s);
    }
    s.members.push(w);
    s.ranks.push(rank);
  });
  for (const s of shapes.values()) queue.push({ shape: s, gen: s.gen });
  let live = shapes.size;

  const enqueue = (s: Shape): void => {
    s.gen++;
    s.state = 'queued';
    queue.push({ shape: s, gen: s.gen });
  };
  const enqueueGroup = (g: Group): void => {
    if (g.queued || g.sleepers.size === 0) return;
    g.queued = true;
    queue.push({ group: g });
  };

  // Wake-ups: node class → by GPUs one pod needs → groups; namespace / flavor's tree → shapes.
  const onNodes = new Map<NodeClass, Group[][]>();
  const onNamespace = new Map<string, Array<{ shape: Shape; gen: number }>>();
  const onTree = new Map<string, Array<{ shape: Shape; gen: number }>>();
  const wakeShapes = (list: Array<{ shape: Shape; gen: number }> | undefined): void => {
    if (!list) return;
    for (const r of list) if (r.gen === r.shape.gen && r.shape.state === 'asleep') enqueue(r.shape);
    list.length = 0;
  };
  const wakeGroups = (list: Group[] | undefined): void => {
    if (!list) return;
    for (const g of list) {
      g.registered = false;
      enqueueGroup(g);
    }
    list.length = 0;
  };
  const classesOf = (g: Group, w: WorkloadInput): Array<{ cls: NodeClass; need: number }> => {
    if (!g.classes) {
      const need = Math.max(0, w.podRequest[GPU] ?? 0);
      const seen = new Set<NodeClass>();
      g.classes = [];
      for (const flavor of snap.flavorsOf(w.queue!)) {
        for (const cls of snap.eligibility(w, flavor).classes) {
          if (seen.has(cls)) continue;
          seen.add(cls);
          g.classes.push({ cls, need: Math.min(need, cls.maxGpu) });
        }
      }
    }
    return g.classes;
  };
  const sleepOnNodes = (s: Shape, w: WorkloadInput): void => {
    const g = s.group;
    g.sleepers.push({ shape: s, gen: s.gen });
    if (g.registered) return;
    g.registered = true;
    for (const { cls, need } of classesOf(g, w)) {
      let byNeed = onNodes.get(cls);
      if (!byNeed) onNodes.set(cls, (byNeed = Array.from({ length: cls.maxGpu + 1 }, () => [])));
      byNeed[need].push(g);
    }
  };
  const sleepOn = (map: Map<string, Array<{ shape: Shape; gen: number }>>, key: string, s: Shape): void => {
    let list = map.get(key);
    if (!list) map.set(key, (list = []));
    list.push({ shape: s, gen: s.gen });
  };

  // Placements that failed in this round: within a round capacity only shrinks.
  const failedThisRound = new Set<string>();
  let attempts = 0;

  /** Tries the shape's next member at `t`; true when placed, else it is put to sleep. */
  const attempt = (s: Shape, t: number): boolean => {
    const w = s.members[s.cursor];
    s.gen++;
    s.state = 'asleep';
    if (snap.nsQuotas.check(w) !== undefined) {
      sleepOn(onNamespace, w.namespace, s);
      return false;
    }
    let nodesBlocked = false;
    for (const flavor of snap.flavorsOf(w.queue!)) {
      if (snap.trees.get(flavor)!.check(w.queue!, w.totalRequest) !== undefined) {
        sleepOn(onTree, flavor, s);
        continue;
      }
      const placeKey = `${flavor}|${s.group.key}`;
      if (failedThisRound.has(placeKey)) {
        nodesBlocked = true;
        continue;
      }
      attempts++;
      const r = placeGang(snap.cluster, snap.elig, w, { commit: true, flavorName: flavor || undefined, flavorSelector: flavor ? snap.flavorSelectors.get(flavor) : undefined, explain: false });
      if ('pods' in r) {
        // Its own end is unknown: it keeps what it takes for the rest of the simulation.
        snap.chargeUsage(w, w.queue!, flavor, 1);
        placed.push({ w, flavor, pods: r.pods });
        out.set(w.id, Math.max(t, w.retryAfterMs ?? t));
        s.cursor++;
        if (s.cursor < s.members.length) enqueue(s);
        else {
          s.state = 'done';
          live--;
        }
        return true;
      }
      failedThisRound.add(placeKey);
      nodesBlocked = true;
    }
    if (nodesBlocked) sleepOnNodes(s, w);
    return false;
  };

  let i = 0;
  while (i < ends.length && live > 0 && attempts < maxAttempts) {
    const t = ends[i].state.expectedEndMs!;
    const touched: NodeState[] = [];
    while (i < ends.length && ends[i].state.expectedEndMs === t) {
      const e = ends[i++];
      for (const node of e.nodes) if (node) touched.push(node);
      wakeShapes(onNamespace.get(e.w.namespace));
      wakeShapes(onTree.get(e.state.flavor));
      snap.simulateEnd(e);
      ended.push(e);
    }
    for (const node of touched) {
      const byNeed = onNodes.get(node.cls);
      if (!byNeed) continue;
      for (let k = Math.min(node.freeGpus, node.cls.maxGpu); k >= 0; k--) wakeGroups(byNeed[k]);
    }
    failedThisRound.clear();
    while (queue.size > 0 && attempts < maxAttempts) {
      const item = queue.pop()!;
      if (!item.group) {
        if (item.gen === item.shape.gen && item.shape.state === 'queued') attempt(item.shape, t);
        continue;
      }
      // A woken group: its earliest sleeper tries; if it fits, the next sleeper gets a turn.
      const g = item.group;
      g.queued = false;
      let top = g.sleepers.pop();
      while (top && (top.gen !== top.shape.gen || top.shape.state !== 'asleep')) top = g.sleepers.pop();
      if (!top) continue;
      if (attempt(top.shape, t)) enqueueGroup(g);
    }
  }
  if (opts.restore) {
    // Thousands of nodes move back between free-GPU buckets: file them once at the end instead.
    snap.cluster.bulkLoad(() => {
      for (let k = placed.length - 1; k >= 0; k--) {
        const { w, flavor, pods } = placed[k];
        for (const p of pods) snap.cluster.release(snap.cluster.byName.get(p.node)!, w.podRequest, p.devices);
        snap.chargeUsage(w, w.queue!, flavor, -1);
      }
      for (let k = ended.length - 1; k >= 0; k--) snap.unsimulateEnd(ended[k]);
    });
    snap.cluster.restoreFreed(freedAtStart);
  }
  return out;
}
