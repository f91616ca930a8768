/**
 * String formats the schemas use (`Type.String({ format: 'dns1123-label' })`), with the reason a value
 * fails, in words a person can act on. They are also registered with TypeBox's FormatRegistry so
 * `Value.Check` agrees with `validateObject`.
 *
 * Example:
 * ```ts
 * checkFormat('dns1123-label', 'Bert') === 'must be a DNS-1123 label: lower-case letters, digits and "-", ...';
 * checkFormat('dns1123-label', 'bert') === undefined;
 * ```
 */
import { FormatRegistry } from '@sinclair/typebox';
import { isValidQuantity } from './quantity.js';
import { parseDurationSeconds } from './duration.js';

const LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const NAME_PART_RE = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/** Why `value` is not a DNS-1123 label (Kubernetes object names of most kinds), or undefined if it is. */
export function dns1123LabelError(value: string): string | undefined {
  if (value.length > 63) return `must be at most 63 characters (got ${value.length})`;
  if (!LABEL_RE.test(value)) {
    return 'must be a DNS-1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Why `value` is not a DNS-1123 subdomain (labels joined by "."), or undefined if it is. */
export function dns1123SubdomainError(value: string): string | undefined {
  if (value.length > 253) return `must be at most 253 characters (got ${value.length})`;
  if (!SUBDOMAIN_RE.test(value)) {
    return 'must be a DNS-1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit';
  }
  return undefined;
}

/** Names usable as one URL path segment (Kubernetes RBAC names such as `system:controller`). */
export function pathSegmentNameError(value: string): string | undefined {
  if (value === '' ) return 'must not be empty';
  if (value === '.' || value === '..') return `must not be "${value}"`;
  if (/[/%]/.test(value)) return 'must not contain "/" or "%"';
  return undefined;
}

/** Label keys, annotation keys and resource names: `[prefix/]name`, e.g. `nvidia.com/gpu`. */
export function qualifiedNameError(value: string): string | undefined {
  const parts = value.split('/');
  if (parts.length > 2) return 'must be a qualified name: an optional DNS subdomain prefix and "/", then a name';
  const name = parts[parts.length - 1];
  if (parts.length === 2) {
    const prefixError = parts[0] === '' ? 'must not be empty' : dns1123SubdomainError(parts[0]);
    if (prefixError) return `prefix "${parts[0]}" ${prefixError}`;
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART_RE.test(name)) {
    return 'must be a qualified name: at most 63 letters, digits, "-", "_" or "." (after an optional "prefix/"), '
      + 'starting and ending with a letter or digit';
  }
  return undefined;
}

/** Label values: empty, or up to 63 letters, digits, "-", "_", "." starting and ending with a letter or digit. */
export function labelValueError(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME_PART_RE.test(value)) {
    return 'must be a label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit';
  }
  return undefined;
}

function quantityError(value: string): string | undefined {
  return isValidQuantity(value) ? undefined : 'must be a quantity such as "500m", "8" or "64Gi"';
}

function durationError(value: string): string | undefined {
  try {
    parseDurationSeconds(value);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function percentError(value: string): string | undefined {
  return /^\d+%$/.test(value) ? undefined : 'must be a whole percentage such as "25%"';
}

/** Every format name a schema may use, with its checker. */
export const FORMATS = {
  'dns1123-label': dns1123LabelError,
  'dns1123-subdomain': dns1123SubdomainError,
  'path-segment-name': pathSegmentNameError,
  'qualified-name': qualifiedNameError,
  'label-value': labelValueError,
  quantity: quantityError,
  duration: durationError,
  percent: percentError,
} as const;

export type FormatName = keyof typeof FORMATS;

/** The reason `value` does not have `format`, or undefined if it does (or the format is not ours). */
export function checkFormat(format: string, value: string): string | undefined {
  const check = (FORMATS as Record<string, (v: string) => string | undefined>)[format];
  return check ? check(value) : undefined;
}

for (const [name, check] of Object.entries(FORMATS)) {
  if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, (value) => check(value) === undefined);
}
