/**
 * PriorityClass (`scheduling.k8s.io/v1`, cluster-scoped), fields at the top level as in Kubernetes.
 *
 * Example:
 * ```yaml
 * apiVersion: scheduling.k8s.io/v1
 * kind: PriorityClass
 * metadata: {name: high}
 * value: 1000
 * preemptionPolicy: PreemptLowerPriority
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Open, StringEnum } from './helpers.js';
import { envelope } from './common.js';

export const PreemptionPolicySchema = StringEnum(['PreemptLowerPriority', 'Never']);
export type PreemptionPolicy = Static<typeof PreemptionPolicySchema>;

export const PriorityClassSchema = Open({
  ...envelope('scheduling.k8s.io/v1', 'PriorityClass', 'dns1123-subdomain'),
  /** A 32-bit integer; higher runs first. */
  value: Type.Integer({ minimum: -2147483648, maximum: 2147483647 }),
  globalDefault: Type.Optional(Type.Boolean()),
  /** Default PreemptLowerPriority. */
  preemptionPolicy: Type.Optional(PreemptionPolicySchema),
  description: Type.Optional(Type.String()),
}, { $id: 'PriorityClass' });
export type PriorityClass = Static<typeof PriorityClassSchema>;
