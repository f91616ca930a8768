/**
 * The Kubernetes object envelope shared by every kind.
 *
 * Example:
 * ```ts
 * const job: ApiObject = {
 *   apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
 *   metadata: { name: 'bert', namespace: 'team-nlp' }, spec: { workers: 2 },
 * };
 * ```
 */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  /** Set by the server. */
  uid?: string;
  /** Set by the server: the store's global write sequence at the object's last write, as a decimal string. */
  resourceVersion?: string;
  /** Set by the server: bumped on every change outside metadata and status. */
  generation?: number;
  /** RFC 3339, set by the server. */
  creationTimestamp?: string;
  /** RFC 3339, set by the server when deletion waits on finalizers. */
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Any stored object. `spec` and `status` are kind-specific; their schemas live in `kinds/`. */
export interface ApiObject<Spec = any, Status = any> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
  /** Some Kubernetes kinds (PriorityClass, Event, RBAC) keep their fields at the top level. */
  [field: string]: unknown;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

export interface ListMeta {
  resourceVersion: string;
  /** Opaque token; pass it back as `continue` to get the next page. */
  continue?: string;
  remainingItemCount?: number;
}

export interface ApiList<T extends ApiObject = ApiObject> {
  apiVersion: string;
  kind: string; // e.g. TrainingJobList
  metadata: ListMeta;
  items: T[];
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'ERROR' | 'BOOKMARK';

/** One line of a `?watch=true` stream (newline-delimited JSON). */
export interface WatchEvent<T extends ApiObject = ApiObject> {
  type: WatchEventType;
  object: T;
}

/** Identifies one object. `namespace` is absent for cluster-scoped kinds. */
export interface ObjectRef {
  kind: string;
  namespace?: string;
  name: string;
}

export function objectRefOf(obj: ApiObject): ObjectRef {
  return { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name };
}

/** `namespace/name` for namespaced objects, `name` for cluster-scoped ones. */
export function formatObjectRef(ref: ObjectRef): string {
  return ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name;
}
