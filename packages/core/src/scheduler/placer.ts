/**
 * Gang placement: every pod of a workload gets a node now, or none does.
 * Each pod goes to the fitting node with the best score: preferred node affinity first, then
 * bin-packing (the node left with the fewest free GPUs, so large gangs still find whole nodes
 * later), then node name, so the answer is deterministic.
 *
 * Example:
 * ```ts
 * const r = placeGang(cluster, job, { commit: true });
 * if ('reason' in r) console.log(r.reason); // 'waiting for 8 × A100-80GB on one node; largest free block is 4 on gpu-3'
 * ```
 */
import { NODE_LABELS } from '@qm/api';
import { GPU, describeAmount, type Resources } from '../resources/index.js';
import type { ClusterState, NodeClass, NodeState } from './cluster-state.js';
import { DYNAMIC_PLUGINS, preferredAffinityScore, staticReject, usesNodeNames } from './plugins/index.js';
import type { PodPlacement, WorkloadInput } from './types.js';

export interface PlaceOptions {
  /** Keep the pods' resources taken (false: a what-if, everything is given back). */
  commit: boolean;
  /** Restricts nodes (a queue flavor's nodeSelector); part of the eligibility cache key. */
  flavorSelector?: Record<string, string>;
  flavorName?: string;
  /** May this workload use capacity held for a starving gang? */
  mayUseHeld?: (holder: WorkloadInput) => boolean;
  /** Build the one-line reason on failure (default true); what-ifs skip it, it is the costly part. */
  explain?: boolean;
}

export type PlaceResult = { pods: PodPlacement[] } | { reason: string };

export interface Eligibility {
  classes: NodeClass[];
  /** Static rejection reason → node count (for "no node can run it" messages). */
  rejections: Map<string, number>;
  /** When affinity names nodes, classes are not interchangeable: check every node. */
  perNode: boolean;
}

/** Whether `labels` has every key=value of a node selector (none: every node matches). */
export function matchesSelector(labels: Record<string, string>, selector: Record<string, string> | undefined): boolean {
  if (!selector) return true;
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

/** Per-cycle cache of which node classes can ever host a workload's pods. */
export class EligibilityCache {
  private readonly cache = new Map<string, Eligibility>();
  /** Per workload object and flavor: skips building the key (inputs live across cycles). */
  private readonly byWorkload = new WeakMap<WorkloadInput, Map<string, Eligibility>>();
  constructor(private readonly cluster: ClusterState) {}

  get(w: WorkloadInput, flavorName: string | undefined, flavorSelector: Record<string, string> | undefined): Eligibility {
    let mine = this.byWorkload.get(w);
    const hit = mine?.get(flavorName ?? '');
    if (hit) return hit;
    if (!mine) this.byWorkload.set(w, (mine = new Map()));
    const e = this.lookup(w, flavorName, flavorSelector);
    mine.set(flavorName ?? '', e);
    return e;
  }

  private lookup(w: WorkloadInput, flavorName: string | undefined, flavorSelector: Record<string, string> | undefined): Eligibility {
    // The static checks compare the pod's request with each class's allocatable, so the request is
    // part of the key: a slice-only pod must not inherit the classes an 8-GPU pod was allowed.
    const key = `${flavorName ?? ''}\u0000${w.constraintKey}\u0000${requestKey(w.podRequest)}`;
    let e = this.cache.get(key);
    if (e) return e;
    const perNode = usesNodeNames(w.affinity);
    e = { classes: [], rejections: new Map(), perNode };
    for (const cls of this.cluster.classes) {
      if (!matchesSelector(cls.rep.labels, flavorSelector)) {
        const why = `is outside flavor ${flavorName}`;
        e.rejections.set(why, (e.rejections.get(why) ?? 0) + cls.members.length);
        continue;
      }
      const why = perNode ? undefined : staticReject(w, cls.rep);
      if (why === undefined) e.classes.push(cls);
      else e.rejections.set(why, (e.rejections.get(why) ?? 0) + cls.members.length);
    }
    this.cache.set(key, e);
    return e;
  }
}

function requestKey(request: Resources): string {
  let key = '';
  for (const k of Object.keys(request).sort()) if (request[k]) key += `${k}=${request[k]},`;
  return key;
}

function dynamicReject(w: WorkloadInput, node: NodeState): string | undefined {
  for (const p of DYNAMIC_PLUGINS) {
    const r = p.check(w, node.input, node.free);
    if (r !== undefined) return r;
  }
  return undefined;
}

interface Candidate {
  node: NodeState;
  affinity: number;
  leftover: number;
}

function better(a: Candidate, b: Candidate | undefined): boolean {
  if (!b) return true;
  if (a.affinity !== b.affinity) return a.affinity > b.affinity;
  if (a.leftover !== b.leftover) return a.leftover < b.leftover;
  return a.node.idx < b.node.idx;
}

function bestNode(w: WorkloadInput, elig: Eligibility, opts: PlaceOptions): Candidate | undefined {
  const needGpu = w.podRequest[GPU] ?? 0;
  let best: Candidate | undefined;
  for (const cls of elig.classes) {
    const classAffinity = elig.perNode ? 0 : preferredAffinityScore(w.affinity, cls.rep);
    // A better class may exist only if its affinity can beat the best so far.
    if (best && !elig.perNode && classAffinity < best.affinity) continue;
    for (let k = needGpu; k <= cls.maxGpu; k++) {
      if (best && !elig.perNode && classAffinity === best.affinity && k - needGpu > best.leftover) break;
      let found: Candidate | undefined;
      for (const node of cls.buckets[k]) {
        if (node.heldBy && node.heldBy !== w && !(opts.mayUseHeld?.(node.heldBy) ?? false)) continue;
        if (elig.perNode && staticReject(w, node.input) !== undefined) continue;
        if (dynamicReject(w, node) !== undefined) continue;
        const c = { node, affinity: elig.perNode ? preferredAffinityScore(w.affinity, node.input) : classAffinity, leftover: k - needGpu };
        if (better(c, found)) found = c;
        if (!elig.perNode) break; // buckets are in name order: the first fitting node wins in its class
      }
      if (found && better(found, best)) best = found;
      if (found && !elig.perNode) break;
    }
  }
  return best;
}

function describeRejections(rejections: Map<string, number>): string {
  const parts = [...rejections.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([why, count]) => `${count} node${count === 1 ? '' : 's'} ${why}`);
  return parts.length === 0 ? 'there are no nodes' : parts.join('; ');
}

function gpuModelOf(w: WorkloadInput, elig: Eligibility): string {
  return w.nodeSelector[NODE_LABELS.gpuModel] ?? elig.classes[0]?.rep.labels[NODE_LABELS.gpuModel] ?? 'GPU';
}

/** One line a person understands: why the remaining pods found no node. */
function explain(cluster: ClusterState, w: WorkloadInput, elig: Eligibility, placed: number, opts: PlaceOptions): string {
  if (elig.classes.length === 0) return `no node can run it: ${describeRejections(elig.rejections)}`;
  const needGpu = w.podRequest[GPU] ?? 0;
  const blocked = (node: NodeState): boolean => node.heldBy !== undefined && node.heldBy !== w && !(opts.mayUseHeld?.(node.heldBy) ?? false);
  const eligible = new Set(elig.classes);
  let heldNodes = 0;
  for (const node of cluster.held) if (eligible.has(node.cls) && blocked(node)) heldNodes++;
  // The largest free block: per class, the first usable node of the highest non-empty bucket
  // (buckets are in name order), then the most free GPUs across classes, then the name.
  let largest: NodeState | undefined;
  for (const cls of elig.classes) {
    let found: NodeState | undefined;
    for (let k = cls.maxGpu; k >= 0 && !found; k--) {
      for (const node of cls.buckets[k]) {
        if (!blocked(node)) {
          found = node;
          break;
        }
      }
    }
    if (found && (!largest || found.freeGpus > largest.freeGpus || (found.freeGpus === largest.freeGpus && found.idx < largest.idx))) largest = found;
  }
  let example: { node: NodeState; why: string } | undefined;
  if (largest && largest.freeGpus >= needGpu) {
    // A node with enough GPUs that still fails: name it and why (CPU, memory, MIG).
    for (const cls of elig.classes) {
      for (let k = cls.maxGpu; k >= needGpu && !example; k--) {
        for (const node of cls.buckets[k]) {
          if (blocked(node)) continue;
          const why = dynamicReject(w, node);
          if (why) {
            example = { node, why };
            break;
          }
        }
      }
      if (example) break;
    }
  }
  const held = heldNodes > 0 ? `; ${heldNodes} node${heldNodes === 1 ? ' is' : 's are'} held for a starving gang` : '';
  const count = w.pods > 1 ? `${w.pods} workers, each ` : '';
  const progress = w.pods > 1 ? `; only ${placed} of ${w.pods} fit now` : '';
  if (needGpu > 0 && (!largest || largest.freeGpus < needGpu || !example)) {
    const block = largest ? `largest free block is ${largest.freeGpus} on ${largest.name}` : 'no free GPUs';
    return `waiting for ${count}${needGpu} × ${gpuModelOf(w, elig)} on one node${progress}; ${block}${held}`;
  }
  if (example) return `waiting for room for ${count}${describeRequest(w)} on one node${progress}; e.g. ${example.node.name} ${example.why}${held}`;
  return `waiting for room for ${count}${describeRequest(w)} on one node${progress}${held}`;
}

function describeRequest(w: WorkloadInput): string {
  const parts = Object.keys(w.podRequest).sort().map((k) => describeAmount(k, w.podRequest[k]));
  return parts.length ? parts.join(', ') : 'a worker';
}

/**
 * Places every pod of `w` or none. With `commit: false` nothing stays taken.
 * Never throws: a workload that does not fit gets a reason.
 */
export function placeGang(cluster: ClusterState, elig: EligibilityCache, w: WorkloadInput, opts: PlaceOptions): PlaceResult {
  const e = elig.get(w, opts.flavorName, opts.flavorSelector);
  const wantExplain = opts.explain ?? true;
  // Too few free GPU slots for the gang's pods: no need to try pod by pod.
  const needGpu = w.podRequest[GPU] ?? 0;
  // (With a reason wanted, the pod-by-pod try below says how far it got.)
  if (!wantExplain && needGpu > 0 && !e.perNode && cluster.countPodSlots(e.classes, needGpu, w.pods) < w.pods) return { reason: '' };
  const pods: PodPlacement[] = [];
  const taken: Array<{ node: NodeState; devices: Record<string, number[]> }> = [];
  let reason: string | undefined;
  for (let i = 0; i < w.pods; i++) {
    const c = e.classes.length ? bestNode(w, e, opts) : undefined;
    if (!c) {
      reason = wantExplain ? explain(cluster, w, e, i, opts) : '';
      break;
    }
    const devices = cluster.take(c.node, w.podRequest);
    taken.push({ node: c.node, devices });
    pods.push({ node: c.node.name, devices });
  }
  if ((reason !== undefined || !opts.commit) && taken.length) {
    // Taking never moves the freed counters, so they are still as they were before this call.
    const mark = cluster.markFreed();
    for (let i = taken.length - 1; i >= 0; i--) cluster.release(taken[i].node, w.podRequest, taken[i].devices);
    // A what-if gives back exactly what it took: do not let that look like freed capacity.
    cluster.restoreFreed(mark);
  }
  return reason !== undefined ? { reason } : { pods };
}
