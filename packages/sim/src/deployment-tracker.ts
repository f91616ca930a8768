/**
 * The simulated runtime of ModelDeployments: each replica the scheduler places
 * (status.replicaPlacements) serves from that instant; the tracker keeps placement history
 * for the report and GPU usage in the ledger, records offered load (`load` events), and
 * drops the replicas of a node that goes away so the scheduler places them again.
 *
 * Example:
 * ```ts
 * const deployments = await DeploymentTracker.open({ store, clock, recorder, ledger, mirror });
 * deployments.setLoad('ModelDeployment/team-a/chat', 800);
 * await deployments.dropNode('gpu-3', 'was reclaimed (spot interruption)');
 * ```
 */
import { isQmError, type ApiObject, type WatchEvent } from '@qm/api';
import type { Clock, Recorder, Store, WatchHandle } from '@qm/core';
import type { UsageLedger } from './usage-ledger.js';
import type { ClusterMirror } from './cluster-mirror.js';
import { replicaGpus } from './status-helpers.js';

export interface DeploymentRecord {
  key: string;
  namespace: string;
  name: string;
  submittedMs: number;
  firstAdmittedMs?: number;
  /** Replicas placed now. */
  placed: number;
  /** Replicas wanted (spec.replicas). */
  replicas: number;
  gpusPerReplica: number;
  lastNodes: string[];
  /** Replicas that lost their node. */
  interruptions: number;
  offeredRps?: number;
  deleted: boolean;
  obj: ApiObject;
}

interface Placement {
  index: number;
  node?: string;
}

export interface DeploymentTrackerDeps {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  ledger: UsageLedger;
  mirror: ClusterMirror;
}

export function deploymentKey(namespace: string | undefined, name: string): string {
  return `ModelDeployment/${namespace ?? ''}/${name}`;
}

function placementId(p: Placement): string {
  return `${p.index}@${p.node ?? ''}`;
}

function placementsOf(obj: ApiObject): Placement[] {
  const list = obj.status?.replicaPlacements;
  return Array.isArray(list) ? list.filter((p): p is Placement => typeof p?.index === 'number') : [];
}

export class DeploymentTracker {
  private readonly deployments = new Map<string, DeploymentRecord>();
  /** Replicas placed since the last announceStarts(), per deployment. */
  private readonly starting = new Map<string, Placement[]>();
  private handle: WatchHandle | undefined;

  private constructor(private readonly deps: DeploymentTrackerDeps) {}

  static async open(deps: DeploymentTrackerDeps): Promise<DeploymentTracker> {
    const tracker = new DeploymentTracker(deps);
    const listed = await deps.store.list('ModelDeployment');
    for (const obj of listed.items) tracker.onEvent({ type: 'ADDED', object: obj });
    tracker.handle = await deps.store.watch({ kind: 'ModelDeployment', resourceVersion: listed.resourceVersion }, (ev) => tracker.onEvent(ev));
    return tracker;
  }

  close(): void {
    this.handle?.close();
  }

  records(): DeploymentRecord[] {
    return [...this.deployments.values()];
  }

  private onEvent(ev: WatchEvent): void {
    const obj = ev.object;
    const key = deploymentKey(obj.metadata.namespace, obj.metadata.name);
    const now = this.deps.clock.now();
    let rec = this.deployments.get(key);
    if (!rec) {
      if (ev.type === 'DELETED') return;
      rec = {
        key, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name, submittedMs: now,
        placed: 0, replicas: 0, gpusPerReplica: 0, lastNodes: [], interruptions: 0, deleted: false, obj,
      };
      this.deployments.set(key, rec);
    }
    const previous = new Set(placementsOf(rec.obj).map(placementId));
    rec.obj = obj;
    rec.replicas = typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 1;
    if (ev.type === 'DELETED') {
      rec.deleted = true;
      rec.placed = 0;
      this.starting.delete(key);
      this.deps.ledger.setUsage(key, now, undefined);
      return;
    }
    const placements = placementsOf(obj);
    const nodes = [...new Set(placements.map((p) => p.node).filter((n): n is string => typeof n === 'string'))].sort();
    const gpusPerReplica = replicaGpus(obj);
    const fresh = placements.filter((p) => !previous.has(placementId(p)));
    if (fresh.length === 0 && placements.length === rec.placed && gpusPerReplica === rec.gpusPerReplica) return;
    // Announced after the pass, so "Started" follows the scheduler's "Admitted" as it does for jobs.
    if (fresh.length > 0) this.starting.set(key, [...(this.starting.get(key) ?? []), ...fresh]);
    rec.placed = placements.length;
    rec.gpusPerReplica = gpusPerReplica;
    if (placements.length > 0) {
      rec.firstAdmittedMs ??= now;
      rec.lastNodes = nodes;
    }
    let usdPerSecond = 0;
    for (const p of placements) if (p.node) usdPerSecond += gpusPerReplica * this.deps.mirror.usdPerGpuHour(p.node) / 3600;
    this.deps.ledger.setUsage(key, now, { gpus: placements.length * gpusPerReplica, queue: this.deps.mirror.queueFor(obj), usdPerSecond });
  }

  /** Records a Started event for each replica placed since the last call (they serve from the instant they were placed). */
  announceStarts(): void {
    for (const [key, placements] of this.starting) {
      const rec = this.deployments.get(key)!;
      const where = placements.map((p) => `${p.index}${p.node ? ` on ${p.node}` : ''}`);
      this.deps.recorder.record({ kind: 'ModelDeployment', namespace: rec.namespace, name: rec.name }, 'Normal', 'Started',
        `replica${where.length === 1 ? '' : 's'} ${where.join(', ')} started`);
    }
    this.starting.clear();
  }

  /** Offered load (requests per second) from a scenario `load` event; HPA reads it in a later issue. */
  setLoad(key: string, rps: number): boolean {
    const rec = this.deployments.get(key);
    if (!rec || rec.deleted) return false;
    rec.offeredRps = rps;
    return true;
  }

  /** The replicas placed on `node` lose it: they leave status.replicaPlacements so the scheduler places them again. */
  async dropNode(node: string, why: string): Promise<void> {
    for (const rec of [...this.deployments.values()].sort((a, b) => a.key.localeCompare(b.key))) {
      if (rec.deleted || !rec.lastNodes.includes(node)) continue;
      const placements = placementsOf(rec.obj);
      const kept = placements.filter((p) => p.node !== node);
      if (kept.length === placements.length) continue;
      const lost = placements.length - kept.length;
      rec.interruptions += lost;
      const { resourceVersion: _rv, ...metadata } = rec.obj.metadata;
      const status = { ...rec.obj.status, replicaPlacements: kept };
      try {
        await this.deps.store.update({ ...rec.obj, metadata, status }, { subresource: 'status' });
      } catch (err) {
        if (!isQmError(err, 'NotFound')) throw err;
      }
      this.deps.recorder.record({ kind: 'ModelDeployment', namespace: rec.namespace, name: rec.name }, 'Warning', 'Interrupted',
        `${lost} replica${lost === 1 ? '' : 's'} lost: node ${node} ${why}`);
    }
  }
}
