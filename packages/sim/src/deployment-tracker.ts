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
import { ServingMeter, servingProfile, type ServingProfile } from './serving-model.js';

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
  /** spec.simulation with defaults. */
  profile: ServingProfile;
  /** Placed replicas now, with the instant each was placed (it is ready startupMs later). */
  replicaSince: Map<string, SimReplica>;
  /** Most replicas placed at once. */
  peakPlaced: number;
  /** Requests offered / served / refused so far. */
  meter: ServingMeter;
}

/** A placed replica of the simulated serving runtime. */
export interface SimReplica {
  index: number;
  node?: string;
  sinceMs: number;
  readyAtMs: number;
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
        profile: servingProfile(obj), replicaSince: new Map(), peakPlaced: 0, meter: new ServingMeter(servingProfile(obj)),
      };
      this.deployments.set(key, rec);
    }
    // Traffic so far was served by the replicas as they were until now.
    this.advanceMeter(rec, now);
    const previous = new Set(placementsOf(rec.obj).map(placementId));
    rec.obj = obj;
    rec.replicas = typeof obj.spec?.replicas === 'number' ? obj.spec.replicas : 1;
    rec.profile = servingProfile(obj);
    rec.meter.setProfile(rec.profile);
    if (ev.type === 'DELETED') {
      rec.deleted = true;
      rec.placed = 0;
      rec.replicaSince.clear();
      this.starting.delete(key);
      this.deps.ledger.setUsage(key, now, undefined);
      return;
    }
    const placements = placementsOf(obj);
    const nodes = [...new Set(placements.map((p) => p.node).filter((n): n is string => typeof n === 'string'))].sort();
    const gpusPerReplica = replicaGpus(obj);
    const fresh = placements.filter((p) => !previous.has(placementId(p)));
    const current = new Set(placements.map(placementId));
    for (const id of [...rec.replicaSince.keys()]) if (!current.has(id)) rec.replicaSince.delete(id);
    for (const p of placements) {
      const id = placementId(p);
      if (!rec.replicaSince.has(id)) rec.replicaSince.set(id, { index: p.index, node: p.node, sinceMs: now, readyAtMs: now + rec.profile.startupMs });
    }
    rec.peakPlaced = Math.max(rec.peakPlaced, placements.length);
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

  /** Offered load (requests per second) from a scenario `load` event; the HPA reads what it does to the replicas. */
  setLoad(key: string, rps: number): boolean {
    const rec = this.deployments.get(key);
    if (!rec || rec.deleted) return false;
    this.advanceMeter(rec, this.deps.clock.now());
    rec.offeredRps = rps;
    return true;
  }

  /** The live (not deleted) deployment under `key`. */
  get(key: string): DeploymentRecord | undefined {
    const rec = this.deployments.get(key);
    return rec && !rec.deleted ? rec : undefined;
  }

  /** Placed replicas of a deployment, by index. */
  replicas(rec: DeploymentRecord): SimReplica[] {
    return [...rec.replicaSince.values()].sort((a, b) => a.index - b.index);
  }

  /** Closes the traffic accounts at `endMs` (before the report reads them). */
  finish(endMs: number): void {
    for (const rec of this.deployments.values()) this.advanceMeter(rec, endMs);
  }

  private advanceMeter(rec: DeploymentRecord, nowMs: number): void {
    rec.meter.advance(nowMs, rec.deleted ? 0 : rec.offeredRps ?? 0, [...rec.replicaSince.values()].map((r) => r.readyAtMs));
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
