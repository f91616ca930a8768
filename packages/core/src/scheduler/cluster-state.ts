/**
 * The cycle's mutable view of the nodes: what is free on each, which device indices are
 * free, and an index that makes placement cheap at 2,000+ nodes:
 * - nodes with the same labels, taints, condition and size form one class, so static fit
 *   checks run once per class, not once per node;
 * - inside a class, nodes sit in buckets by free GPU count (each bucket sorted by name), so
 *   "the node that leaves the fewest free GPUs" is the first node of the smallest bucket ≥ need.
 *
 * Example:
 * ```ts
 * const cluster = new ClusterState(nodes);
 * const devices = cluster.take(cluster.byName.get('gpu-1')!, { 'nvidia.com/gpu': 2 }); // { 'nvidia.com/gpu': [0, 1] }
 * cluster.release(cluster.byName.get('gpu-1')!, { 'nvidia.com/gpu': 2 }, devices);
 * ```
 */
import { GPU, MIG_PREFIX, type Resources } from '../resources/index.js';
import type { NodeInput, WorkloadInput } from './types.js';

export function isDeviceResource(name: string): boolean {
  return name === GPU || name.startsWith(MIG_PREFIX);
}

export class NodeClass {
  readonly members: NodeState[] = [];
  /** buckets[k]: members with exactly k free GPUs, in name order. */
  readonly buckets: NodeState[][];
  /** Scratch for preemption's fit bound: equal to its current stamp while the class may host the preemptor. */
  boundStamp = 0;
  /**
   * freedTo[k]: bumped whenever a release leaves a member with at least k free GPUs. A pod
   * needing k GPUs that did not fit in this class can fit only after freedTo[k] moved.
   */
  readonly freedTo: number[];
  constructor(readonly key: string, readonly rep: NodeInput, readonly maxGpu: number) {
    this.buckets = Array.from({ length: maxGpu + 1 }, () => []);
    this.freedTo = new Array<number>(maxGpu + 1).fill(0);
  }
}

/** The freed counters at one moment (to undo what a what-if released). */
export interface FreedMark {
  epoch: number;
  perClass: number[][];
}

export class NodeState {
  readonly free: Resources;
  readonly freeDevices: Record<string, number[]>;
  /** A starving gang this node's capacity is held for (set during the cycle). */
  heldBy?: WorkloadInput;
  /** Scratch for preemption's fit bound: GPUs its candidates would give back, valid while boundStamp is current. */
  boundStamp = 0;
  boundExtraGpus = 0;
  cls!: NodeClass;
  constructor(readonly idx: number, readonly input: NodeInput) {
    this.free = { ...input.allocatable };
    this.freeDevices = {};
    for (const k in input.deviceIndices) this.freeDevices[k] = [...input.deviceIndices[k]].sort((a, b) => a - b);
  }
  get name(): string {
    return this.input.name;
  }
  get freeGpus(): number {
    return Math.max(0, this.free[GPU] ?? 0);
  }
}

// Node inputs are cached across passes by the controller (per resourceVersion), so their keys are too.
const classKeys = new WeakMap<NodeInput, string>();

function classKeyOf(n: NodeInput): string {
  let key = classKeys.get(n);
  if (key === undefined) classKeys.set(n, (key = computeClassKey(n)));
  return key;
}

function computeClassKey(n: NodeInput): string {
  const labels = Object.keys(n.labels).sort().map((k) => `${k}=${n.labels[k]}`).join(',');
  const taints = n.taints.map((t) => `${t.key}=${t.value ?? ''}:${t.effect}`).sort().join(',');
  const alloc = Object.keys(n.allocatable).sort().map((k) => `${k}=${n.allocatable[k]}`).join(',');
  return `${labels}|${taints}|${n.unschedulableReason ?? ''}|${alloc}`;
}

/** Where `node` is or would go in `arr`, which is sorted by node index (name order). */
function positionOf(arr: readonly NodeState[], node: NodeState): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (arr[mid].idx < node.idx) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(arr: NodeState[], node: NodeState): void {
  arr.splice(positionOf(arr, node), 0, node);
}

function removeSorted(arr: NodeState[], node: NodeState): void {
  const at = positionOf(arr, node);
  if (arr[at] === node) arr.splice(at, 1);
}

export class ClusterState {
  readonly nodes: NodeState[];
  readonly byName = new Map<string, NodeState>();
  readonly classes: NodeClass[] = [];
  /** Bumped whenever capacity is freed, so cached "did not fit" answers expire. */
  freedEpoch = 0;
  /**
   * Bumped whenever any freed counter (freedEpoch, freedTo) may have changed, never reset: an
   * unchanged version means every freed signature is as it was (a cheap "nothing to recompute").
   */
  freedVersion = 0;
  /** Nodes whose capacity is held for a starving gang (few; kept so nobody scans every node for them). */
  readonly held = new Set<NodeState>();
  /** Bumped on every hold and release: an unchanged version means the same holds. */
  holdVersion = 0;

  constructor(inputs: readonly NodeInput[]) {
    const sorted = [...inputs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.nodes = sorted.map((n, i) => new NodeState(i, n));
    const byKey = new Map<string, NodeClass>();
    for (const node of this.nodes) {
      this.byName.set(node.name, node);
      const key = classKeyOf(node.input);
      let cls = byKey.get(key);
      if (!cls) {
        cls = new NodeClass(key, node.input, Math.max(0, node.input.allocatable[GPU] ?? 0));
        byKey.set(key, cls);
        this.classes.push(cls);
      }
      node.cls = cls;
      cls.members.push(node);
      cls.buckets[Math.min(cls.maxGpu, node.freeGpus)].push(node);
    }
  }

  /** Holds `node` for the starving gang `w`. */
  hold(node: NodeState, w: WorkloadInput): void {
    node.heldBy = w;
    this.held.add(node);
    this.holdVersion++;
  }

  /** Releases what is held for `w` (every hold when `w` is undefined). */
  unhold(w?: WorkloadInput): void {
    for (const n of [...this.held]) {
      if (w && n.heldBy !== w) continue;
      n.heldBy = undefined;
      this.held.delete(n);
      this.holdVersion++;
    }
  }

  /**
   * How many pods of `gpusPerPod` GPUs the nodes of `classes` could take now, counting every
   * pod a node has room for (a gang's pods may share a node); stops counting at `enough`.
   * An upper bound for the GPU dimension only.
   */
  countPodSlots(classes: readonly NodeClass[], gpusPerPod: number, enough: number): number {
    if (gpusPerPod <= 0) return enough;
    let count = 0;
    for (const cls of classes) {
      for (let k = gpusPerPod; k <= cls.maxGpu; k++) {
        count += cls.buckets[k].length * Math.floor(k / gpusPerPod);
        if (count >= enough) return count;
      }
    }
    return count;
  }

  /** While set, buckets are not kept up to date (a bulk load); `rebuildBuckets` ends it. */
  private bucketsDeferred = false;

  /**
   * Runs `load` (takes and releases) with bucket upkeep deferred, then files every node once:
   * O(nodes) instead of a sorted insert per take (the snapshot's 7,000 admitted workloads).
   */
  bulkLoad(load: () => void): void {
    this.bucketsDeferred = true;
    try {
      load();
    } finally {
      this.bucketsDeferred = false;
      for (const cls of this.classes) for (const b of cls.buckets) b.length = 0;
      for (const node of this.nodes) node.cls.buckets[Math.min(node.cls.maxGpu, node.freeGpus)].push(node);
    }
  }

  private moveBucket(node: NodeState, beforeGpus: number): void {
    if (this.bucketsDeferred) return;
    const after = Math.min(node.cls.maxGpu, node.freeGpus);
    const before = Math.min(node.cls.maxGpu, beforeGpus);
    if (after === before) return;
    removeSorted(node.cls.buckets[before], node);
    insertSorted(node.cls.buckets[after], node);
  }

  /**
   * Takes `request` from the node and returns the device indices used. `devices`, when given,
   * names the exact indices (an already-admitted pod); otherwise the lowest free ones are taken.
   */
  take(node: NodeState, request: Resources, devices?: Record<string, number[]>): Record<string, number[]> {
    const before = node.freeGpus;
    const used: Record<string, number[]> = {};
    for (const k in request) {
      node.free[k] = (node.free[k] ?? 0) - request[k];
      if (!isDeviceResource(k) || request[k] <= 0) continue;
      const pool = node.freeDevices[k] ?? (node.freeDevices[k] = []);
      const wanted = devices?.[k];
      if (wanted) {
        for (const d of wanted) {
          const at = pool.indexOf(d);
          if (at >= 0) pool.splice(at, 1);
        }
        used[k] = wanted; // inputs are never modified
      } else {
        used[k] = pool.splice(0, Math.min(request[k], pool.length));
      }
    }
    this.moveBucket(node, before);
    return used;
  }

  /** The freed counters now; `restoreFreed(mark)` puts them back after a what-if. */
  markFreed(): FreedMark {
    return { epoch: this.freedEpoch, perClass: this.classes.map((c) => [...c.freedTo]) };
  }

  restoreFreed(mark: FreedMark): void {
    this.freedVersion++;
    this.freedEpoch = mark.epoch;
    this.classes.forEach((c, i) => {
      const saved = mark.perClass[i];
      for (let k = 0; k < saved.length; k++) c.freedTo[k] = saved[k];
    });
  }

  /**
   * Sum of freedTo[need] over `classes` (need capped per class): changes exactly when capacity a
   * pod needing `need` GPUs could use was freed in those classes.
   */
  freedSignature(classes: readonly NodeClass[], need: number): number {
    let sum = 0;
    for (const c of classes) sum += c.freedTo[Math.min(Math.max(0, need), c.maxGpu)];
    return sum;
  }

  /** Records that `node` now has more free than before (what cached "did not fit" answers watch). */
  noteFreed(node: NodeState): void {
    const cls = node.cls;
    this.freedVersion++;
    for (let k = Math.min(cls.maxGpu, node.freeGpus); k >= 0; k--) cls.freedTo[k]++;
  }

  /** Gives back what `take` took. */
  release(node: NodeState, request: Resources, devices: Record<string, number[]>): void {
    const before = node.freeGpus;
    for (const k in request) node.free[k] = (node.free[k] ?? 0) + request[k];
    for (const k in devices) {
      const pool = node.freeDevices[k] ?? (node.freeDevices[k] = []);
      for (const d of devices[k]) if (!pool.includes(d)) pool.push(d);
      pool.sort((a, b) => a - b);
    }
    this.freedEpoch++;
    this.noteFreed(node);
    this.moveBucket(node, before);
  }
}
