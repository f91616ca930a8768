/**
 * Inputs and outputs of the NodePool autoscaler. Pools are the NodePool objects themselves; nodes
 * and pending pods are small records the caller builds from its store (or the simulator from
 * its state). What must be remembered between runs (nodes being provisioned, since when a node has
 * been empty) travels in `NodePoolHistory`.
 *
 * Example:
 * ```ts
 * const plan = planNodePoolScaling({ pools, nodes, pendingPods, nowMs, history: last?.history });
 * for (const a of plan.add) provision(a.pool, a.count);
 * for (const n of plan.remove) drainAndDelete(n);
 * ```
 */
import type { Affinity, NodePool, ResourceList, Taint, Toleration } from '@qm/api';

export interface ClusterNodeInput {
  name: string;
  /** The NodePool it belongs to (label `quartermaster.dev/pool`); absent = not managed, never removed. */
  pool?: string;
  /** When the Node object appeared; lets a provisioning request be matched with the node it produced. */
  createdMs?: number;
  /** Pods bound to the node (daemon pods excluded); 0 = empty. */
  podCount: number;
  /** Free allocatable now. With `labels`/`taints`, pending pods that fit here need no new node. */
  free?: ResourceList;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** Cordoned or not Ready: takes no new pods. */
  unschedulable?: boolean;
  /** Being deleted: neither capacity nor part of its pool's size. */
  deleting?: boolean;
}

/** Pending work the scheduler could not place: `count` identical pods that must all get room. */
export interface PendingPodInput {
  /** Names the workload in reasons, e.g. `TrainingJob/team-a/bert`. */
  id: string;
  /** Per pod. */
  requests: ResourceList;
  /** Pods in the gang (all or none); default 1. */
  count?: number;
  nodeSelector?: Record<string, string>;
  /** Only `requiredDuringSchedulingIgnoredDuringExecution` node affinity is read. */
  affinity?: Affinity;
  tolerations?: Toleration[];
  /** Tolerates the spot taint, and prefers spot pools. */
  useSpot?: boolean;
}

/** A provisioning request still within its pool's provisioningSeconds. */
export interface InFlightNodes {
  pool: string;
  count: number;
  sinceMs: number;
}

export interface NodePoolHistory {
  inFlight: InFlightNodes[];
  /** Node name → since when it has been seen empty. */
  emptySinceMs: Record<string, number>;
}

export interface NodePoolScalingInput {
  pools: NodePool[];
  nodes: ClusterNodeInput[];
  pendingPods: PendingPodInput[];
  nowMs: number;
  history?: NodePoolHistory;
}

export interface NodePoolScalingPlan {
  /** New nodes to provision, at most one entry per pool, sorted by pool name. */
  add: Array<{ pool: string; count: number }>;
  /** Empty nodes to delete, sorted. */
  remove: string[];
  history: NodePoolHistory;
  /** Pending workloads no new node can help, with a reason a person can read. */
  unhelpable: Array<{ id: string; reason: string }>;
}
