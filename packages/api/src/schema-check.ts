/**
 * Walks a value against a TypeBox (JSON) schema and collects every bad field as a FieldCause with
 * a readable message ("must be an integer ≥ 1, got 0"). This is what `validateObject` runs; it
 * understands the JSON Schema keywords our schemas use plus the `x-qm-*` ones (see kinds/helpers.ts).
 *
 * Field paths: `spec.workers`, `spec.tolerations[0].effect`, `spec.guaranteed["nvidia.com/gpu"]`
 * (keys that are not plain identifiers are quoted in brackets).
 *
 * Example:
 * ```ts
 * const causes: FieldCause[] = [];
 * checkSchema(TrainingJobSpecSchema, { workers: 0 }, 'spec', causes);
 * // causes[0] → { field: 'spec.workers', reason: 'FieldValueInvalid', message: 'must be an integer ≥ 1, got 0' }
 * ```
 */
import type { FieldCause } from './errors.js';
import { checkFormat } from './formats.js';
import { parseQuantity } from './quantity.js';

type Schema = Record<string, any>;

const IDENTIFIER_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Appends a key or an index to a field path: `joinFieldPath('spec', 'workers') === 'spec.workers'`. */
export function joinFieldPath(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  if (IDENTIFIER_RE.test(key)) return base === '' ? key : `${base}.${key}`;
  return `${base}[${JSON.stringify(key)}]`;
}

/** Puts causes found inside a nested document under `prefix`, e.g. `spec.objects[2]`. */
export function prefixCauses(prefix: string, causes: FieldCause[]): FieldCause[] {
  return causes.map((c) => ({
    ...c,
    field: c.field === '' ? prefix : c.field.startsWith('[') ? `${prefix}${c.field}` : `${prefix}.${c.field}`,
  }));
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** How a value looks in a message: strings quoted, containers named. */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'string') {
    const s = JSON.stringify(v);
    return s.length > 60 ? `${s.slice(0, 57)}..."` : s;
  }
  return String(v);
}

function describeBounds(s: Schema): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) parts.push(`≥ ${s.minimum}`);
  if (s.exclusiveMinimum !== undefined) parts.push(`> ${s.exclusiveMinimum}`);
  if (s.maximum !== undefined) parts.push(`≤ ${s.maximum}`);
  if (s.exclusiveMaximum !== undefined) parts.push(`< ${s.exclusiveMaximum}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

/** A person's description of what a schema accepts: "an integer ≥ 1", "one of \"Never\", \"Any\"". */
export function describeSchema(s: Schema): string {
  if (s['x-qm-expect']) return s['x-qm-expect'];
  if (s['x-qm-quantity']) {
    return `a${s['x-qm-quantity'] === 'nonnegative' ? ' non-negative' : ''} quantity such as "500m", 8 or "64Gi"`;
  }
  if (Array.isArray(s.anyOf)) {
    if (s.anyOf.every((b: Schema) => 'const' in b)) return `one of ${s.anyOf.map((b: Schema) => JSON.stringify(b.const)).join(', ')}`;
    return s.anyOf.map(describeSchema).join(' or ');
  }
  if ('const' in s) return JSON.stringify(s.const);
  switch (s.type) {
    case 'integer': return `an integer${describeBounds(s)}`;
    case 'number': return `a number${describeBounds(s)}`;
    case 'string': return 'a string';
    case 'boolean': return 'true or false';
    case 'array': return 'a list';
    case 'object': return s.patternProperties || typeof s.additionalProperties === 'object' ? 'a map' : 'an object';
    default: return 'a value';
  }
}

function jsonTypeMatches(s: Schema, v: unknown): boolean {
  switch (s.type) {
    case 'object': return isPlainObject(v);
    case 'array': return Array.isArray(v);
    case 'integer':
    case 'number': return typeof v === 'number';
    case 'string': return typeof v === 'string';
    case 'boolean': return typeof v === 'boolean';
    default: return false;
  }
}

function push(out: FieldCause[], field: string, reason: string, message: string): void {
  out.push({ field, reason, message });
}

/** Edit distance counting a swap of two neighbours as one edit ("sepc" → "spec" is 1). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

function unknownFieldMessage(key: string, known: string[]): string {
  const lower = key.toLowerCase();
  const guess = known.find((k) => k.toLowerCase() === lower)
    ?? known.map((k) => ({ k, d: editDistance(lower, k.toLowerCase()) }))
      .filter((x) => x.d <= Math.max(1, Math.floor(key.length / 4)))
      .sort((x, y) => x.d - y.d)[0]?.k;
  if (guess) return `unknown field ${JSON.stringify(key)}; did you mean ${JSON.stringify(guess)}?`;
  return known.length ? `unknown field ${JSON.stringify(key)}; known fields: ${known.join(', ')}` : `unknown field ${JSON.stringify(key)}`;
}

function checkQuantity(s: Schema, v: unknown, path: string, out: FieldCause[]): void {
  if (typeof v !== 'string' && typeof v !== 'number') {
    push(out, path, 'FieldValueTypeInvalid', `must be ${describeSchema(s)}, got ${showValue(v)}`);
    return;
  }
  try {
    const q = parseQuantity(v);
    if (s['x-qm-quantity'] === 'nonnegative' && q.milli < 0n) push(out, path, 'FieldValueInvalid', `must not be negative, got ${showValue(v)}`);
  } catch (err) {
    push(out, path, 'FieldValueInvalid', (err as Error).message);
  }
}

function checkUnion(s: Schema, v: unknown, path: string, out: FieldCause[]): void {
  const branches: Schema[] = s.anyOf;
  for (const b of branches) {
    const trial: FieldCause[] = [];
    checkSchema(b, v, path, trial);
    if (trial.length === 0) return;
  }
  if (branches.every((b) => 'const' in b)) {
    push(out, path, 'FieldValueNotSupported', `must be ${describeSchema(s)}, got ${showValue(v)}`);
    return;
  }
  // One branch of the value's JSON type: its errors are the precise ones.
  const typed = branches.filter((b) => jsonTypeMatches(b, v));
  if (!s['x-qm-expect'] && typed.length === 1) {
    checkSchema(typed[0], v, path, out);
    return;
  }
  push(out, path, typed.length ? 'FieldValueInvalid' : 'FieldValueTypeInvalid', `must be ${describeSchema(s)}, got ${showValue(v)}`);
}

function checkObject(s: Schema, v: unknown, path: string, out: FieldCause[]): void {
  if (!isPlainObject(v)) {
    push(out, path, 'FieldValueTypeInvalid', `must be ${describeSchema(s)}, got ${showValue(v)}`);
    return;
  }
  const properties: Record<string, Schema> = s.properties ?? {};
  for (const key of (s.required ?? []) as string[]) {
    if (v[key] === undefined) push(out, joinFieldPath(path, key), 'FieldValueRequired', 'is required');
  }
  const patterns = Object.entries((s.patternProperties ?? {}) as Record<string, Schema>).map(([p, ps]) => [new RegExp(p), ps] as const);
  for (const [key, value] of Object.entries(v)) {
    if (value === undefined) continue;
    const field = joinFieldPath(path, key);
    if (Object.hasOwn(properties, key)) {
      checkSchema(properties[key], value, field, out);
      continue;
    }
    const valueSchema = patterns.find(([re]) => re.test(key))?.[1]
      ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties as Schema : undefined);
    if (valueSchema) {
      const keyError = s['x-qm-key-format'] ? checkFormat(s['x-qm-key-format'], key) : undefined;
      if (keyError) push(out, field, 'FieldValueInvalid', `key ${JSON.stringify(key)} ${keyError}`);
      checkSchema(valueSchema, value, field, out);
    } else if (s.additionalProperties === false) {
      push(out, field, 'FieldValueInvalid', unknownFieldMessage(key, Object.keys(properties)));
    }
  }
}

function checkArray(s: Schema, v: unknown, path: string, out: FieldCause[]): void {
  if (!Array.isArray(v)) {
    push(out, path, 'FieldValueTypeInvalid', `must be a list, got ${showValue(v)}`);
    return;
  }
  if (s.minItems !== undefined && v.length < s.minItems) {
    push(out, path, 'FieldValueRequired', `must have at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
  }
  if (s.maxItems !== undefined && v.length > s.maxItems) {
    push(out, path, 'FieldValueTooMany', `must have at most ${s.maxItems} items, got ${v.length}`);
  }
  if (s.items) v.forEach((item, i) => checkSchema(s.items, item, joinFieldPath(path, i), out));
}

function checkString(s: Schema, v: unknown, path: string, out: FieldCause[]): void {
  if (typeof v !== 'string') {
    push(out, path, 'FieldValueTypeInvalid', `must be ${describeSchema(s)}, got ${showValue(v)}`);
    return;
  }
  if (s.minLength !== undefined && v.length < s.minLength) {
    push(out, path, s.minLength === 1 ? 'FieldValueRequired' : 'FieldValueInvalid',
      s.minLength === 1 ? 'must not be empty' : `must be at least ${s.minLength} characters`);
    return;
  }
  if (s.maxLength !== undefined && v.length > s.maxLength) {
    push(out, path, 'FieldValueTooLong', `must be at most ${s.maxLength} characters, got ${v.length}`);
    return;
  }
  const formatError = s.format ? checkFormat(s.format, v) : undefined;
  if (formatError) {
    push(out, path, 'FieldValueInvalid', `${formatError}, got ${showValue(v)}`);
    return;
  }
  if (s.pattern && !new RegExp(s.pattern).test(v)) {
    push(out, path, 'FieldValueInvalid', `must be ${s['x-qm-expect'] ?? `a string matching ${s.pattern}`}, got ${showValue(v)}`);
  }
}

function checkNumber(s: Schema, v: unknown, path: string, out: FieldCause[]): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    push(out, path, 'FieldValueTypeInvalid', `must be ${describeSchema(s)}, got ${showValue(v)}`);
    return;
  }
  const bad = (s.type === 'integer' && !Number.isInteger(v))
    || (s.minimum !== undefined && v < s.minimum)
    || (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum)
    || (s.maximum !== undefined && v > s.maximum)
    || (s.exclusiveMaximum !== undefined && v >= s.exclusiveMaximum);
  if (bad) push(out, path, 'FieldValueInvalid', `must be ${describeSchema(s)}, got ${showValue(v)}`);
}

/** Checks `value` against `schema`, appending a cause per bad field to `out`. */
export function checkSchema(schema: Schema, value: unknown, path: string, out: FieldCause[]): void {
  const s = schema;
  if (s['x-qm-quantity']) return checkQuantity(s, value, path, out);
  if (Array.isArray(s.anyOf)) return checkUnion(s, value, path, out);
  if ('const' in s) {
    if (value !== s.const) push(out, path, 'FieldValueNotSupported', `must be ${JSON.stringify(s.const)}, got ${showValue(value)}`);
    return;
  }
  if (Array.isArray(s.enum)) {
    if (!s.enum.includes(value)) {
      push(out, path, 'FieldValueNotSupported', `must be one of ${s.enum.map((e: unknown) => JSON.stringify(e)).join(', ')}, got ${showValue(value)}`);
    }
    return;
  }
  switch (s.type) {
    case 'object': return checkObject(s, value, path, out);
    case 'array': return checkArray(s, value, path, out);
    case 'string': return checkString(s, value, path, out);
    case 'integer':
    case 'number': return checkNumber(s, value, path, out);
    case 'boolean':
      if (typeof value !== 'boolean') push(out, path, 'FieldValueTypeInvalid', `must be true or false, got ${showValue(value)}`);
      return;
    case 'null':
      if (value !== null) push(out, path, 'FieldValueTypeInvalid', `must be null, got ${showValue(value)}`);
      return;
    default:
      return; // Unknown/Any: anything goes.
  }
}
