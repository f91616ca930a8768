/**
 * Queue: a team's share of the cluster (cluster-scoped). Queues may form a tree via `spec.parent`;
 * siblings lend each other idle capacity.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: Queue
 * metadata: {name: team-a}
 * spec: {namespaces: [team-a], guaranteed: {nvidia.com/gpu: 4}, max: {nvidia.com/gpu: 8}}
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, NonNegativeInteger, Open, ResourceListSchema, StringEnum, StringMap } from './helpers.js';
import { ConditionSchema, QM_API, envelope } from './common.js';

/**
 * Seconds a queue below its guarantee waits before reclaiming what others borrowed (an
 * annotation, so the Queue spec keeps Kueue's shape; the scheduler and `qm simulate` read it).
 */
export const RECLAIM_DELAY_ANNOTATION = 'quartermaster.dev/reclaim-delay-seconds';

export const QueueFlavorSchema = Closed({
  name: Type.String({ format: 'dns1123-label' }),
  /** Which nodes this flavor covers, e.g. `{quartermaster.dev/gpu-model: H100}`. */
  nodeSelector: Type.Optional(StringMap),
  guaranteed: Type.Optional(ResourceListSchema),
  max: Type.Optional(ResourceListSchema),
  lendingLimit: Type.Optional(ResourceListSchema),
}, { $id: 'QueueFlavor' });
export type QueueFlavor = Static<typeof QueueFlavorSchema>;

export const WithinQueuePreemptionSchema = StringEnum(['Never', 'LowerPriority']);
export const ReclaimPreemptionSchema = StringEnum(['Never', 'Any']);

export const QueuePreemptionSchema = Closed({
  /** Default LowerPriority. */
  withinQueue: Type.Optional(WithinQueuePreemptionSchema),
  /** Default Any: take borrowed capacity back from other queues to reach `guaranteed`. */
  reclaim: Type.Optional(ReclaimPreemptionSchema),
});
export type QueuePreemption = Static<typeof QueuePreemptionSchema>;

export const QueueSpecSchema = Closed({
  /** The parent queue's name; absent for a top-level queue. */
  parent: Type.Optional(Type.String({ format: 'dns1123-label' })),
  namespaces: Type.Optional(Type.Array(Type.String({ format: 'dns1123-label' }))),
  guaranteed: Type.Optional(ResourceListSchema),
  /** Absent = no cap beyond the parent's. */
  max: Type.Optional(ResourceListSchema),
  /** Absent = others may borrow all of the guarantee. */
  lendingLimit: Type.Optional(ResourceListSchema),
  /** Share of idle capacity when several queues borrow (default 1). */
  weight: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  flavors: Type.Optional(Type.Array(QueueFlavorSchema)),
  preemption: Type.Optional(QueuePreemptionSchema),
}, { $id: 'QueueSpec' });
export type QueueSpec = Static<typeof QueueSpecSchema>;

export const QueueStatusSchema = Open({
  usage: Type.Optional(ResourceListSchema),
  borrowed: Type.Optional(ResourceListSchema),
  /** Workloads waiting in this queue. */
  pending: Type.Optional(NonNegativeInteger()),
  /** Workloads admitted (running or starting). */
  admitted: Type.Optional(NonNegativeInteger()),
  dominantShare: Type.Optional(Type.Number({ minimum: 0 })),
  flavors: Type.Optional(Type.Array(Open({
    name: Type.String(),
    usage: Type.Optional(ResourceListSchema),
    borrowed: Type.Optional(ResourceListSchema),
  }))),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
}, { $id: 'QueueStatus' });
export type QueueStatus = Static<typeof QueueStatusSchema>;

export const QueueSchema = Type.Object({
  ...envelope(QM_API, 'Queue', 'dns1123-label'),
  spec: Type.Optional(QueueSpecSchema),
  status: Type.Optional(QueueStatusSchema),
}, { $id: 'Queue', additionalProperties: false });
export type Queue = Static<typeof QueueSchema>;
