/**
 * PodDisruptionBudget (`policy/v1`, namespaced): respected by preemption, drains and scale-down.
 *
 * Example:
 * ```yaml
 * apiVersion: policy/v1
 * kind: PodDisruptionBudget
 * metadata: {name: chat, namespace: team-a}
 * spec: {minAvailable: 1, selector: {matchLabels: {app: chat}}}
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FieldCause } from '../errors.js';
import { IntOrPercent, NonNegativeInteger, Open, StringEnum, StringMap, Timestamp } from './helpers.js';
import { ConditionSchema, LabelSelectorSchema, envelope } from './common.js';

export const PodDisruptionBudgetSpecSchema = Open({
  minAvailable: Type.Optional(IntOrPercent),
  maxUnavailable: Type.Optional(IntOrPercent),
  selector: Type.Optional(LabelSelectorSchema),
  unhealthyPodEvictionPolicy: Type.Optional(StringEnum(['IfHealthyBudget', 'AlwaysAllow'])),
}, { $id: 'PodDisruptionBudgetSpec' });
export type PodDisruptionBudgetSpec = Static<typeof PodDisruptionBudgetSpecSchema>;

export const PodDisruptionBudgetStatusSchema = Open({
  observedGeneration: Type.Optional(NonNegativeInteger()),
  disruptedPods: Type.Optional(StringMap),
  disruptionsAllowed: Type.Optional(NonNegativeInteger()),
  currentHealthy: Type.Optional(NonNegativeInteger()),
  desiredHealthy: Type.Optional(NonNegativeInteger()),
  expectedPods: Type.Optional(NonNegativeInteger()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  lastUpdateTime: Type.Optional(Timestamp),
}, { $id: 'PodDisruptionBudgetStatus' });
export type PodDisruptionBudgetStatus = Static<typeof PodDisruptionBudgetStatusSchema>;

export const PodDisruptionBudgetSchema = Open({
  ...envelope('policy/v1', 'PodDisruptionBudget', 'dns1123-subdomain'),
  spec: Type.Optional(PodDisruptionBudgetSpecSchema),
  status: Type.Optional(PodDisruptionBudgetStatusSchema),
}, { $id: 'PodDisruptionBudget' });
export type PodDisruptionBudget = Static<typeof PodDisruptionBudgetSchema>;

/** As Kubernetes: `minAvailable` and `maxUnavailable` are mutually exclusive. */
export function checkPodDisruptionBudget(obj: Record<string, any>): FieldCause[] {
  const spec = obj.spec;
  if (spec && typeof spec === 'object' && spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    return [{ field: 'spec.maxUnavailable', reason: 'FieldValueInvalid', message: 'minAvailable and maxUnavailable cannot both be set' }];
  }
  return [];
}
