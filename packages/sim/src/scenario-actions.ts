/**
 * Applies a scenario's timed `events` (SCENARIOS.md) to the simulated cluster:
 * spotInterrupt (notice now: node condition SpotInterruption=True so nothing new lands
 * there; at the end of the notice the jobs on it are interrupted and the node is removed),
 * removeNode (at once, no notice), cordonNode/uncordonNode (spec.unschedulable), delete,
 * load (offered rps on a ModelDeployment), addNode (a Node, or `count` nodes of a NodePool
 * after its provisioningSeconds).
 *
 * Example:
 * ```ts
 * const actions = new ScenarioActions(ctx);
 * await actions.apply({ at: 3600, action: 'spotInterrupt', node: 'gpu-1', noticeSeconds: 120 });
 * // …the loop later calls actions.spotEnd('gpu-1') at 3720 s
 * ```
 */
import {
  DEFAULT_NAMESPACE, DEFAULT_SPOT_NOTICE_SECONDS, NODE_LABELS, QM_API_VERSION, SPOT_TAINT, applyDefaults, findKind, isQmError,
  type ApiObject, type ScenarioEvent,
} from '@qm/api';
import type { Clock, Recorder, Store } from '@qm/core';
import type { ClusterMirror } from './cluster-mirror.js';
import { deploymentKey, type DeploymentTracker } from './deployment-tracker.js';
import type { SimExecutor } from './sim-executor.js';
import { rfc3339 } from './virtual-clock.js';
import { withCondition } from './status-helpers.js';

/** Follow-ups an action asks the loop for. */
export type ActionTimer = { type: 'spotEnd'; node: string } | { type: 'nodeReady'; node: ApiObject };

export interface ActionContext {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  mirror: ClusterMirror;
  executor: SimExecutor;
  deployments: DeploymentTracker;
  schedule(atMs: number, timer: ActionTimer): void;
}

const nodeRef = (name: string) => ({ kind: 'Node', name });

export class ScenarioActions {
  /** Nodes created per pool so far, for names `<pool>-<n>`. */
  private readonly poolSerial = new Map<string, number>();

  constructor(private readonly ctx: ActionContext) {}

  /** Applies one event; false when it had nothing to act on (recorded as a ScenarioEventSkipped warning). */
  async apply(ev: ScenarioEvent): Promise<boolean> {
    switch (ev.action) {
      case 'spotInterrupt': return this.spotNotice(ev.node!, ev.noticeSeconds ?? DEFAULT_SPOT_NOTICE_SECONDS);
      case 'removeNode': return this.removeNode(ev.node!, false, 'was removed');
      case 'cordonNode': return this.setUnschedulable(ev.node!, true);
      case 'uncordonNode': return this.setUnschedulable(ev.node!, false);
      case 'delete': return this.deleteTarget(ev.target!);
      case 'load': return this.load(ev.target!, ev.rps!);
      case 'addNode': return ev.object !== undefined ? this.addNode(ev.object) : this.provisionPoolNodes(ev.nodePool!, ev.count ?? 1);
      default: return this.skip(`unknown action ${String(ev.action)}`);
    }
  }

  private skip(message: string): boolean {
    this.ctx.recorder.record({ kind: 'Scenario', name: 'scenario' }, 'Warning', 'ScenarioEventSkipped', message);
    return false;
  }

  private async spotNotice(name: string, noticeSeconds: number): Promise<boolean> {
    const node = this.ctx.mirror.nodes.get(name);
    if (!node) return this.skip(`spotInterrupt: node ${name} does not exist`);
    const now = this.ctx.clock.now();
    const endMs = now + Math.round(noticeSeconds * 1000);
    const message = `spot capacity reclaimed: node ${name} goes away in ${noticeSeconds}s`;
    const status = {
      ...node.status,
      conditions: withCondition(node.status?.conditions, {
        type: 'SpotInterruption', status: 'True', reason: 'SpotInterruption', message, lastTransitionTime: rfc3339(now),
        terminationTime: rfc3339(endMs),
      }),
    };
    await this.ctx.store.update({ ...node, metadata: withoutVersion(node), status }, { subresource: 'status' });
    this.ctx.recorder.record(nodeRef(name), 'Warning', 'SpotInterruption', message);
    this.ctx.schedule(endMs, { type: 'spotEnd', node: name });
    return true;
  }

  /** The end of a spot notice: jobs that checkpoint save first, then the node goes. */
  async spotEnd(name: string): Promise<boolean> {
    return this.removeNode(name, true, 'was reclaimed (spot interruption)');
  }

  private async removeNode(name: string, hadNotice: boolean, why: string): Promise<boolean> {
    if (!this.ctx.mirror.nodes.has(name)) return this.skip(`removeNode: node ${name} does not exist`);
    await this.ctx.executor.interruptNode(name, hadNotice, why);
    await this.ctx.deployments.dropNode(name, why);
    await this.ctx.store.delete('Node', undefined, name);
    this.ctx.recorder.record(nodeRef(name), 'Warning', 'NodeRemoved', `node ${name} ${why}`);
    return true;
  }

  private async setUnschedulable(name: string, cordon: boolean): Promise<boolean> {
    const node = this.ctx.mirror.nodes.get(name);
    if (!node) return this.skip(`${cordon ? 'cordonNode' : 'uncordonNode'}: node ${name} does not exist`);
    const spec = { ...node.spec };
    if (cordon) spec.unschedulable = true;
    else delete spec.unschedulable;
    await this.ctx.store.update({ ...node, metadata: withoutVersion(node), spec });
    this.ctx.recorder.record(nodeRef(name), 'Normal', cordon ? 'NodeCordoned' : 'NodeUncordoned',
      cordon ? `node ${name} cordoned: no new work lands on it` : `node ${name} uncordoned`);
    return true;
  }

  private async deleteTarget(target: { kind?: string; namespace?: string; name: string }): Promise<boolean> {
    const kind = target.kind ?? 'ModelDeployment';
    const ns = findKind(kind)?.namespaced ? (target.namespace ?? DEFAULT_NAMESPACE) : undefined;
    const ref = { kind, namespace: ns, name: target.name };
    if (kind === 'Node') return this.removeNode(target.name, false, 'was deleted');
    try {
      await this.ctx.store.delete(kind, ns, target.name);
    } catch (err) {
      if (isQmError(err, 'NotFound')) return this.skip(`delete: ${kind} ${ns ? `${ns}/` : ''}${target.name} does not exist`);
      throw err;
    }
    this.ctx.recorder.record(ref, 'Normal', 'Deleted', `${kind} deleted by the scenario`);
    return true;
  }

  private load(target: { kind?: string; namespace?: string; name: string }, rps: number): boolean {
    const ns = target.namespace ?? DEFAULT_NAMESPACE;
    if ((target.kind ?? 'ModelDeployment') !== 'ModelDeployment' || !this.ctx.deployments.setLoad(deploymentKey(ns, target.name), rps)) {
      return this.skip(`load: ModelDeployment ${ns}/${target.name} does not exist`);
    }
    this.ctx.recorder.record({ kind: 'ModelDeployment', namespace: ns, name: target.name }, 'Normal', 'LoadChanged', `offered load is now ${rps} requests/s`);
    return true;
  }

  /** Creates a node now (addNode with `object`, or a pool node whose provisioning finished). */
  async addNode(manifest: ApiObject): Promise<boolean> {
    const node = applyDefaults(manifest);
    try {
      await this.ctx.store.create(node);
    } catch (err) {
      if (isQmError(err, 'AlreadyExists')) return this.skip(`addNode: node ${node.metadata.name} already exists`);
      throw err;
    }
    this.ctx.recorder.record(nodeRef(node.metadata.name), 'Normal', 'NodeAdded', `node ${node.metadata.name} added`);
    return true;
  }

  /** Starts provisioning `count` nodes of a NodePool (scenario addNode, or the cluster autoscaler); they appear after its provisioningSeconds. */
  provisionPoolNodes(poolName: string, count: number): boolean {
    const pool = this.ctx.mirror.pool(poolName);
    if (!pool) return this.skip(`addNode: NodePool ${poolName} does not exist`);
    const readyMs = this.ctx.clock.now() + Math.round((pool.spec?.provisioningSeconds ?? 0) * 1000);
    for (let i = 0; i < count; i++) {
      let serial = this.poolSerial.get(poolName) ?? 0;
      let name: string;
      do name = `${poolName}-${++serial}`; while (this.ctx.mirror.nodes.has(name));
      this.poolSerial.set(poolName, serial);
      this.ctx.schedule(readyMs, { type: 'nodeReady', node: poolNode(pool, name) });
    }
    return true;
  }
}

function withoutVersion(obj: ApiObject): ApiObject['metadata'] {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return metadata;
}

/** Marks a node its NodePool created (provisioned, not declared by the scenario): only these are scaled down. */
export const POOL_PROVISIONED_ANNOTATION = 'quartermaster.dev/provisioned-by-pool';

/** A Node as a NodePool's spec describes it (labels, taints, capacity; spot pools carry the spot taint). */
export function poolNode(pool: ApiObject, name: string): ApiObject {
  const spec = pool.spec ?? {};
  const capacityType = spec.capacityType ?? 'on-demand';
  const gpus = spec.gpusPerNode ?? 0;
  const labels: Record<string, string> = { ...spec.labels, [NODE_LABELS.pool]: pool.metadata.name, [NODE_LABELS.capacityType]: capacityType, [NODE_LABELS.gpuCount]: String(gpus) };
  if (spec.gpuModel) labels[NODE_LABELS.gpuModel] = spec.gpuModel;
  const taints = [...(spec.taints ?? [])];
  if (capacityType === 'spot' && !taints.some((t: { key: string }) => t.key === SPOT_TAINT.key)) taints.push({ ...SPOT_TAINT });
  const capacity: Record<string, string | number> = { 'nvidia.com/gpu': gpus };
  if (spec.cpu !== undefined) capacity.cpu = spec.cpu;
  if (spec.memory !== undefined) capacity.memory = spec.memory;
  return {
    apiVersion: QM_API_VERSION, kind: 'Node',
    metadata: { name, labels, annotations: { [POOL_PROVISIONED_ANNOTATION]: pool.metadata.name } },
    spec: taints.length > 0 ? { taints } : {},
    status: { capacity },
  };
}
