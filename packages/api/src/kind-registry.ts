/**
 * Every kind the platform serves: its API group/version, REST plural and CLI names.
 * The REST paths, the CLI's kind names and the store's keys all come from here.
 *
 * Example:
 * ```ts
 * findKindByName('tj')?.kind === 'TrainingJob';
 * restPathFor(findKindByName('queues')!, undefined, 'team-a') === '/apis/ml.quartermaster.dev/v1alpha1/queues/team-a';
 * ```
 */
export interface KindInfo {
  kind: string;
  /** '' for the Kubernetes core group (`v1`). */
  group: string;
  version: string;
  /** `group/version`, or just `version` for the core group. */
  apiVersion: string;
  plural: string;
  singular: string;
  shortNames: string[];
  namespaced: boolean;
  /** Whether the kind has a `/status` subresource (status only written there). */
  hasStatus: boolean;
}

export const QM_GROUP = 'ml.quartermaster.dev';
export const QM_VERSION = 'v1alpha1';
export const QM_API_VERSION = `${QM_GROUP}/${QM_VERSION}`;

function kind(
  kindName: string, group: string, version: string, plural: string,
  opts: { namespaced: boolean; shortNames?: string[]; hasStatus?: boolean },
): KindInfo {
  return {
    kind: kindName, group, version,
    apiVersion: group ? `${group}/${version}` : version,
    plural, singular: kindName.toLowerCase(),
    shortNames: opts.shortNames ?? [], namespaced: opts.namespaced, hasStatus: opts.hasStatus ?? true,
  };
}

const qm = (k: string, plural: string, opts: { namespaced: boolean; shortNames?: string[]; hasStatus?: boolean }) =>
  kind(k, QM_GROUP, QM_VERSION, plural, opts);

export const KINDS: readonly KindInfo[] = Object.freeze([
  qm('Node', 'nodes', { namespaced: false, shortNames: ['no'] }),
  qm('NodePool', 'nodepools', { namespaced: false, shortNames: ['np'] }),
  qm('Queue', 'queues', { namespaced: false, shortNames: ['q'] }),
  qm('TrainingJob', 'trainingjobs', { namespaced: true, shortNames: ['tj'] }),
  qm('ModelDeployment', 'modeldeployments', { namespaced: true, shortNames: ['md'] }),
  qm('Budget', 'budgets', { namespaced: true, shortNames: ['bu'] }),
  qm('AdmissionPolicy', 'admissionpolicies', { namespaced: false, shortNames: ['ap'] }),
  qm('PriceCatalog', 'pricecatalogs', { namespaced: false, shortNames: ['pcat'] }),
  kind('Event', '', 'v1', 'events', { namespaced: true, shortNames: ['ev'], hasStatus: false }),
  kind('Namespace', '', 'v1', 'namespaces', { namespaced: false, shortNames: ['ns'] }),
  kind('ResourceQuota', '', 'v1', 'resourcequotas', { namespaced: true, shortNames: ['quota'] }),
  kind('LimitRange', '', 'v1', 'limitranges', { namespaced: true, shortNames: ['limits'], hasStatus: false }),
  kind('PriorityClass', 'scheduling.k8s.io', 'v1', 'priorityclasses', { namespaced: false, shortNames: ['pc'], hasStatus: false }),
  kind('HorizontalPodAutoscaler', 'autoscaling', 'v2', 'horizontalpodautoscalers', { namespaced: true, shortNames: ['hpa'] }),
  kind('PodDisruptionBudget', 'policy', 'v1', 'poddisruptionbudgets', { namespaced: true, shortNames: ['pdb'] }),
  kind('Role', 'rbac.authorization.k8s.io', 'v1', 'roles', { namespaced: true, hasStatus: false }),
  kind('ClusterRole', 'rbac.authorization.k8s.io', 'v1', 'clusterroles', { namespaced: false, hasStatus: false }),
  kind('RoleBinding', 'rbac.authorization.k8s.io', 'v1', 'rolebindings', { namespaced: true, hasStatus: false }),
  kind('ClusterRoleBinding', 'rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', { namespaced: false, hasStatus: false }),
]);

const byKind = new Map(KINDS.map((k) => [k.kind, k]));

/** Looks a kind up by its `kind` field (exact, case-sensitive), as in a manifest. */
export function findKind(kindName: string): KindInfo | undefined {
  return byKind.get(kindName);
}

/** Looks a kind up the way a user types it: plural, singular, short name or Kind, any case, optionally `plural.group`. */
export function findKindByName(name: string): KindInfo | undefined {
  const lower = name.toLowerCase();
  const [head, ...groupParts] = lower.split('.');
  const group = groupParts.join('.');
  return KINDS.find((k) =>
    (k.plural === head || k.singular === head || k.shortNames.includes(head) || k.kind.toLowerCase() === head)
    && (group === '' || k.group === group));
}

/** Looks a kind up from a REST path's group, version and plural. */
export function findKindByResource(group: string, version: string, plural: string): KindInfo | undefined {
  return KINDS.find((k) => k.group === group && k.version === version && k.plural === plural);
}

/** The REST path of a collection (name absent) or of one object. */
export function restPathFor(info: KindInfo, namespace: string | undefined, name?: string): string {
  const prefix = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const ns = info.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const tail = name ? `/${encodeURIComponent(name)}` : '';
  return `${prefix}${ns}/${info.plural}${tail}`;
}
