/**
 * The schema of every served kind, keyed by `kind`, plus the cross-field rules a schema cannot say.
 *
 * Example:
 * ```ts
 * schemaForKind('TrainingJob') === TrainingJobSchema;
 * ```
 */
import type { TSchema } from '@sinclair/typebox';
import type { FieldCause } from '../errors.js';
import { checkWorkloadCommand } from './common.js';
import { AdmissionPolicySchema, type AdmissionPolicy } from './admission-policy.js';
import { BudgetSchema, checkBudget, type Budget } from './budget.js';
import {
  LimitRangeSchema, NamespaceSchema, ResourceQuotaSchema, type LimitRange, type NamespaceObject, type ResourceQuota,
} from './core-v1.js';
import { EventSchema, type EventObject } from './event.js';
import { HorizontalPodAutoscalerSchema, checkHorizontalPodAutoscaler, type HorizontalPodAutoscaler } from './hpa.js';
import { ModelDeploymentSchema, type ModelDeployment } from './model-deployment.js';
import { NodePoolSchema, NodeSchema, checkNodePool, type NodeObject, type NodePool } from './node.js';
import { PodDisruptionBudgetSchema, checkPodDisruptionBudget, type PodDisruptionBudget } from './pdb.js';
import { PriceCatalogSchema, type PriceCatalog } from './price-catalog.js';
import { PriorityClassSchema, type PriorityClass } from './priority-class.js';
import { QueueSchema, type Queue } from './queue.js';
import {
  ClusterRoleBindingSchema, ClusterRoleSchema, RoleBindingSchema, RoleSchema,
  type ClusterRole, type ClusterRoleBinding, type Role, type RoleBinding,
} from './rbac.js';
import { TrainingJobSchema, type TrainingJob } from './training-job.js';

export {
  QuantityValue as QuantitySchema, NonNegativeQuantity as NonNegativeQuantitySchema, ResourceListSchema,
  IntOrPercent as IntOrPercentSchema, StringEnum,
  type ResourceList, type QuantityInput, type IntOrPercentValue,
} from './helpers.js';
export * from './common.js';
export * from './node.js';
export * from './queue.js';
export * from './training-job.js';
export * from './model-deployment.js';
export * from './budget.js';
export * from './admission-policy.js';
export * from './price-catalog.js';
export * from './event.js';
export * from './core-v1.js';
export * from './priority-class.js';
export * from './hpa.js';
export * from './pdb.js';
export * from './rbac.js';
export * from './scenario.js';

/** Every served kind's schema, keyed by `kind` (the same kinds as KINDS in kind-registry.ts). */
export const KIND_SCHEMAS: Readonly<Record<string, TSchema>> = Object.freeze({
  Node: NodeSchema,
  NodePool: NodePoolSchema,
  Queue: QueueSchema,
  TrainingJob: TrainingJobSchema,
  ModelDeployment: ModelDeploymentSchema,
  Budget: BudgetSchema,
  AdmissionPolicy: AdmissionPolicySchema,
  PriceCatalog: PriceCatalogSchema,
  Event: EventSchema,
  Namespace: NamespaceSchema,
  ResourceQuota: ResourceQuotaSchema,
  LimitRange: LimitRangeSchema,
  PriorityClass: PriorityClassSchema,
  HorizontalPodAutoscaler: HorizontalPodAutoscalerSchema,
  PodDisruptionBudget: PodDisruptionBudgetSchema,
  Role: RoleSchema,
  ClusterRole: ClusterRoleSchema,
  RoleBinding: RoleBindingSchema,
  ClusterRoleBinding: ClusterRoleBindingSchema,
});

/** Cross-field rules per kind; each returns causes with full field paths. */
export const KIND_CHECKS: Readonly<Record<string, (obj: Record<string, any>) => FieldCause[]>> = Object.freeze({
  NodePool: checkNodePool,
  TrainingJob: checkWorkloadCommand,
  ModelDeployment: checkWorkloadCommand,
  Budget: checkBudget,
  HorizontalPodAutoscaler: checkHorizontalPodAutoscaler,
  PodDisruptionBudget: checkPodDisruptionBudget,
});

/** The schema of a served kind (by its `kind` field), or undefined for an unknown kind. */
export function schemaForKind(kind: string): TSchema | undefined {
  return Object.hasOwn(KIND_SCHEMAS, kind) ? KIND_SCHEMAS[kind] : undefined;
}

/** Any object of a served kind, typed by its schema. */
export type KnownObject =
  | NodeObject | NodePool | Queue | TrainingJob | ModelDeployment | Budget | AdmissionPolicy | PriceCatalog
  | EventObject | NamespaceObject | ResourceQuota | LimitRange | PriorityClass | HorizontalPodAutoscaler
  | PodDisruptionBudget | Role | ClusterRole | RoleBinding | ClusterRoleBinding;
