/**
 * Kubernetes write semantics as pure functions over plain objects, shared by every
 * backend: what a create stores, what an update turns into, when generation moves.
 * Backends only persist what these return; nothing here touches storage or the clock.
 */
import { QmError, type ApiObject, type FieldCause, type ObjectMeta } from '@qm/api';
import type { DeleteOptions, UpdateOptions } from '@qm/core';
import { cloneJson, jsonEqual } from './json-value.js';

/** Identifies a stored row: `namespace` is '' for cluster-scoped objects. */
export interface ObjectKey {
  kind: string;
  namespace: string;
  name: string;
}

export function keyOf(obj: ApiObject): ObjectKey {
  return { kind: obj.kind, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name };
}

/** `TrainingJob "team-a/bert"` or `Node "gpu-1"`, for messages. */
export function describeKey(key: ObjectKey): string {
  return `${key.kind} "${key.namespace ? `${key.namespace}/` : ''}${key.name}"`;
}

export function notFound(key: ObjectKey): QmError {
  return new QmError('NotFound', `${describeKey(key)} not found`, { kind: key.kind, name: key.name });
}

export function alreadyExists(key: ObjectKey): QmError {
  return new QmError('AlreadyExists', `${describeKey(key)} already exists`, { kind: key.kind, name: key.name });
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function invalid(subject: string, causes: FieldCause[]): QmError {
  return new QmError('Invalid', `${subject} is invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`, { causes });
}

const isStringMap = (v: unknown): boolean =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v as object).every((x) => typeof x === 'string');

/**
 * Checks the fields the store itself relies on (kind, name, namespace, labels for
 * selectors, finalizers and ownerReferences for deletion). Kind-specific validation
 * belongs to admission; this only keeps the store's own invariants.
 */
export function validateStorable(obj: ApiObject): ObjectKey {
  const causes: FieldCause[] = [];
  const bad = (field: string, message: string, reason = 'FieldValueInvalid'): void => { causes.push({ field, message, reason }); };
  if (obj === null || typeof obj !== 'object') throw invalid('object', [{ field: '', message: 'must be an object', reason: 'FieldValueInvalid' }]);
  if (typeof obj.kind !== 'string' || obj.kind === '') bad('kind', 'is required', 'FieldValueRequired');
  const meta = obj.metadata as ObjectMeta | undefined;
  if (meta === null || typeof meta !== 'object') {
    bad('metadata', 'is required', 'FieldValueRequired');
  } else {
    if (typeof meta.name !== 'string' || meta.name === '') bad('metadata.name', 'is required', 'FieldValueRequired');
    if (meta.namespace !== undefined && typeof meta.namespace !== 'string') bad('metadata.namespace', 'must be a string');
    if (meta.labels !== undefined && !isStringMap(meta.labels)) bad('metadata.labels', 'must map strings to strings');
    if (meta.annotations !== undefined && !isStringMap(meta.annotations)) bad('metadata.annotations', 'must map strings to strings');
    if (meta.finalizers !== undefined && (!Array.isArray(meta.finalizers) || meta.finalizers.some((f) => typeof f !== 'string' || f === ''))) {
      bad('metadata.finalizers', 'must be a list of non-empty strings');
    }
    if (meta.ownerReferences !== undefined) {
      if (!Array.isArray(meta.ownerReferences)) bad('metadata.ownerReferences', 'must be a list');
      else meta.ownerReferences.forEach((ref, i) => {
        for (const field of ['uid', 'kind', 'name'] as const) {
          if (typeof ref?.[field] !== 'string' || ref[field] === '') bad(`metadata.ownerReferences[${i}].${field}`, 'is required', 'FieldValueRequired');
        }
      });
    }
  }
  if (causes.length > 0) {
    const name = typeof meta?.name === 'string' && meta.name ? ` "${meta.name}"` : '';
    throw invalid(`${typeof obj.kind === 'string' && obj.kind ? obj.kind : 'object'}${name}`, causes);
  }
  return keyOf(obj);
}

/** Drops the fields Kubernetes omits when empty, so `[]` and absent compare equal. */
function normalizeMeta(meta: ObjectMeta): ObjectMeta {
  if (meta.namespace === '') delete meta.namespace;
  if (meta.finalizers?.length === 0) delete meta.finalizers;
  if (meta.ownerReferences?.length === 0) delete meta.ownerReferences;
  return meta;
}

/**
 * The object a create stores, minus its resourceVersion (the engine assigns it).
 * Server-owned metadata from the client is ignored; status is kept (nodes register with it).
 */
export function prepareCreate(input: ApiObject, uid: string, nowMs: number): ApiObject {
  validateStorable(input);
  const obj = cloneJson(input);
  const { uid: _u, resourceVersion: _r, generation: _g, creationTimestamp: _c, deletionTimestamp: _d, ...rest } = obj.metadata;
  obj.metadata = normalizeMeta({ ...rest, uid, generation: 1, creationTimestamp: rfc3339(nowMs) });
  return obj;
}

function conflict(key: ObjectKey, message: string): QmError {
  return new QmError('Conflict', `${describeKey(key)}: ${message}`, { kind: key.kind, name: key.name });
}

/** Refuses a delete whose preconditions no longer hold. */
export function checkDeletePreconditions(stored: ApiObject, opts: DeleteOptions | undefined): void {
  const pre = opts?.preconditions;
  if (!pre) return;
  const key = keyOf(stored);
  if (pre.uid !== undefined && pre.uid !== stored.metadata.uid) {
    throw conflict(key, `precondition failed: uid in precondition ${pre.uid}, uid of the object ${stored.metadata.uid}`);
  }
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== stored.metadata.resourceVersion) {
    throw conflict(key, `precondition failed: resourceVersion in precondition ${pre.resourceVersion}, resourceVersion of the object ${stored.metadata.resourceVersion}; reload and retry`);
  }
}

/** Whether anything outside metadata and status differs (what moves generation). */
function specChanged(a: ApiObject, b: ApiObject): boolean {
  const skip = new Set(['apiVersion', 'kind', 'metadata', 'status']);
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (!skip.has(k) && !jsonEqual(a[k], b[k])) return true;
  return false;
}

/**
 * What an update turns `stored` into, keeping its resourceVersion (the engine assigns a
 * new one), or undefined when nothing would change. Throws Conflict on a stale
 * resourceVersion and Invalid when immutable metadata is touched. `input` has passed
 * validateStorable.
 */
export function prepareUpdate(stored: ApiObject, input: ApiObject, opts?: UpdateOptions): ApiObject | undefined {
  const key = keyOf(input);
  const sentVersion = input.metadata.resourceVersion;
  if (sentVersion !== undefined && sentVersion !== '' && sentVersion !== stored.metadata.resourceVersion) {
    throw conflict(key, `the object has been modified (you sent resourceVersion ${sentVersion}, the stored one is ${stored.metadata.resourceVersion}); reload and retry`);
  }
  if (input.metadata.uid !== undefined && input.metadata.uid !== '' && input.metadata.uid !== stored.metadata.uid) {
    throw invalid(describeKey(key), [{ field: 'metadata.uid', message: `field is immutable (stored ${stored.metadata.uid}, sent ${input.metadata.uid})`, reason: 'FieldValueInvalid' }]);
  }
  let next: ApiObject;
  if (opts?.subresource === 'status') {
    next = { ...stored };
    if (input.status === undefined) delete next.status;
    else next.status = cloneJson(input.status);
  } else {
    next = cloneJson(input);
    next.kind = stored.kind;
    if (next.apiVersion === undefined) next.apiVersion = stored.apiVersion;
    if (stored.status === undefined) delete next.status;
    else next.status = stored.status;
    const meta: ObjectMeta = normalizeMeta({
      ...next.metadata,
      namespace: stored.metadata.namespace,
      uid: stored.metadata.uid,
      resourceVersion: stored.metadata.resourceVersion,
      generation: stored.metadata.generation,
      creationTimestamp: stored.metadata.creationTimestamp,
      deletionTimestamp: stored.metadata.deletionTimestamp,
    });
    if (meta.namespace === undefined) delete meta.namespace;
    if (meta.deletionTimestamp === undefined) delete meta.deletionTimestamp;
    if (stored.metadata.deletionTimestamp !== undefined) {
      const had = new Set(stored.metadata.finalizers ?? []);
      const added = (meta.finalizers ?? []).filter((f) => !had.has(f));
      if (added.length > 0) {
        throw invalid(describeKey(key), [{
          field: 'metadata.finalizers',
          message: `no new finalizers can be added while the object is being deleted (tried ${added.join(', ')})`,
          reason: 'FieldValueForbidden',
        }]);
      }
    }
    next.metadata = meta;
    if (specChanged(stored, next)) meta.generation = (stored.metadata.generation ?? 1) + 1;
  }
  return jsonEqual(next, stored) ? undefined : next;
}

/** `obj` with deletion started at `nowMs`. */
export function withDeletionTimestamp(obj: ApiObject, nowMs: number): ApiObject {
  return { ...obj, metadata: { ...obj.metadata, deletionTimestamp: rfc3339(nowMs) } };
}

/** `obj` without the owner reference to `ownerUid` (the owner is gone but others remain). */
export function withoutOwner(obj: ApiObject, ownerUid: string): ApiObject {
  const refs = (obj.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  const meta: ObjectMeta = { ...obj.metadata, ownerReferences: refs };
  return { ...obj, metadata: normalizeMeta(meta) };
}

export function withResourceVersion(obj: ApiObject, resourceVersion: number): ApiObject {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(resourceVersion) } };
}

export function hasFinalizers(obj: ApiObject): boolean {
  return (obj.metadata.finalizers?.length ?? 0) > 0;
}
