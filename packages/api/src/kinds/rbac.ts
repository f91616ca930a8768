/**
 * RBAC (`rbac.authorization.k8s.io/v1`): Role, ClusterRole, RoleBinding, ClusterRoleBinding,
 * with Kubernetes' fields and rule semantics. Names may contain ":" (e.g. `system:viewer`).
 *
 * Example:
 * ```yaml
 * apiVersion: rbac.authorization.k8s.io/v1
 * kind: Role
 * metadata: {name: trainer, namespace: team-a}
 * rules: [{apiGroups: [ml.quartermaster.dev], resources: [trainingjobs], verbs: [get, list, create, delete]}]
 * ```
 */
import { Type, type Static } from '@sinclair/typebox';
import { Open, StringEnum } from './helpers.js';
import { LabelSelectorSchema, envelope } from './common.js';

export const PolicyRuleSchema = Open({
  apiGroups: Type.Optional(Type.Array(Type.String())),
  resources: Type.Optional(Type.Array(Type.String())),
  verbs: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
  resourceNames: Type.Optional(Type.Array(Type.String())),
  nonResourceURLs: Type.Optional(Type.Array(Type.String())),
}, { $id: 'PolicyRule' });
export type PolicyRule = Static<typeof PolicyRuleSchema>;

export const RoleRefSchema = Open({
  apiGroup: Type.String(),
  kind: StringEnum(['Role', 'ClusterRole']),
  name: Type.String({ minLength: 1 }),
}, { $id: 'RoleRef' });
export type RoleRef = Static<typeof RoleRefSchema>;

export const SubjectSchema = Open({
  kind: StringEnum(['User', 'Group', 'ServiceAccount']),
  name: Type.String({ minLength: 1 }),
  namespace: Type.Optional(Type.String()),
  apiGroup: Type.Optional(Type.String()),
}, { $id: 'Subject' });
export type Subject = Static<typeof SubjectSchema>;

const RBAC = 'rbac.authorization.k8s.io/v1';

export const RoleSchema = Open({
  ...envelope(RBAC, 'Role', 'path-segment-name'),
  rules: Type.Optional(Type.Array(PolicyRuleSchema)),
}, { $id: 'Role' });
export type Role = Static<typeof RoleSchema>;

export const ClusterRoleSchema = Open({
  ...envelope(RBAC, 'ClusterRole', 'path-segment-name'),
  rules: Type.Optional(Type.Array(PolicyRuleSchema)),
  aggregationRule: Type.Optional(Open({ clusterRoleSelectors: Type.Optional(Type.Array(LabelSelectorSchema)) })),
}, { $id: 'ClusterRole' });
export type ClusterRole = Static<typeof ClusterRoleSchema>;

export const RoleBindingSchema = Open({
  ...envelope(RBAC, 'RoleBinding', 'path-segment-name'),
  roleRef: RoleRefSchema,
  subjects: Type.Optional(Type.Array(SubjectSchema)),
}, { $id: 'RoleBinding' });
export type RoleBinding = Static<typeof RoleBindingSchema>;

export const ClusterRoleBindingSchema = Open({
  ...envelope(RBAC, 'ClusterRoleBinding', 'path-segment-name'),
  roleRef: RoleRefSchema,
  subjects: Type.Optional(Type.Array(SubjectSchema)),
}, { $id: 'ClusterRoleBinding' });
export type ClusterRoleBinding = Static<typeof ClusterRoleBindingSchema>;
