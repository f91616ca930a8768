import { QmError, applyDefaults, invalidObjectError, validateObject } from '@qm/api';
import type { ApiObject, KindInfo } from '@qm/api';
import { isPlainObject } from './merge-patch.js';

// Fields only the server sets; a client's values are dropped on create.
const SERVER_SET_ON_CREATE = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp'] as const;

/**
 * Checks a request body against the path it was sent to and fills what the path implies:
 * `apiVersion`/`kind` when absent (a mismatch is BadRequest), the namespace of a namespaced
 * kind (a different one in the body is BadRequest), and the name for object paths.
 * Cluster-scoped kinds lose any `metadata.namespace`, as in Kubernetes.
 */
export function conformToPath(
  body: Record<string, unknown>, info: KindInfo, namespace: string | undefined, name: string | undefined,
): ApiObject {
  const obj: Record<string, unknown> = { ...body };
  if (obj.apiVersion === undefined) obj.apiVersion = info.apiVersion;
  if (obj.kind === undefined) obj.kind = info.kind;
  if (obj.kind !== info.kind || obj.apiVersion !== info.apiVersion) {
    throw new QmError('BadRequest', `the body is ${String(obj.apiVersion)} ${String(obj.kind)} but the path `
      + `serves ${info.apiVersion} ${info.kind}`);
  }
  if (obj.metadata === undefined) obj.metadata = {};
  if (!isPlainObject(obj.metadata)) {
    throw invalidObjectError([{ field: 'metadata', message: 'must be an object', reason: 'FieldValueTypeInvalid' }], info.kind);
  }
  const metadata: Record<string, unknown> = { ...obj.metadata };
  obj.metadata = metadata;
  if (info.namespaced) {
    if (metadata.namespace === undefined || metadata.namespace === '') metadata.namespace = namespace;
    if (metadata.namespace !== namespace) {
      throw new QmError('BadRequest', `the namespace of the object (${String(metadata.namespace)}) does not match `
        + `the namespace in the path (${namespace})`);
    }
  } else {
    delete metadata.namespace;
  }
  if (name !== undefined) {
    if (metadata.name === undefined) metadata.name = name;
    if (metadata.name !== name) {
      throw new QmError('BadRequest', `the name of the object (${String(metadata.name)}) does not match the name `
        + `in the path (${name})`);
    }
  }
  return obj as ApiObject;
}

/** A copy without the metadata only the server sets, and without status unless the kind keeps it on create. */
export function forCreate(obj: ApiObject): ApiObject {
  const metadata = { ...obj.metadata };
  for (const field of SERVER_SET_ON_CREATE) delete metadata[field];
  const out: ApiObject = { ...obj, metadata };
  // Status is the platform's to write, except for Nodes: a declared node arrives with its capacity
  // (as a kubelet registers one).
  if (obj.kind !== 'Node') delete out.status;
  return out;
}

/** `{...obj, status}` keeping the object free of a `status` key when there is none. */
export function withStatus(obj: ApiObject, status: unknown): ApiObject {
  const out: ApiObject = { ...obj };
  if (status === undefined) delete out.status;
  else out.status = status;
  return out;
}

/** Validates against the kind's schema (every bad field at once) and applies defaults. */
export function validateAndDefault(obj: ApiObject, info: KindInfo): ApiObject {
  const result = validateObject(obj);
  if (!result.ok) {
    const name = typeof obj.metadata?.name === 'string' && obj.metadata.name ? obj.metadata.name : undefined;
    throw invalidObjectError(result.causes, info.kind, name);
  }
  return applyDefaults(result.object);
}
