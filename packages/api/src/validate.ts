/**
 * Validates any object of a served kind against its schema in one pass, collecting every bad
 * field with a readable message and a field path.
 *
 * Example:
 * ```ts
 * const r = validateObject({ apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
 *   metadata: { name: 'Bert' }, spec: { workers: 0, gpusPerWorker: -1, command: ['train'] } });
 * // r.ok === false; r.causes names metadata.name, spec.workers and spec.gpusPerWorker
 * if (!r.ok) throw invalidObjectError(r.causes, 'TrainingJob', 'Bert');
 * ```
 */
import { QmError, type FieldCause } from './errors.js';
import { KINDS, findKind } from './kind-registry.js';
import type { ApiObject } from './meta.js';
import { checkSchema, showValue } from './schema-check.js';
import { KIND_CHECKS, schemaForKind } from './kinds/index.js';

export type ValidationResult = { ok: true; object: ApiObject } | { ok: false; causes: FieldCause[] };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function dedupe(causes: FieldCause[]): FieldCause[] {
  const seen = new Set<string>();
  return causes.filter((c) => {
    const key = `${c.field}\u0000${c.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * Checks `obj` is an object of a served kind with the right apiVersion, and that every field
 * matches the kind's schema (unknown fields inside our kinds' specs are errors; Kubernetes kinds
 * keep them). Returns every cause at once. Does not apply defaults.
 */
export function validateObject(obj: unknown): ValidationResult {
  if (!isPlainObject(obj)) {
    return { ok: false, causes: [{ field: '', reason: 'FieldValueTypeInvalid', message: `must be an object with apiVersion, kind and metadata, got ${showValue(obj)}` }] };
  }
  const kind = obj.kind;
  const info = typeof kind === 'string' ? findKind(kind) : undefined;
  if (!info) {
    const known = KINDS.map((k) => k.kind).join(', ');
    const message = kind === undefined ? `is required; one of ${known}`
      : kind === 'Scenario' ? 'Scenario is not a served kind: run scenario files with `qm simulate`'
        : `unknown kind ${showValue(kind)}; known kinds: ${known}`;
    return { ok: false, causes: [{ field: 'kind', reason: kind === undefined ? 'FieldValueRequired' : 'FieldValueNotSupported', message }] };
  }
  const schema = schemaForKind(info.kind);
  if (!schema) throw new QmError('InternalError', `no schema for kind ${info.kind}`);

  const causes: FieldCause[] = [];
  if (obj.apiVersion !== info.apiVersion) {
    causes.push(obj.apiVersion === undefined
      ? { field: 'apiVersion', reason: 'FieldValueRequired', message: `is required; ${info.kind} is ${JSON.stringify(info.apiVersion)}` }
      : { field: 'apiVersion', reason: 'FieldValueNotSupported', message: `must be ${JSON.stringify(info.apiVersion)} for kind ${info.kind}, got ${showValue(obj.apiVersion)}` });
  }
  const found: FieldCause[] = [];
  checkSchema(schema, obj, '', found);
  causes.push(...found.filter((c) => c.field !== 'apiVersion'));
  causes.push(...(KIND_CHECKS[info.kind]?.(obj) ?? []));
  return causes.length === 0 ? { ok: true, object: obj as ApiObject } : { ok: false, causes: dedupe(causes) };
}

/** Throws `QmError('Invalid')` unless the object is valid; returns it typed. */
export function assertValidObject(obj: unknown): ApiObject {
  const result = validateObject(obj);
  if (result.ok) return result.object;
  const o = isPlainObject(obj) ? obj : {};
  const kind = typeof o.kind === 'string' ? o.kind : undefined;
  const name = isPlainObject(o.metadata) && typeof o.metadata.name === 'string' ? o.metadata.name : undefined;
  throw invalidObjectError(result.causes, kind, name);
}

/**
 * The Kubernetes-style 422 error for bad fields: `TrainingJob "bert" is invalid: spec.workers: must be ...`.
 */
export function invalidObjectError(causes: FieldCause[], kind?: string, name?: string): QmError {
  const what = `${kind ?? 'object'}${name ? ` ${JSON.stringify(name)}` : ''}`;
  const list = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message)).join('; ');
  const info = kind ? findKind(kind) : undefined;
  return new QmError('Invalid', `${what} is invalid: ${list}`, {
    ...(name ? { name } : {}),
    ...(kind ? { kind } : {}),
    ...(info ? { group: info.group } : {}),
    causes,
  });
}
