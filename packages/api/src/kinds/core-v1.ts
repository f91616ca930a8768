/**
 * Kubernetes core `v1` kinds accepted unchanged: Namespace, ResourceQuota, LimitRange.
 * Unknown fields are kept, so manifests written for Kubernetes apply as they are.
 *
 * Example:
 * ```yaml
 * apiVersion: v1
 * kind: ResourceQuota
 * metadata: {name: gpus, namespace: team-a}
 * spec:
 *   hard: {requests.nvidia.com/gpu: 16}
 *   scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: In, values: [high]}]}
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Open, ResourceListSchema, StringEnum } from './helpers.js';
import { envelope } from './common.js';

export const NamespaceSchema = Open({
  ...envelope('v1', 'Namespace', 'dns1123-label'),
  spec: Type.Optional(Open({ finalizers: Type.Optional(Type.Array(Type.String())) })),
  status: Type.Optional(Open({ phase: Type.Optional(StringEnum(['Active', 'Terminating'])) })),
}, { $id: 'Namespace' });
export type NamespaceObject = Static<typeof NamespaceSchema>;

export const ResourceQuotaScopeSchema = StringEnum([
  'Terminating', 'NotTerminating', 'BestEffort', 'NotBestEffort', 'PriorityClass', 'CrossNamespacePodAffinity',
]);
export type ResourceQuotaScope = Static<typeof ResourceQuotaScopeSchema>;

export const ScopedResourceSelectorRequirementSchema = Open({
  scopeName: ResourceQuotaScopeSchema,
  operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: Type.Optional(Type.Array(Type.String())),
});
export type ScopedResourceSelectorRequirement = Static<typeof ScopedResourceSelectorRequirementSchema>;

export const ResourceQuotaSpecSchema = Open({
  /** Caps, e.g. `{requests.nvidia.com/gpu: 16, limits.memory: 1Ti, count/trainingjobs.ml.quartermaster.dev: 10}`. */
  hard: Type.Optional(ResourceListSchema),
  scopes: Type.Optional(Type.Array(ResourceQuotaScopeSchema)),
  scopeSelector: Type.Optional(Open({
    matchExpressions: Type.Optional(Type.Array(ScopedResourceSelectorRequirementSchema)),
  })),
}, { $id: 'ResourceQuotaSpec' });
export type ResourceQuotaSpec = Static<typeof ResourceQuotaSpecSchema>;

export const ResourceQuotaStatusSchema = Open({
  hard: Type.Optional(ResourceListSchema),
  used: Type.Optional(ResourceListSchema),
}, { $id: 'ResourceQuotaStatus' });
export type ResourceQuotaStatus = Static<typeof ResourceQuotaStatusSchema>;

export const ResourceQuotaSchema = Open({
  ...envelope('v1', 'ResourceQuota', 'dns1123-subdomain'),
  spec: Type.Optional(ResourceQuotaSpecSchema),
  status: Type.Optional(ResourceQuotaStatusSchema),
}, { $id: 'ResourceQuota' });
export type ResourceQuota = Static<typeof ResourceQuotaSchema>;

export const LimitTypeSchema = StringEnum(['Container', 'Pod', 'PersistentVolumeClaim']);
export type LimitType = Static<typeof LimitTypeSchema>;

export const LimitRangeItemSchema = Open({
  type: LimitTypeSchema,
  /** Default limits (Container only). */
  default: Type.Optional(ResourceListSchema),
  /** Default requests (Container only). */
  defaultRequest: Type.Optional(ResourceListSchema),
  max: Type.Optional(ResourceListSchema),
  min: Type.Optional(ResourceListSchema),
  maxLimitRequestRatio: Type.Optional(ResourceListSchema),
}, { $id: 'LimitRangeItem' });
export type LimitRangeItem = Static<typeof LimitRangeItemSchema>;

export const LimitRangeSpecSchema = Open({
  limits: Type.Array(LimitRangeItemSchema),
}, { $id: 'LimitRangeSpec' });
export type LimitRangeSpec = Static<typeof LimitRangeSpecSchema>;

export const LimitRangeSchema = Open({
  ...envelope('v1', 'LimitRange', 'dns1123-subdomain'),
  spec: LimitRangeSpecSchema,
}, { $id: 'LimitRange' });
export type LimitRange = Static<typeof LimitRangeSchema>;
