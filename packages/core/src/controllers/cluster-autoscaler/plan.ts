/**
 * The NodePool autoscaler: one pure planning step over a snapshot.
 *
 * Phases:
 * 1. In flight: provisioning requests younger than their pool's `provisioningSeconds` count as
 *    nodes of the pool (for `maxNodes`) and as empty capacity, minus the nodes that have since
 *    appeared (created at or after the request).
 * 2. Minimum: a pool below `minNodes` gets the missing nodes.
 * 3. Scale-up: pending workloads, largest first, are packed first-fit onto free room on existing
 *    nodes, in-flight nodes and nodes already planned; a pod that fits none opens a node in the
 *    preferred pool whose node shape fits it and that is below `maxNodes`: spot pools first when
 *    the workload tolerates spot, then the cheapest, then by name. A gang gets room for all of its
 *    pods or none.
 * 4. Scale-down: a managed node that has been empty for its pool's `scaleDownUnneededSeconds`,
 *    and that no pending pod was packed onto, is removed, never taking the pool below `minNodes`.
 *
 * Example:
 * ```ts
 * const plan = planNodePoolScaling({ pools: [a100Spot, a100], nodes: [], pendingPods: [{ id: 'TrainingJob/a/bert',
 *   requests: { 'nvidia.com/gpu': 8 }, count: 2, useSpot: true }], nowMs });
 * plan.add; // [{ pool: 'a100-spot', count: 2 }]
 * ```
 */
import { QmError } from '@qm/api';
import { CPU, GPU, MEMORY, firstShortfall, subInto, toResources, type Resources } from '../../resources/index.js';
import { nodePoolShape, podShapeProblem, type NodePoolShape } from './pool-shape.js';
import type { ClusterNodeInput, InFlightNodes, NodePoolHistory, NodePoolScalingInput, NodePoolScalingPlan, PendingPodInput } from './types.js';

/** Room a pending pod may take: free space on a real node, or an empty in-flight / planned node. */
interface Bin {
  kind: 'node' | 'in-flight' | 'planned';
  /** Real node name; empty for virtual nodes. */
  node: string;
  pool?: string;
  labels: Record<string, string>;
  taints: NodePoolShape['taints'];
  room: Resources;
  used: boolean;
}

function invalid(field: string, message: string): QmError {
  return new QmError('Invalid', `${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] });
}

function checkInput(input: NodePoolScalingInput): void {
  if (typeof input.nowMs !== 'number' || !Number.isFinite(input.nowMs)) throw invalid('nowMs', `must be a finite epoch-ms number, got ${String(input.nowMs)}`);
  if (!Array.isArray(input.pools)) throw invalid('pools', 'must be an array');
  if (!Array.isArray(input.nodes)) throw invalid('nodes', 'must be an array');
  if (!Array.isArray(input.pendingPods)) throw invalid('pendingPods', 'must be an array');
  const names = new Set<string>();
  input.nodes.forEach((n, i) => {
    if (typeof n?.name !== 'string' || n.name === '') throw invalid(`nodes[${i}].name`, 'must be a non-empty string');
    if (names.has(n.name)) throw invalid(`nodes[${i}].name`, `duplicate node ${n.name}`);
    names.add(n.name);
    if (!Number.isInteger(n.podCount) || n.podCount < 0) throw invalid(`nodes[${i}].podCount`, `must be an integer ≥ 0, got ${String(n.podCount)}`);
  });
  input.pendingPods.forEach((p, i) => {
    if (typeof p?.id !== 'string' || p.id === '') throw invalid(`pendingPods[${i}].id`, 'must be a non-empty string');
    if (p.count !== undefined && (!Number.isInteger(p.count) || p.count < 1)) throw invalid(`pendingPods[${i}].count`, `must be an integer ≥ 1, got ${String(p.count)}`);
  });
  const h = input.history;
  if (h !== undefined && (!Array.isArray(h.inFlight) || typeof h.emptySinceMs !== 'object' || h.emptySinceMs === null)) {
    throw invalid('history', 'must have an inFlight array and an emptySinceMs map');
  }
}

/** Unexpired requests, and how many of their nodes have not appeared yet (per pool). */
function inFlightNow(history: NodePoolHistory | undefined, shapes: Map<string, NodePoolShape>, nodes: readonly ClusterNodeInput[], nowMs: number): { kept: InFlightNodes[]; pending: Map<string, number> } {
  const kept = (history?.inFlight ?? [])
    .filter((e) => shapes.has(e.pool) && nowMs < e.sinceMs + shapes.get(e.pool)!.provisioningMs)
    .map((e) => ({ ...e }))
    .sort((a, b) => a.sinceMs - b.sinceMs);
  const pending = new Map<string, number>();
  for (const [pool] of shapes) {
    const requests = kept.filter((e) => e.pool === pool).map((e) => ({ sinceMs: e.sinceMs, left: e.count }));
    if (requests.length === 0) continue;
    // Each node created since a request fills the oldest request it can belong to.
    const arrived = nodes.filter((n) => n.pool === pool && n.createdMs !== undefined).map((n) => n.createdMs!).sort((a, b) => a - b);
    for (const createdMs of arrived) {
      const r = requests.find((q) => q.left > 0 && q.sinceMs <= createdMs);
      if (r) r.left--;
    }
    pending.set(pool, requests.reduce((sum, r) => sum + r.left, 0));
  }
  return { kept, pending };
}

/** Pool preference for one pod: spot first if it tolerates spot, then price, then name. */
function poolOrder(pod: PendingPodInput, a: NodePoolShape, b: NodePoolShape): number {
  if (pod.useSpot && a.capacityType !== b.capacityType) return a.capacityType === 'spot' ? -1 : 1;
  if (a.pricePerHour !== b.pricePerHour) return a.pricePerHour < b.pricePerHour ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Bigger pods first (GPUs, then CPU, then memory), so first-fit packs well; then by id. */
function sizeOrder(a: { pod: PendingPodInput; request: Resources }, b: { pod: PendingPodInput; request: Resources }): number {
  for (const k of [GPU, CPU, MEMORY]) {
    const d = (b.request[k] ?? 0) - (a.request[k] ?? 0);
    if (d !== 0) return d;
  }
  return a.pod.id < b.pod.id ? -1 : a.pod.id > b.pod.id ? 1 : 0;
}

function fitsBin(pod: PendingPodInput, request: Resources, bin: Bin): boolean {
  return firstShortfall(request, bin.room) === undefined && podShapeProblem(pod, bin.labels, bin.taints, bin.node) === undefined;
}

/**
 * Plans node additions and removals for every NodePool. Bad input throws QmError('Invalid')
 * naming the field; a workload no pool can help is an outcome, listed in `unhelpable`.
 */
export function planNodePoolScaling(input: NodePoolScalingInput): NodePoolScalingPlan {
  checkInput(input);
  const { nowMs } = input;
  const shapes = new Map<string, NodePoolShape>();
  input.pools.forEach((p, i) => {
    const shape = nodePoolShape(p, `pools[${i}]`);
    if (shapes.has(shape.name)) throw invalid(`pools[${i}].metadata.name`, `duplicate NodePool ${shape.name}`);
    shapes.set(shape.name, shape);
  });
  const live = input.nodes.filter((n) => !n.deleting);

  // Phase 1: in flight.
  const { kept, pending: inFlight } = inFlightNow(input.history, shapes, live, nowMs);
  const size = new Map<string, number>();
  for (const [pool] of shapes) size.set(pool, live.filter((n) => n.pool === pool).length + (inFlight.get(pool) ?? 0));

  const bins: Bin[] = [];
  live.forEach((n, i) => {
    if (n.unschedulable || n.free === undefined) return;
    bins.push({ kind: 'node', node: n.name, pool: n.pool, labels: n.labels ?? {}, taints: n.taints ?? [], room: toResources(n.free, `nodes[${i}].free`), used: false });
  });
  const openNode = (shape: NodePoolShape, kind: Bin['kind']): Bin => {
    const bin: Bin = { kind, node: '', pool: shape.name, labels: shape.labels, taints: shape.taints, room: { ...shape.capacity }, used: false };
    bins.push(bin);
    return bin;
  };
  for (const [pool, count] of inFlight) for (let i = 0; i < count; i++) openNode(shapes.get(pool)!, 'in-flight');

  // Phase 2: minimum sizes.
  const add = new Map<string, number>();
  for (const shape of shapes.values()) {
    const missing = Math.min(shape.minNodes, shape.maxNodes) - size.get(shape.name)!;
    for (let i = 0; i < missing; i++) openNode(shape, 'planned');
    if (missing > 0) add.set(shape.name, missing);
  }
  const planned = (pool: string) => add.get(pool) ?? 0;

  // Phase 3: scale-up for pending work.
  const unhelpable: NodePoolScalingPlan['unhelpable'] = [];
  const work = input.pendingPods.map((pod, i) => ({ pod, request: toResources(pod.requests, `pendingPods[${i}].requests`) })).sort(sizeOrder);
  for (const { pod, request } of work) {
    const count = pod.count ?? 1;
    // Undo log: a gang that cannot be placed whole changes nothing.
    const undo: Array<() => void> = [];
    let reason: string | undefined;
    for (let k = 0; k < count && reason === undefined; k++) {
      let bin = bins.find((b) => fitsBin(pod, request, b));
      if (!bin) {
        const candidates = [...shapes.values()].sort((a, b) => poolOrder(pod, a, b));
        const why: string[] = [];
        const shape = candidates.find((s) => {
          const problem = podShapeProblem(pod, s.labels, s.taints) ?? (firstShortfall(request, s.capacity) !== undefined
            ? `its nodes are too small for one pod (${firstShortfall(request, s.capacity)})` : undefined);
          if (problem) { why.push(`${s.name}: ${problem}`); return false; }
          if (size.get(s.name)! + planned(s.name) >= s.maxNodes) { why.push(`${s.name}: at maxNodes (${s.maxNodes})`); return false; }
          return true;
        });
        if (!shape) {
          reason = why.length === 0 ? 'no NodePool is defined' : `no NodePool can add a node for it: ${why.join('; ')}`;
          break;
        }
        bin = openNode(shape, 'planned');
        add.set(shape.name, planned(shape.name) + 1);
        const opened = bin;
        undo.push(() => {
          bins.splice(bins.indexOf(opened), 1);
          add.set(shape.name, planned(shape.name) - 1);
        });
      }
      const target = bin;
      const wasUsed = target.used;
      subInto(target.room, request);
      target.used = true;
      undo.push(() => {
        for (const key in request) target.room[key] += request[key];
        target.used = wasUsed;
      });
    }
    if (reason !== undefined) {
      for (const u of undo.reverse()) u();
      unhelpable.push({ id: pod.id, reason: count > 1 ? `${reason} (needs room for all ${count} pods)` : reason });
    }
  }

  // Phase 4: scale-down of nodes empty long enough.
  const usedNodes = new Set(bins.filter((b) => b.kind === 'node' && b.used).map((b) => b.node));
  const emptySinceMs: Record<string, number> = {};
  const removable: Array<{ name: string; pool: string; sinceMs: number }> = [];
  for (const n of live) {
    if (n.pool === undefined || !shapes.has(n.pool) || n.podCount > 0 || usedNodes.has(n.name)) continue;
    const since = input.history?.emptySinceMs[n.name] ?? nowMs;
    emptySinceMs[n.name] = since;
    if (nowMs - since >= shapes.get(n.pool)!.unneededMs) removable.push({ name: n.name, pool: n.pool, sinceMs: since });
  }
  removable.sort((a, b) => a.sinceMs - b.sinceMs || (a.name < b.name ? -1 : 1));
  const remove: string[] = [];
  for (const r of removable) {
    const shape = shapes.get(r.pool)!;
    const total = size.get(r.pool)! + planned(r.pool);
    if (total - 1 < shape.minNodes) continue;
    size.set(r.pool, size.get(r.pool)! - 1);
    remove.push(r.name);
    delete emptySinceMs[r.name];
  }

  const addList = [...add].filter(([, c]) => c > 0).sort(([a], [b]) => (a < b ? -1 : 1)).map(([pool, count]) => ({ pool, count }));
  const inFlightNext = [...kept, ...addList.map((a) => ({ pool: a.pool, count: a.count, sinceMs: nowMs }))]
    .filter((e) => shapes.get(e.pool)!.provisioningMs > 0);
  return { add: addList, remove: remove.sort(), history: { inFlight: inFlightNext, emptySinceMs }, unhelpable };
}
