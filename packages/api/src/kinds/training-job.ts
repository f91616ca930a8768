/**
 * TrainingJob (namespaced): `workers` processes that start together, checkpoint on a schedule
 * and resume after preemption.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: TrainingJob
 * metadata: {name: bert, namespace: team-nlp}
 * spec: {workers: 2, gpusPerWorker: 4, command: [python, train.py], checkpointInterval: 30}
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, NonNegativeInteger, Open, ResourceListSchema, StringEnum, Timestamp } from './helpers.js';
import { ConditionSchema, CostStatusSchema, QM_API, envelope, workloadFields } from './common.js';

export const TrainingJobSpecSchema = Closed({
  ...workloadFields,
  /** Processes that start together (all or none). Default 1. */
  workers: Type.Optional(Type.Integer({ minimum: 1 })),
  /** GPUs per worker, all on one node. Default 0. */
  gpusPerWorker: Type.Optional(NonNegativeInteger()),
  /** Per worker, e.g. `{cpu: "8", memory: "64Gi"}`; defaults come from LimitRange. */
  resources: Type.Optional(ResourceListSchema),
  checkpointPath: Type.Optional(Type.String({ minLength: 1 })),
  /** Minutes of running time between checkpoints (fractions allowed). */
  checkpointInterval: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** Checkpoints to keep (default 3). */
  checkpointKeep: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Restarts after failures that are not preemptions (default 3). */
  maxRestarts: Type.Optional(NonNegativeInteger()),
  activeDeadlineSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
  ttlSecondsAfterFinished: Type.Optional(NonNegativeInteger()),
}, { $id: 'TrainingJobSpec' });
export type TrainingJobSpec = Static<typeof TrainingJobSpecSchema>;

export const TrainingJobPhaseSchema = StringEnum(['Pending', 'Admitted', 'Running', 'Succeeded', 'Failed']);
export type TrainingJobPhase = Static<typeof TrainingJobPhaseSchema>;

export const WorkerPhaseSchema = StringEnum(['Pending', 'Starting', 'Running', 'Terminating', 'Succeeded', 'Failed', 'Unknown']);
export type WorkerPhase = Static<typeof WorkerPhaseSchema>;

export const TrainingJobWorkerStatusSchema = Open({
  rank: NonNegativeInteger(),
  node: Type.Optional(Type.String()),
  /** GPU indices on the node (what CUDA_VISIBLE_DEVICES lists). */
  gpus: Type.Optional(Type.Array(NonNegativeInteger())),
  phase: Type.Optional(WorkerPhaseSchema),
  exitCode: Type.Optional(Type.Integer()),
  restarts: Type.Optional(NonNegativeInteger()),
  pid: Type.Optional(NonNegativeInteger()),
}, { $id: 'TrainingJobWorkerStatus' });
export type TrainingJobWorkerStatus = Static<typeof TrainingJobWorkerStatusSchema>;

export const CheckpointStatusSchema = Open({
  path: Type.Optional(Type.String()),
  step: Type.Optional(NonNegativeInteger()),
  time: Type.Optional(Timestamp),
});
export type CheckpointStatus = Static<typeof CheckpointStatusSchema>;

/** Why an attempt (one admission → run) ended. */
export const AttemptEndReasonSchema = StringEnum(['Preempted', 'Interrupted', 'Failed', 'Succeeded', 'DeadlineExceeded', 'Deleted']);
export type AttemptEndReason = Static<typeof AttemptEndReasonSchema>;

export const TrainingJobAttemptSchema = Open({
  /** 0 for the first attempt. */
  index: NonNegativeInteger(),
  admittedAt: Type.Optional(Timestamp),
  startTime: Type.Optional(Timestamp),
  endTime: Type.Optional(Timestamp),
  endReason: Type.Optional(AttemptEndReasonSchema),
  message: Type.Optional(Type.String()),
  nodes: Type.Optional(Type.Array(Type.String())),
  exitCode: Type.Optional(Type.Integer()),
  /** Work lost since the last checkpoint when this attempt ended. */
  lostWorkSeconds: Type.Optional(Type.Number({ minimum: 0 })),
}, { $id: 'TrainingJobAttempt' });
export type TrainingJobAttempt = Static<typeof TrainingJobAttemptSchema>;

export const TrainingJobStatusSchema = Open({
  phase: Type.Optional(TrainingJobPhaseSchema),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
  /** One line a person understands: why the job is still Pending. */
  pendingReason: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  observedGeneration: Type.Optional(NonNegativeInteger()),
  /** The queue the job was routed to, and its resolved priority. */
  queue: Type.Optional(Type.String()),
  priority: Type.Optional(Type.Integer()),
  queuePosition: Type.Optional(NonNegativeInteger()),
  estimatedStartTime: Type.Optional(Timestamp),
  admittedAt: Type.Optional(Timestamp),
  startTime: Type.Optional(Timestamp),
  completionTime: Type.Optional(Timestamp),
  restarts: Type.Optional(NonNegativeInteger()),
  preemptions: Type.Optional(NonNegativeInteger()),
  lastCheckpoint: Type.Optional(CheckpointStatusSchema),
  workers: Type.Optional(Type.Array(TrainingJobWorkerStatusSchema)),
  attempts: Type.Optional(Type.Array(TrainingJobAttemptSchema)),
  cost: Type.Optional(CostStatusSchema),
}, { $id: 'TrainingJobStatus' });
export type TrainingJobStatus = Static<typeof TrainingJobStatusSchema>;

export const TrainingJobSchema = Type.Object({
  ...envelope(QM_API, 'TrainingJob', 'dns1123-label'),
  spec: TrainingJobSpecSchema,
  status: Type.Optional(TrainingJobStatusSchema),
}, { $id: 'TrainingJob', additionalProperties: false });
export type TrainingJob = Static<typeof TrainingJobSchema>;
