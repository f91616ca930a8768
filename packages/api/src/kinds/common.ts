/**
 * Shapes shared by several kinds: the object envelope and metadata, label selectors, taints,
 * tolerations, affinity, environment variables, probes and conditions (Kubernetes shapes).
 *
 * Example:
 * ```ts
 * const tol: Toleration = { key: 'quartermaster.dev/capacity-type', operator: 'Equal', value: 'spot', effect: 'NoSchedule' };
 * ```
 */
import { Type, type Static, type TLiteral } from '@sinclair/typebox';
import type { FieldCause } from '../errors.js';
import { Annotations, Closed, Labels, NonNegativeInteger, Open, PortValue, StringEnum, StringMap, Timestamp } from './helpers.js';

/** The group/version of every Quartermaster kind (same value as `QM_API_VERSION`). */
export const QM_API = 'ml.quartermaster.dev/v1alpha1';

/** How an object's `metadata.name` is checked: most kinds use DNS-1123 names; RBAC allows `system:x`. */
export type NameFormat = 'dns1123-label' | 'dns1123-subdomain' | 'path-segment-name';

const OwnerReferenceSchema = Open({
  apiVersion: Type.String(),
  kind: Type.String(),
  name: Type.String(),
  uid: Type.String(),
  controller: Type.Optional(Type.Boolean()),
  blockOwnerDeletion: Type.Optional(Type.Boolean()),
});

/** `metadata` with the given name rule. Unknown metadata fields are kept (clients add their own). */
export function objectMeta(nameFormat: NameFormat) {
  return Open({
    name: Type.String({ format: nameFormat }),
    namespace: Type.Optional(Type.String({ format: 'dns1123-label' })),
    labels: Type.Optional(Labels),
    annotations: Type.Optional(Annotations),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    generation: Type.Optional(NonNegativeInteger()),
    creationTimestamp: Type.Optional(Timestamp),
    deletionTimestamp: Type.Optional(Timestamp),
    ownerReferences: Type.Optional(Type.Array(OwnerReferenceSchema)),
    finalizers: Type.Optional(Type.Array(Type.String())),
  });
}

/** `apiVersion`, `kind` and `metadata`, to spread into a kind's schema. */
export function envelope<V extends string, K extends string>(apiVersion: V, kind: K, nameFormat: NameFormat) {
  return {
    apiVersion: Type.Literal(apiVersion) as TLiteral<V>,
    kind: Type.Literal(kind) as TLiteral<K>,
    metadata: objectMeta(nameFormat),
  };
}

export const LabelSelectorRequirementSchema = Closed({
  key: Type.String({ minLength: 1 }),
  operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist']),
  values: Type.Optional(Type.Array(Type.String())),
});

export const LabelSelectorSchema = Closed({
  matchLabels: Type.Optional(StringMap),
  matchExpressions: Type.Optional(Type.Array(LabelSelectorRequirementSchema)),
}, { $id: 'LabelSelector' });
export type LabelSelector = Static<typeof LabelSelectorSchema>;
export type LabelSelectorRequirement = Static<typeof LabelSelectorRequirementSchema>;

export const TaintEffectSchema = StringEnum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);
export type TaintEffect = Static<typeof TaintEffectSchema>;

export const TaintSchema = Closed({
  key: Type.String({ format: 'qualified-name' }),
  value: Type.Optional(Type.String()),
  effect: TaintEffectSchema,
  timeAdded: Type.Optional(Timestamp),
}, { $id: 'Taint' });
export type Taint = Static<typeof TaintSchema>;

export const TolerationSchema = Closed({
  key: Type.Optional(Type.String()),
  operator: Type.Optional(StringEnum(['Exists', 'Equal'])),
  value: Type.Optional(Type.String()),
  /** Absent or empty: tolerates every effect. */
  effect: Type.Optional(StringEnum(['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'])),
  tolerationSeconds: Type.Optional(Type.Integer()),
}, { $id: 'Toleration' });
export type Toleration = Static<typeof TolerationSchema>;

export const NodeSelectorRequirementSchema = Closed({
  key: Type.String({ minLength: 1 }),
  operator: StringEnum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: Type.Optional(Type.Array(Type.String())),
});
export type NodeSelectorRequirement = Static<typeof NodeSelectorRequirementSchema>;

export const NodeSelectorTermSchema = Closed({
  matchExpressions: Type.Optional(Type.Array(NodeSelectorRequirementSchema)),
  matchFields: Type.Optional(Type.Array(NodeSelectorRequirementSchema)),
}, { $id: 'NodeSelectorTerm' });
export type NodeSelectorTerm = Static<typeof NodeSelectorTermSchema>;

export const NodeAffinitySchema = Closed({
  requiredDuringSchedulingIgnoredDuringExecution: Type.Optional(Closed({
    nodeSelectorTerms: Type.Array(NodeSelectorTermSchema),
  })),
  preferredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Array(Closed({
    weight: Type.Integer({ minimum: 1, maximum: 100 }),
    preference: NodeSelectorTermSchema,
  }))),
}, { $id: 'NodeAffinity' });
export type NodeAffinity = Static<typeof NodeAffinitySchema>;

export const PodAffinityTermSchema = Closed({
  labelSelector: Type.Optional(LabelSelectorSchema),
  namespaceSelector: Type.Optional(LabelSelectorSchema),
  namespaces: Type.Optional(Type.Array(Type.String())),
  topologyKey: Type.String({ minLength: 1 }),
  matchLabelKeys: Type.Optional(Type.Array(Type.String())),
  mismatchLabelKeys: Type.Optional(Type.Array(Type.String())),
}, { $id: 'PodAffinityTerm' });
export type PodAffinityTerm = Static<typeof PodAffinityTermSchema>;

const PodAffinityRulesSchema = Closed({
  requiredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Array(PodAffinityTermSchema)),
  preferredDuringSchedulingIgnoredDuringExecution: Type.Optional(Type.Array(Closed({
    weight: Type.Integer({ minimum: 1, maximum: 100 }),
    podAffinityTerm: PodAffinityTermSchema,
  }))),
});

export const AffinitySchema = Closed({
  nodeAffinity: Type.Optional(NodeAffinitySchema),
  podAffinity: Type.Optional(PodAffinityRulesSchema),
  podAntiAffinity: Type.Optional(PodAffinityRulesSchema),
}, { $id: 'Affinity' });
export type Affinity = Static<typeof AffinitySchema>;

export const EnvVarSchema = Closed({
  name: Type.String({ minLength: 1 }),
  value: Type.Optional(Type.String()),
  /** Kubernetes `valueFrom` (secrets, config maps); only meaningful on Kubernetes. */
  valueFrom: Type.Optional(Open({})),
}, { $id: 'EnvVar' });
export type EnvVar = Static<typeof EnvVarSchema>;

export const ProbeSchema = Closed({
  httpGet: Type.Optional(Closed({
    path: Type.Optional(Type.String()),
    /** Defaults to the replica's port. */
    port: Type.Optional(PortValue),
    host: Type.Optional(Type.String()),
    scheme: Type.Optional(StringEnum(['HTTP', 'HTTPS'])),
    httpHeaders: Type.Optional(Type.Array(Closed({ name: Type.String(), value: Type.String() }))),
  })),
  tcpSocket: Type.Optional(Closed({ port: Type.Optional(PortValue), host: Type.Optional(Type.String()) })),
  exec: Type.Optional(Closed({ command: Type.Array(Type.String(), { minItems: 1 }) })),
  initialDelaySeconds: Type.Optional(NonNegativeInteger()),
  periodSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  successThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
  failureThreshold: Type.Optional(Type.Integer({ minimum: 1 })),
  terminationGracePeriodSeconds: Type.Optional(NonNegativeInteger()),
}, { $id: 'Probe' });
export type Probe = Static<typeof ProbeSchema>;

export const ConditionSchema = Open({
  type: Type.String({ minLength: 1 }),
  status: StringEnum(['True', 'False', 'Unknown']),
  reason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  lastTransitionTime: Type.Optional(Timestamp),
  observedGeneration: Type.Optional(NonNegativeInteger()),
}, { $id: 'Condition' });

export const ObjectReferenceSchema = Open({
  apiVersion: Type.Optional(Type.String()),
  kind: Type.Optional(Type.String()),
  namespace: Type.Optional(Type.String()),
  name: Type.Optional(Type.String()),
  uid: Type.Optional(Type.String()),
  resourceVersion: Type.Optional(Type.String()),
  fieldPath: Type.Optional(Type.String()),
}, { $id: 'ObjectReference' });
export type ObjectReference = Static<typeof ObjectReferenceSchema>;

/** The workload fields TrainingJob and ModelDeployment share (container, placement, queueing). */
export const workloadFields = {
  command: Type.Optional(Type.Array(Type.String())),
  args: Type.Optional(Type.Array(Type.String())),
  workingDir: Type.Optional(Type.String()),
  env: Type.Optional(Type.Array(EnvVarSchema)),
  image: Type.Optional(Type.String({ minLength: 1 })),
  nodeSelector: Type.Optional(StringMap),
  tolerations: Type.Optional(Type.Array(TolerationSchema)),
  affinity: Type.Optional(AffinitySchema),
  useSpot: Type.Optional(Type.Boolean()),
  queue: Type.Optional(Type.String({ format: 'dns1123-label' })),
  priorityClassName: Type.Optional(Type.String({ format: 'dns1123-subdomain' })),
  terminationGracePeriodSeconds: Type.Optional(NonNegativeInteger()),
};

/** Cost so far, as the cost controller writes it. */
export const CostStatusSchema = Open({
  gpuHours: Type.Optional(Type.Number({ minimum: 0 })),
  usd: Type.Optional(Type.Number({ minimum: 0 })),
});
export type CostStatus = Static<typeof CostStatusSchema>;

/** A workload needs something to run: `spec.command`, or an image whose entrypoint runs. */
export function checkWorkloadCommand(obj: Record<string, any>): FieldCause[] {
  const spec = obj.spec;
  if (!spec || typeof spec !== 'object' || Array.isArray(spec) || spec.image !== undefined) return [];
  const noCommand = spec.command === undefined || (Array.isArray(spec.command) && spec.command.length === 0);
  return noCommand
    ? [{ field: 'spec.command', reason: 'FieldValueRequired', message: 'is required when spec.image is not set' }]
    : [];
}
