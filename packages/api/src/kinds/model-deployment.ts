/**
 * ModelDeployment (namespaced): long-running model-serving replicas behind the gateway.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: ModelDeployment
 * metadata: {name: chat, namespace: team-a}
 * spec: {command: [python, serve.py], port: 8000, replicas: 2, resources: {nvidia.com/gpu: 1}}
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, IntOrPercent, NonNegativeInteger, Open, ResourceListSchema } from './helpers.js';
import { ConditionSchema, CostStatusSchema, ProbeSchema, QM_API, envelope, workloadFields } from './common.js';

export const RollingUpdateSchema = Closed({
  maxSurge: Type.Optional(IntOrPercent),
  maxUnavailable: Type.Optional(IntOrPercent),
});
export type RollingUpdate = Static<typeof RollingUpdateSchema>;

/** Simulator-only knobs (read by `qm simulate`; ignored live). */
export const ServingSimulationSchema = Closed({
  /** The most requests per second one replica serves; latency rises as load nears it. */
  requestsPerSecondPerReplica: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** Latency of one request on an idle replica. */
  baseLatencyMs: Type.Optional(Type.Number({ minimum: 0 })),
  /** Time from a replica's start until it is ready. */
  startupSeconds: Type.Optional(Type.Number({ minimum: 0 })),
});
export type ServingSimulation = Static<typeof ServingSimulationSchema>;

export const ModelDeploymentSpecSchema = Closed({
  ...workloadFields,
  /** The port (also in env PORT) each replica listens on. */
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  /** Default 1. */
  replicas: Type.Optional(NonNegativeInteger()),
  /** Per replica, incl. `nvidia.com/gpu`. */
  resources: Type.Optional(ResourceListSchema),
  readinessProbe: Type.Optional(ProbeSchema),
  livenessProbe: Type.Optional(ProbeSchema),
  strategy: Type.Optional(Closed({ rollingUpdate: Type.Optional(RollingUpdateSchema) })),
  /** As a Kubernetes Deployment's: a rollout with no progress for this long gets Progressing=False (ProgressDeadlineExceeded). Default 600. */
  progressDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  simulation: Type.Optional(ServingSimulationSchema),
}, { $id: 'ModelDeploymentSpec' });
export type ModelDeploymentSpec = Static<typeof ModelDeploymentSpecSchema>;

export const ModelDeploymentStatusSchema = Open({
  observedGeneration: Type.Optional(NonNegativeInteger()),
  replicas: Type.Optional(NonNegativeInteger()),
  readyReplicas: Type.Optional(NonNegativeInteger()),
  updatedReplicas: Type.Optional(NonNegativeInteger()),
  availableReplicas: Type.Optional(NonNegativeInteger()),
  /** The gateway URL. */
  endpoint: Type.Optional(Type.String()),
  /** Label selector of the replicas, as a string (what an HPA's scale subresource reports). */
  selector: Type.Optional(Type.String()),
  pendingReason: Type.Optional(Type.String()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  cost: Type.Optional(CostStatusSchema),
}, { $id: 'ModelDeploymentStatus' });
export type ModelDeploymentStatus = Static<typeof ModelDeploymentStatusSchema>;

export const ModelDeploymentSchema = Type.Object({
  ...envelope(QM_API, 'ModelDeployment', 'dns1123-label'),
  spec: ModelDeploymentSpecSchema,
  status: Type.Optional(ModelDeploymentStatusSchema),
}, { $id: 'ModelDeployment', additionalProperties: false });
export type ModelDeployment = Static<typeof ModelDeploymentSchema>;
