/**
 * Budget (namespaced): a spending limit for a namespace or a queue, with alert thresholds.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: Budget
 * metadata: {name: nlp-monthly, namespace: team-nlp}
 * spec:
 *   target: {namespace: team-nlp}
 *   period: Monthly
 *   amountUSD: 20000
 *   thresholds: [{percent: 80, type: Actual}, {percent: 100, type: Forecasted}]
 *   action: BlockNewWorkloads
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FieldCause } from '../errors.js';
import { Closed, Open, StringEnum, Timestamp } from './helpers.js';
import { ConditionSchema, QM_API, envelope } from './common.js';

export const BudgetPeriodSchema = StringEnum(['Monthly', 'Weekly', 'Daily']);
export type BudgetPeriod = Static<typeof BudgetPeriodSchema>;
export const BudgetThresholdTypeSchema = StringEnum(['Actual', 'Forecasted']);
export type BudgetThresholdType = Static<typeof BudgetThresholdTypeSchema>;
export const BudgetActionSchema = StringEnum(['Notify', 'BlockNewWorkloads']);
export type BudgetAction = Static<typeof BudgetActionSchema>;

export const BudgetThresholdSchema = Closed({
  /** Percent of `amountUSD`, in (0, 1000]. */
  percent: Type.Number({ exclusiveMinimum: 0, maximum: 1000 }),
  /** Default Actual. */
  type: Type.Optional(BudgetThresholdTypeSchema),
});
export type BudgetThreshold = Static<typeof BudgetThresholdSchema>;

export const BudgetSpecSchema = Closed({
  /** Exactly one of `namespace` or `queue`. */
  target: Closed({
    namespace: Type.Optional(Type.String({ format: 'dns1123-label' })),
    queue: Type.Optional(Type.String({ format: 'dns1123-label' })),
  }),
  period: BudgetPeriodSchema,
  amountUSD: Type.Number({ minimum: 0 }),
  thresholds: Type.Optional(Type.Array(BudgetThresholdSchema)),
  /** Default Notify. */
  action: Type.Optional(BudgetActionSchema),
}, { $id: 'BudgetSpec' });
export type BudgetSpec = Static<typeof BudgetSpecSchema>;

export const BudgetStatusSchema = Open({
  periodStart: Type.Optional(Timestamp),
  periodEnd: Type.Optional(Timestamp),
  spentUSD: Type.Optional(Type.Number({ minimum: 0 })),
  forecastUSD: Type.Optional(Type.Number({ minimum: 0 })),
  triggered: Type.Optional(Type.Array(Open({
    percent: Type.Number(),
    type: BudgetThresholdTypeSchema,
    time: Type.Optional(Timestamp),
  }))),
  /** True while `action: BlockNewWorkloads` is in force. */
  blocking: Type.Optional(Type.Boolean()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
}, { $id: 'BudgetStatus' });
export type BudgetStatus = Static<typeof BudgetStatusSchema>;

export const BudgetSchema = Type.Object({
  ...envelope(QM_API, 'Budget', 'dns1123-label'),
  spec: BudgetSpecSchema,
  status: Type.Optional(BudgetStatusSchema),
}, { $id: 'Budget', additionalProperties: false });
export type Budget = Static<typeof BudgetSchema>;

/** Rules the schema cannot say: the target names exactly one of namespace or queue. */
export function checkBudget(obj: Record<string, any>): FieldCause[] {
  const target = obj.spec?.target;
  if (!target || typeof target !== 'object' || Array.isArray(target)) return [];
  const count = Number(target.namespace !== undefined) + Number(target.queue !== undefined);
  if (count === 1) return [];
  return [{
    field: 'spec.target',
    reason: count === 0 ? 'FieldValueRequired' : 'FieldValueInvalid',
    message: count === 0 ? 'must name a namespace or a queue, e.g. {namespace: team-a}' : 'must name a namespace or a queue, not both',
  }];
}
