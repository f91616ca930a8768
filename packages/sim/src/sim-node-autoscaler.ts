/**
 * The NodePool cluster autoscaler in virtual time: after each scheduling pass (and when an empty
 * node's `scaleDownUnneededSeconds` runs out) it runs @qm/core's planNodePoolScaling over the
 * cluster as the pass left it. Nodes it asks for appear `provisioningSeconds` later (NodeAdded,
 * through ScenarioActions' pool-node provisioning); empty nodes it picks are deleted at once
 * (NodeRemoved).
 *
 * Pending work is what a new node could help: pending TrainingJobs (a gang of `workers` pods)
 * and unplaced ModelDeployment replicas (one pod each), except those held back by a limit no
 * node lifts — a queue's or namespace's max, a missing queue, a retry back-off.
 *
 * Nodes the scenario declares itself (spec.objects, addNode with an object) are the fixed part of
 * the cluster: they count towards their pool's size but are never removed; only nodes a pool
 * provisioned (POOL_PROVISIONED_ANNOTATION) are scaled down.
 *
 * Example:
 * ```ts
 * const ca = new SimNodeAutoscaler({ store, clock, recorder, mirror, provision: (pool, n) => actions.provisionPoolNodes(pool, n), wake });
 * await ca.run(); // after a pass: may ask for nodes, may remove empty ones
 * ```
 */
import { NODE_LABELS, isQmError, type ApiObject, type NodePool } from '@qm/api';
import {
  GPU, addInto, formatResources, planNodePoolScaling, subInto, toResources,
  type ClusterNodeInput, type Clock, type NodePoolHistory, type PendingPodInput, type Recorder, type Resources, type Store,
} from '@qm/core';
import type { ClusterMirror } from './cluster-mirror.js';
import { POOL_PROVISIONED_ANNOTATION } from './scenario-actions.js';
import { parseRfc3339 } from './virtual-clock.js';

export interface SimNodeAutoscalerDeps {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  mirror: ClusterMirror;
  /** Starts provisioning `count` nodes of `pool` (they appear after its provisioningSeconds). */
  provision(pool: string, count: number): void;
  /** Asks the loop to call run() again at `atMs` (an empty node may become removable then). */
  wake(atMs: number): void;
}

/** Pending reasons no new node can change. */
const NOT_CAPACITY = [/is at its max/, /^namespace /, /does not exist/, /^waiting to retry/];

function helpable(reason: unknown): boolean {
  return typeof reason !== 'string' || !NOT_CAPACITY.some((re) => re.test(reason));
}

function safeResources(list: unknown): Resources {
  try {
    return toResources(list as Record<string, string | number> | undefined);
  } catch {
    return {};
  }
}

/** One TrainingJob worker's request: spec.resources with gpusPerWorker as its GPUs. */
export function workerRequest(job: ApiObject): Resources {
  const r = safeResources(job.spec?.resources);
  const gpus = job.spec?.gpusPerWorker;
  if (typeof gpus === 'number' && gpus > 0) r[GPU] = gpus;
  else delete r[GPU];
  return r;
}

function shapeOf(obj: ApiObject): Pick<PendingPodInput, 'nodeSelector' | 'affinity' | 'tolerations' | 'useSpot'> {
  const spec = obj.spec ?? {};
  return { nodeSelector: spec.nodeSelector, affinity: spec.affinity, tolerations: spec.tolerations, useSpot: spec.useSpot === true };
}

export class SimNodeAutoscaler {
  private history: NodePoolHistory | undefined;
  private readonly wakes = new Set<number>();
  private readonly reported = new Map<string, string>();

  constructor(private readonly deps: SimNodeAutoscalerDeps) {}

  /** One planning step; true when it changed the cluster now (removed a node). */
  async run(): Promise<boolean> {
    const pools = (await this.deps.store.list('NodePool')).items as unknown as NodePool[];
    if (pools.length === 0) return false;
    const nowMs = this.deps.clock.now();
    const { nodes, pendingPods } = await this.snapshot();
    const before = this.history;
    const plan = planNodePoolScaling({ pools, nodes, pendingPods, nowMs, history: before });
    this.history = plan.history;
    for (const a of plan.add) {
      this.deps.recorder.record({ kind: 'NodePool', name: a.pool }, 'Normal', 'ScaleUp',
        `asked for ${a.count} node${a.count === 1 ? '' : 's'} of pool ${a.pool} for pending work`);
      this.deps.provision(a.pool, a.count);
    }
    for (const u of plan.unhelpable) {
      if (this.reported.get(u.id) === u.reason) continue;
      this.reported.set(u.id, u.reason);
      this.deps.recorder.record(refOfId(u.id), 'Normal', 'NotTriggerScaleUp', u.reason);
    }
    let removed = false;
    for (const name of plan.remove.filter((n) => this.provisioned(n))) {
      const since = before?.emptySinceMs[name];
      try {
        await this.deps.store.delete('Node', undefined, name);
      } catch (err) {
        if (isQmError(err, 'NotFound')) continue;
        throw err;
      }
      removed = true;
      this.deps.recorder.record({ kind: 'Node', name }, 'Normal', 'NodeRemoved',
        `node ${name} removed by the cluster autoscaler: empty for ${since === undefined ? 0 : (nowMs - since) / 1000}s (scaleDownUnneededSeconds)`);
    }
    for (const [name, since] of Object.entries(plan.history.emptySinceMs)) {
      if (!this.provisioned(name)) continue;
      const pool = pools.find((p) => p.metadata.name === this.deps.mirror.nodes.get(name)?.metadata.labels?.[NODE_LABELS.pool]);
      const atMs = since + Math.round((pool?.spec.scaleDownUnneededSeconds ?? 600) * 1000);
      if (atMs > nowMs && !this.wakes.has(atMs)) {
        this.wakes.add(atMs);
        this.deps.wake(atMs);
      }
    }
    return removed;
  }

  private provisioned(node: string): boolean {
    return this.deps.mirror.nodes.get(node)?.metadata.annotations?.[POOL_PROVISIONED_ANNOTATION] !== undefined;
  }

  /** A wake-up is being handled: forget it so a later one at the same time can be asked again. */
  woke(atMs: number): void {
    this.wakes.delete(atMs);
  }

  /** Nodes with their pods and free room, and the pending pods, from the store as the last pass left it. */
  private async snapshot(): Promise<{ nodes: ClusterNodeInput[]; pendingPods: PendingPodInput[] }> {
    const used = new Map<string, { pods: number; used: Resources }>();
    const hold = (node: unknown, request: Resources) => {
      if (typeof node !== 'string') return;
      const u = used.get(node) ?? { pods: 0, used: {} };
      u.pods++;
      addInto(u.used, request);
      used.set(node, u);
    };
    const pendingPods: PendingPodInput[] = [];
    for (const job of (await this.deps.store.list('TrainingJob')).items) {
      const phase = job.status?.phase ?? 'Pending';
      const request = workerRequest(job);
      if (phase === 'Admitted' || phase === 'Running') {
        for (const w of job.status?.workers ?? []) hold(w?.node, request);
      } else if (phase === 'Pending' && !job.metadata.deletionTimestamp && helpable(job.status?.pendingReason)) {
        const workers = typeof job.spec?.workers === 'number' ? job.spec.workers : 1;
        pendingPods.push({ id: `TrainingJob/${job.metadata.namespace}/${job.metadata.name}`, requests: formatResources(request), count: workers, ...shapeOf(job) });
      }
    }
    for (const md of (await this.deps.store.list('ModelDeployment')).items) {
      const request = safeResources(md.spec?.resources);
      const placements = Array.isArray(md.status?.replicaPlacements) ? md.status.replicaPlacements : [];
      for (const p of placements) hold(p?.node, request);
      const wanted = typeof md.spec?.replicas === 'number' ? md.spec.replicas : 1;
      const placedIdx = new Set(placements.map((p: { index?: number }) => p?.index));
      if (md.metadata.deletionTimestamp || !helpable(md.status?.pendingReason)) continue;
      for (let i = 0; i < wanted; i++) {
        if (placedIdx.has(i)) continue;
        pendingPods.push({ id: `ModelDeployment/${md.metadata.namespace}/${md.metadata.name}#${i}`, requests: formatResources(request), ...shapeOf(md) });
      }
    }
    const nodes: ClusterNodeInput[] = [...this.deps.mirror.nodes.values()]
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))
      .map((n) => {
        const free = safeResources(n.status?.allocatable ?? n.status?.capacity);
        const u = used.get(n.metadata.name);
        if (u) subInto(free, u.used);
        for (const k of Object.keys(free)) free[k] = Math.max(0, free[k]);
        const spotNotice = (n.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c?.type === 'SpotInterruption' && c.status === 'True');
        return {
          name: n.metadata.name,
          pool: n.metadata.labels?.[NODE_LABELS.pool],
          createdMs: parseRfc3339(n.metadata.creationTimestamp),
          podCount: u?.pods ?? 0,
          free: formatResources(free),
          labels: n.metadata.labels ?? {},
          taints: n.spec?.taints ?? [],
          unschedulable: n.spec?.unschedulable === true || spotNotice,
          deleting: spotNotice,
        };
      });
    return { nodes, pendingPods };
  }
}

/** `Kind/ns/name[#i]` → an object reference for events. */
function refOfId(id: string): { kind: string; namespace?: string; name: string } {
  const [kind, namespace, rest] = id.split('/');
  return { kind, namespace, name: (rest ?? '').split('#')[0] };
}
