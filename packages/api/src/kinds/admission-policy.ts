/**
 * AdmissionPolicy (cluster-scoped): built-in admission rules, in `enforce` mode (reject the
 * object with a 403-class error naming the rule) or `audit` mode (admit it, record a warning event).
 * To enforce some rules and audit others, write two policies.
 *
 * Example:
 * ```yaml
 * apiVersion: ml.quartermaster.dev/v1alpha1
 * kind: AdmissionPolicy
 * metadata: {name: gpu-hygiene}
 * spec:
 *   mode: enforce
 *   namespaces: [team-a, team-b]     # absent or empty = every namespace
 *   requireGpuRequestOnGpuNodes: true
 *   disallowLatestTag: true
 *   allowedImagePrefixes: [ghcr.io/acme/]
 *   maxGpusPerWorkload: 16
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Closed, NonNegativeInteger, Open, StringEnum } from './helpers.js';
import { ConditionSchema, QM_API, envelope } from './common.js';

export const AdmissionModeSchema = StringEnum(['enforce', 'audit']);
export type AdmissionMode = Static<typeof AdmissionModeSchema>;

export const AdmissionPolicySpecSchema = Closed({
  /** Default enforce. */
  mode: Type.Optional(AdmissionModeSchema),
  /** Namespaces the policy applies to; absent or empty = all. */
  namespaces: Type.Optional(Type.Array(Type.String({ format: 'dns1123-label' }))),
  /** Workloads that may land on GPU nodes must request GPUs. */
  requireGpuRequestOnGpuNodes: Type.Optional(Type.Boolean()),
  /** Images must carry a tag other than `latest` (or a digest). */
  disallowLatestTag: Type.Optional(Type.Boolean()),
  /** Images must start with one of these prefixes. */
  allowedImagePrefixes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** GPUs one workload may request in total (workers × gpusPerWorker, or replicas × GPUs). */
  maxGpusPerWorkload: Type.Optional(NonNegativeInteger()),
}, { $id: 'AdmissionPolicySpec' });
export type AdmissionPolicySpec = Static<typeof AdmissionPolicySpecSchema>;

export const AdmissionPolicyStatusSchema = Open({
  /** Objects this policy rejected (enforce) or flagged (audit) since it was created. */
  violations: Type.Optional(NonNegativeInteger()),
  conditions: Type.Optional(Type.Array(ConditionSchema)),
}, { $id: 'AdmissionPolicyStatus' });
export type AdmissionPolicyStatus = Static<typeof AdmissionPolicyStatusSchema>;

export const AdmissionPolicySchema = Type.Object({
  ...envelope(QM_API, 'AdmissionPolicy', 'dns1123-label'),
  spec: AdmissionPolicySpecSchema,
  status: Type.Optional(AdmissionPolicyStatusSchema),
}, { $id: 'AdmissionPolicy', additionalProperties: false });
export type AdmissionPolicy = Static<typeof AdmissionPolicySchema>;
