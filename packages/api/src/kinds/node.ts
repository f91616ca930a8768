/**
 * Node (one machine that runs pods) and NodePool (a group of identical nodes an autoscaler
 * grows and shrinks). Both cluster-scoped.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: Node
 * metadata: {name: gpu-1, labels: {quartermaster.dev/gpu-model: A100-80GB}}
 * status: {capacity: {cpu: "96", memory: 1Ti, nvidia.com/gpu: 8}}
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FieldCause } from '../errors.js';
import { Closed, Labels, NonNegativeInteger, NonNegativeNumber, NonNegativeQuantity, Open, ResourceListSchema, StringEnum, Timestamp } from './helpers.js';
import { ConditionSchema, QM_API, TaintSchema, envelope } from './common.js';

/** Labels the platform sets on nodes. */
export const NODE_LABELS = {
  gpuModel: 'quartermaster.dev/gpu-model',
  gpuCount: 'quartermaster.dev/gpu-count',
  pool: 'quartermaster.dev/pool',
  capacityType: 'quartermaster.dev/capacity-type',
} as const;

/** The taint every spot node carries; `useSpot: true` workloads tolerate it. */
export const SPOT_TAINT = { key: NODE_LABELS.capacityType, value: 'spot', effect: 'NoSchedule' } as const;

export const CapacityTypeSchema = StringEnum(['on-demand', 'spot']);
export type CapacityType = Static<typeof CapacityTypeSchema>;

export const NodeSpecSchema = Closed({
  taints: Type.Optional(Type.Array(TaintSchema)),
  /** Cordon: no new pods. */
  unschedulable: Type.Optional(Type.Boolean()),
  /** The cloud's id for the machine, when there is one. */
  providerID: Type.Optional(Type.String()),
}, { $id: 'NodeSpec' });
export type NodeSpec = Static<typeof NodeSpecSchema>;

export const NodeGpuSchema = Open({
  index: NonNegativeInteger(),
  uuid: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  memoryMiB: Type.Optional(NonNegativeInteger()),
  /** Set when the GPU is MIG-partitioned, e.g. `1g.10gb`. */
  migProfile: Type.Optional(Type.String()),
}, { $id: 'NodeGpu' });
export type NodeGpu = Static<typeof NodeGpuSchema>;

export const NodeConditionSchema = Open({
  ...ConditionSchema.properties,
  lastHeartbeatTime: Type.Optional(Timestamp),
  /** For `SpotInterruption`: when the node goes away. */
  terminationTime: Type.Optional(Timestamp),
}, { $id: 'NodeCondition' });
export type NodeCondition = Static<typeof NodeConditionSchema>;

export const NodeStatusSchema = Open({
  capacity: Type.Optional(ResourceListSchema),
  allocatable: Type.Optional(ResourceListSchema),
  gpus: Type.Optional(Type.Array(NodeGpuSchema)),
  conditions: Type.Optional(Type.Array(NodeConditionSchema)),
  addresses: Type.Optional(Type.Array(Open({ type: Type.String(), address: Type.String() }))),
}, { $id: 'NodeStatus' });
export type NodeStatus = Static<typeof NodeStatusSchema>;

export const NodeSchema = Type.Object({
  ...envelope(QM_API, 'Node', 'dns1123-subdomain'),
  spec: Type.Optional(NodeSpecSchema),
  status: Type.Optional(NodeStatusSchema),
}, { $id: 'Node', additionalProperties: false });
/** A Node object (named `NodeObject` so it does not clash with the DOM's `Node`). */
export type NodeObject = Static<typeof NodeSchema>;

export const NodePoolSpecSchema = Closed({
  instanceType: Type.Optional(Type.String({ minLength: 1 })),
  gpuModel: Type.Optional(Type.String({ minLength: 1 })),
  gpusPerNode: Type.Optional(NonNegativeInteger()),
  cpu: Type.Optional(NonNegativeQuantity),
  memory: Type.Optional(NonNegativeQuantity),
  capacityType: Type.Optional(CapacityTypeSchema),
  /** USD per node-hour. */
  pricePerHour: Type.Optional(NonNegativeNumber()),
  minNodes: Type.Optional(NonNegativeInteger()),
  maxNodes: NonNegativeInteger(),
  provisioningSeconds: Type.Optional(NonNegativeNumber()),
  labels: Type.Optional(Labels),
  taints: Type.Optional(Type.Array(TaintSchema)),
  /** How long a node must be empty before scale-down removes it. */
  scaleDownUnneededSeconds: Type.Optional(NonNegativeNumber()),
}, { $id: 'NodePoolSpec' });
export type NodePoolSpec = Static<typeof NodePoolSpecSchema>;

export const NodePoolStatusSchema = Open({
  nodes: Type.Optional(NonNegativeInteger()),
  readyNodes: Type.Optional(NonNegativeInteger()),
  provisioningNodes: Type.Optional(NonNegativeInteger()),
  lastScaleTime: Type.Optional(Timestamp),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
}, { $id: 'NodePoolStatus' });
export type NodePoolStatus = Static<typeof NodePoolStatusSchema>;

export const NodePoolSchema = Type.Object({
  ...envelope(QM_API, 'NodePool', 'dns1123-label'),
  spec: NodePoolSpecSchema,
  status: Type.Optional(NodePoolStatusSchema),
}, { $id: 'NodePool', additionalProperties: false });
export type NodePool = Static<typeof NodePoolSchema>;

/** Rules the schema cannot say: minNodes ≤ maxNodes. */
export function checkNodePool(obj: Record<string, any>): FieldCause[] {
  const spec = obj.spec;
  if (spec && Number.isInteger(spec.minNodes) && Number.isInteger(spec.maxNodes) && spec.minNodes > spec.maxNodes) {
    return [{ field: 'spec.maxNodes', reason: 'FieldValueInvalid', message: `must be ≥ minNodes (${spec.minNodes}), got ${spec.maxNodes}` }];
  }
  return [];
}
