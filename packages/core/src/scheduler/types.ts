/**
 * The inputs and outputs of one pure scheduling cycle. The controller parses API objects into
 * these (once per resourceVersion) and the cycle never mutates them.
 *
 * Example:
 * ```ts
 * const result = scheduleCycle({ nodes, queues, workloads, namespaceQuotas: [], pdbs: [] }, { nowMs, rng, config });
 * for (const a of result.admitted) console.log(a.workload.id, a.pods.map((p) => p.node));
 * ```
 */
import type { Affinity, Taint, Toleration } from '@qm/api';
import type { Rng } from '../ports/rng.js';
import type { CycleMemo } from './cycle-memo.js';
import type { Resources } from '../resources/index.js';
import type { LabelRequirement } from '../selectors/index.js';
import type { PreemptionRule, SchedulerConfig, WorkloadKey } from '../controllers/scheduling/types.js';

export interface NodeInput {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  /** Why the node takes no new work (cordoned, not Ready, spot interruption); absent = schedulable. */
  unschedulableReason?: string;
  allocatable: Resources;
  /** Physical device indices per device resource (`nvidia.com/gpu`, `nvidia.com/mig-*`). */
  deviceIndices: Record<string, number[]>;
}

export interface FlavorInput {
  name: string;
  nodeSelector: Record<string, string>;
  guaranteed: Resources;
  /** Per resource; a resource absent here has no cap. Undefined = no cap at all. */
  max?: Resources;
  lendingLimit?: Resources;
}

export interface QueueInput {
  name: string;
  parent?: string;
  guaranteed: Resources;
  max?: Resources;
  lendingLimit?: Resources;
  weight: number;
  flavors: FlavorInput[];
  withinQueue: 'Never' | 'LowerPriority';
  reclaim: 'Never' | 'Any';
  /** From the annotation quartermaster.dev/reclaim-delay-seconds. */
  reclaimDelayMs: number;
}

/** Where one pod of a workload runs: its node and the device indices it holds there. */
export interface PodPlacement {
  node: string;
  /** Device resource → indices, e.g. `{ 'nvidia.com/gpu': [0, 1] }`. */
  devices: Record<string, number[]>;
}

export interface AdmittedState {
  pods: PodPlacement[];
  /** The queue and flavor it was charged to. */
  queue: string;
  flavor: string;
  admittedMs: number;
  /** Start of the current attempt (status.startTime). */
  startedMs?: number;
  lastCheckpointMs?: number;
  /** status.expectedEndTime; undefined = unknown end. */
  expectedEndMs?: number;
}

export interface WorkloadInput {
  key: WorkloadKey;
  /** Unique and sortable: `TrainingJob/ns/name` or `ModelDeployment/ns/name#2`. */
  id: string;
  namespace: string;
  /** The leaf queue, when routing worked. */
  queue?: string;
  /** Why the workload has no usable queue (shown as its pending reason). */
  queueProblem?: string;
  priority: number;
  priorityClassName?: string;
  /** PriorityClass.preemptionPolicy Never. */
  preemptNever: boolean;
  createdMs: number;
  /** Since when it has been waiting (for reclaim delay and starvation). */
  pendingSinceMs: number;
  /** Not admitted before this time (status.retryAfter). */
  retryAfterMs?: number;
  pods: number;
  podRequest: Resources;
  nodeSelector: Record<string, string>;
  tolerations: Toleration[];
  affinity?: Affinity;
  useSpot: boolean;
  labels: Record<string, string>;
  /** Signature of every static placement constraint, so equal workloads share cached answers. */
  constraintKey: string;
  admitted?: AdmittedState;
  /** Derived (workloadInput): every pod's request together. */
  readonly totalRequest: Resources;
  /** Derived: `totalRequest` as a key (equal keys take out equal amounts). */
  readonly totalKey: string;
  /** Derived: equal keys fit or fail alike — queue, namespace, constraints, pods, request, priority, preemptNever. */
  readonly shapeKey: string;
}

export interface NamespaceQuotaInput {
  namespace: string;
  name: string;
  /** Quota key as written (e.g. `requests.nvidia.com/gpu`) → cap in base units. */
  hard: Record<string, number>;
  /** scopeSelector on PriorityClass; absent = every workload. */
  priorityScope?: Array<{ operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values: string[] }>;
}

export interface PdbInput {
  namespace: string;
  name: string;
  selector: LabelRequirement[];
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

export interface CycleInput {
  nodes: NodeInput[];
  queues: QueueInput[];
  workloads: WorkloadInput[];
  namespaceQuotas: NamespaceQuotaInput[];
  pdbs: PdbInput[];
}

export interface CycleOptions {
  nowMs: number;
  rng: Rng;
  config: SchedulerConfig;
  /** Kept by a long-lived caller across cycles: the snapshot is reused, applying only changed inputs. */
  memo?: CycleMemo;
}

export interface AdmissionDecision {
  workload: WorkloadInput;
  queue: string;
  flavor: string;
  pods: PodPlacement[];
}

export interface PreemptionDecision {
  victim: WorkloadInput;
  preemptor: WorkloadInput;
  rule: PreemptionRule;
  message: string;
}

export interface PendingDecision {
  workload: WorkloadInput;
  reason: string;
  /** 1-based within its queue; undefined when it has no queue. */
  queuePosition?: number;
  estimatedStartMs?: number;
}

export interface QueueReport {
  name: string;
  usage: Resources;
  borrowed: Resources;
  pending: number;
  admitted: number;
  dominantShare: number;
}

export interface CycleResult {
  admitted: AdmissionDecision[];
  preempted: PreemptionDecision[];
  pending: PendingDecision[];
  queues: QueueReport[];
}
