/**
 * HorizontalPodAutoscaler (`autoscaling/v2`, namespaced), with Kubernetes' fields. Here its
 * `scaleTargetRef` names a ModelDeployment.
 *
 * Example:
 * ```yaml
 * apiVersion: autoscaling/v2
 * kind: HorizontalPodAutoscaler
 * metadata: {name: chat, namespace: team-a}
 * spec:
 *   scaleTargetRef: {apiVersion: ml.quartermaster.dev/v1alpha1, kind: ModelDeployment, name: chat}
 *   minReplicas: 1
 *   maxReplicas: 8
 *   metrics: [{type: Pods, pods: {metric: {name: requests_per_second}, target: {type: AverageValue, averageValue: "100"}}}]
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FieldCause } from '../errors.js';
import { NonNegativeInteger, Open, QuantityValue, StringEnum, Timestamp } from './helpers.js';
import { ConditionSchema, LabelSelectorSchema, envelope } from './common.js';

export const CrossVersionObjectReferenceSchema = Open({
  apiVersion: Type.Optional(Type.String()),
  kind: Type.String({ minLength: 1 }),
  name: Type.String({ minLength: 1 }),
}, { $id: 'CrossVersionObjectReference' });
export type CrossVersionObjectReference = Static<typeof CrossVersionObjectReferenceSchema>;

export const MetricTargetSchema = Open({
  type: StringEnum(['Utilization', 'Value', 'AverageValue']),
  value: Type.Optional(QuantityValue),
  averageValue: Type.Optional(QuantityValue),
  /** Percent of the request, for `type: Utilization`. */
  averageUtilization: Type.Optional(Type.Integer({ minimum: 1 })),
}, { $id: 'MetricTarget' });
export type MetricTarget = Static<typeof MetricTargetSchema>;

export const MetricIdentifierSchema = Open({
  name: Type.String({ minLength: 1 }),
  selector: Type.Optional(LabelSelectorSchema),
}, { $id: 'MetricIdentifier' });
export type MetricIdentifier = Static<typeof MetricIdentifierSchema>;

export const MetricTypeSchema = StringEnum(['Resource', 'Pods', 'Object', 'External', 'ContainerResource']);
export type MetricType = Static<typeof MetricTypeSchema>;

export const MetricSpecSchema = Open({
  type: MetricTypeSchema,
  resource: Type.Optional(Open({ name: Type.String({ minLength: 1 }), target: MetricTargetSchema })),
  containerResource: Type.Optional(Open({
    name: Type.String({ minLength: 1 }), container: Type.String({ minLength: 1 }), target: MetricTargetSchema,
  })),
  pods: Type.Optional(Open({ metric: MetricIdentifierSchema, target: MetricTargetSchema })),
  object: Type.Optional(Open({
    describedObject: CrossVersionObjectReferenceSchema, metric: MetricIdentifierSchema, target: MetricTargetSchema,
  })),
  external: Type.Optional(Open({ metric: MetricIdentifierSchema, target: MetricTargetSchema })),
}, { $id: 'MetricSpec' });
export type MetricSpec = Static<typeof MetricSpecSchema>;

export const HPAScalingPolicySchema = Open({
  type: StringEnum(['Pods', 'Percent']),
  value: Type.Integer({ minimum: 1 }),
  periodSeconds: Type.Integer({ minimum: 1, maximum: 1800 }),
}, { $id: 'HPAScalingPolicy' });
export type HPAScalingPolicy = Static<typeof HPAScalingPolicySchema>;

export const HPAScalingRulesSchema = Open({
  stabilizationWindowSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
  selectPolicy: Type.Optional(StringEnum(['Max', 'Min', 'Disabled'])),
  policies: Type.Optional(Type.Array(HPAScalingPolicySchema)),
  tolerance: Type.Optional(QuantityValue),
}, { $id: 'HPAScalingRules' });
export type HPAScalingRules = Static<typeof HPAScalingRulesSchema>;

export const HorizontalPodAutoscalerSpecSchema = Open({
  scaleTargetRef: CrossVersionObjectReferenceSchema,
  /** Default 1. */
  minReplicas: Type.Optional(Type.Integer({ minimum: 1 })),
  maxReplicas: Type.Integer({ minimum: 1 }),
  /** Default: CPU at 80% average utilization. */
  metrics: Type.Optional(Type.Array(MetricSpecSchema)),
  behavior: Type.Optional(Open({
    scaleUp: Type.Optional(HPAScalingRulesSchema),
    scaleDown: Type.Optional(HPAScalingRulesSchema),
  })),
}, { $id: 'HorizontalPodAutoscalerSpec' });
export type HorizontalPodAutoscalerSpec = Static<typeof HorizontalPodAutoscalerSpecSchema>;

export const MetricValueStatusSchema = Open({
  value: Type.Optional(QuantityValue),
  averageValue: Type.Optional(QuantityValue),
  averageUtilization: Type.Optional(Type.Integer()),
});

export const HorizontalPodAutoscalerStatusSchema = Open({
  observedGeneration: Type.Optional(NonNegativeInteger()),
  lastScaleTime: Type.Optional(Timestamp),
  currentReplicas: Type.Optional(NonNegativeInteger()),
  desiredReplicas: Type.Optional(NonNegativeInteger()),
  currentMetrics: Type.Optional(Type.Array(Open({
    type: MetricTypeSchema,
    resource: Type.Optional(Open({ name: Type.String(), current: MetricValueStatusSchema })),
    containerResource: Type.Optional(Open({ name: Type.String(), container: Type.String(), current: MetricValueStatusSchema })),
    pods: Type.Optional(Open({ metric: MetricIdentifierSchema, current: MetricValueStatusSchema })),
    object: Type.Optional(Open({ describedObject: CrossVersionObjectReferenceSchema, metric: MetricIdentifierSchema, current: MetricValueStatusSchema })),
    external: Type.Optional(Open({ metric: MetricIdentifierSchema, current: MetricValueStatusSchema })),
  }))),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
}, { $id: 'HorizontalPodAutoscalerStatus' });
export type HorizontalPodAutoscalerStatus = Static<typeof HorizontalPodAutoscalerStatusSchema>;

export const HorizontalPodAutoscalerSchema = Open({
  ...envelope('autoscaling/v2', 'HorizontalPodAutoscaler', 'dns1123-subdomain'),
  spec: HorizontalPodAutoscalerSpecSchema,
  status: Type.Optional(HorizontalPodAutoscalerStatusSchema),
}, { $id: 'HorizontalPodAutoscaler' });
export type HorizontalPodAutoscaler = Static<typeof HorizontalPodAutoscalerSchema>;

/** Kubernetes' defaults for `behavior.scaleUp`, used when a rule set is present but a field is not. */
export const HPA_DEFAULT_SCALE_UP: Readonly<Required<Pick<HPAScalingRules, 'stabilizationWindowSeconds' | 'selectPolicy' | 'policies'>>> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** Kubernetes' defaults for `behavior.scaleDown`. */
export const HPA_DEFAULT_SCALE_DOWN: Readonly<Required<Pick<HPAScalingRules, 'stabilizationWindowSeconds' | 'selectPolicy' | 'policies'>>> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

const METRIC_SOURCE_FIELD: Record<MetricType, string> = {
  Resource: 'resource', Pods: 'pods', Object: 'object', External: 'external', ContainerResource: 'containerResource',
};

/** Rules the schema cannot say: min ≤ max, and each metric carries the source its `type` names. */
export function checkHorizontalPodAutoscaler(obj: Record<string, any>): FieldCause[] {
  const causes: FieldCause[] = [];
  const spec = obj.spec;
  if (!spec || typeof spec !== 'object') return causes;
  if (Number.isInteger(spec.minReplicas) && Number.isInteger(spec.maxReplicas) && spec.minReplicas > spec.maxReplicas) {
    causes.push({
      field: 'spec.maxReplicas', reason: 'FieldValueInvalid',
      message: `must be ≥ minReplicas (${spec.minReplicas}), got ${spec.maxReplicas}`,
    });
  }
  if (Array.isArray(spec.metrics)) {
    spec.metrics.forEach((metric: any, i: number) => {
      const source = METRIC_SOURCE_FIELD[metric?.type as MetricType];
      if (source && metric[source] === undefined) {
        causes.push({
          field: `spec.metrics[${i}].${source}`, reason: 'FieldValueRequired',
          message: `is required when type is ${metric.type}`,
        });
      }
    });
  }
  return causes;
}
