import type { ApiObject, KindInfo } from '@qm/api';
import { CliError, EXIT_USAGE } from './errors.js';

/**
 * The pure half of `qm apply`: how a manifest becomes the object to create, how it merges
 * into the stored object for an update, and when nothing needs writing.
 */

/** Kinds applied before workloads, so `apply -f dir/` works whatever the files' order. */
const APPLY_RANK: Record<string, number> = {
  Namespace: 0,
  PriorityClass: 1, Queue: 1, NodePool: 1, PriceCatalog: 1, AdmissionPolicy: 1,
  ResourceQuota: 1, LimitRange: 1, ClusterRole: 1, Role: 1,
};

/**
 * Orders documents for applying: Namespaces first, then the policy kinds workloads refer to
 * (priority classes, queues, quotas…), then everything else; file order within each group.
 *
 * Example: `[TrainingJob a, Namespace n, Queue q]` → `[Namespace n, Queue q, TrainingJob a]`.
 */
export function applyOrder<T extends { object?: ApiObject }>(docs: T[]): T[] {
  const rank = (d: T) => (d.object ? APPLY_RANK[String(d.object.kind)] ?? 2 : 2);
  return docs.map((d, i) => ({ d, i })).sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i).map((x) => x.d);
}

/**
 * The object to send for a manifest: namespace filled in (from the document, else `-n`,
 * else `default`) for namespaced kinds and dropped for cluster-scoped ones.
 * A document whose namespace differs from an explicit `-n` is refused, as kubectl does.
 */
export function desiredObject(doc: ApiObject, info: KindInfo, namespace: { value: string; explicit: boolean }): ApiObject {
  const meta = doc.metadata as unknown;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) {
    throw new CliError('metadata is required (an object with at least a name)', EXIT_USAGE);
  }
  const name = doc.metadata.name;
  if (typeof name !== 'string' || name === '') throw new CliError('metadata.name is required', EXIT_USAGE);
  const metadata = { ...doc.metadata };
  if (info.namespaced) {
    const own = metadata.namespace;
    if (own && namespace.explicit && own !== namespace.value) {
      throw new CliError(`the document's namespace "${own}" does not match -n ${namespace.value}`, EXIT_USAGE);
    }
    metadata.namespace = own || namespace.value;
  } else {
    delete metadata.namespace;
  }
  return { ...doc, metadata };
}

/** Fields of a manifest that `apply` manages: everything but the envelope and status. */
function managedFields(obj: ApiObject): string[] {
  return Object.keys(obj).filter((k) => k !== 'apiVersion' && k !== 'kind' && k !== 'metadata' && k !== 'status');
}

/**
 * Labels/annotations after applying: the manifest's, plus the platform's own keys
 * (`quartermaster.dev/…`, `*kubernetes.io/…`) that the stored object has and the manifest
 * does not mention — those are set by the platform (e.g. a node's GPU model), not the user.
 */
export function mergeStringMap(stored: Record<string, string> | undefined, desired: Record<string, string> | undefined): Record<string, string> {
  const kept = Object.entries(stored ?? {}).filter(([k]) => isPlatformKey(k) && !(desired && k in desired));
  return { ...Object.fromEntries(kept), ...(desired ?? {}) };
}

function isPlatformKey(key: string): boolean {
  const prefix = key.includes('/') ? key.slice(0, key.indexOf('/')) : '';
  return prefix === 'quartermaster.dev' || prefix.endsWith('.quartermaster.dev') || prefix === 'kubernetes.io' || prefix.endsWith('.kubernetes.io');
}

/**
 * The object to PUT: the stored one (server-set metadata, resourceVersion and status kept)
 * with the manifest's labels, annotations, spec and other top-level fields.
 *
 * Example: stored `{spec: {workers: 1}, status: {phase: 'Running'}}` + desired `{spec: {workers: 2}}`
 * → `{spec: {workers: 2}, status: {phase: 'Running'}}`.
 */
export function mergeForUpdate(stored: ApiObject, desired: ApiObject): ApiObject {
  const next: ApiObject = { ...stored, metadata: { ...stored.metadata } };
  const labels = mergeStringMap(stored.metadata.labels, desired.metadata.labels);
  const annotations = mergeStringMap(stored.metadata.annotations, desired.metadata.annotations);
  setOrDelete(next.metadata, 'labels', labels);
  setOrDelete(next.metadata, 'annotations', annotations);
  for (const field of managedFields(desired)) next[field] = desired[field];
  return next;
}

/**
 * True when applying `desired` would change nothing: labels and annotations equal (after
 * keeping platform keys), and every field the manifest sets equal to the stored value.
 * Stored fields the manifest leaves out (server defaults such as `checkpointKeep: 3`) do not count.
 */
export function isUnchanged(stored: ApiObject, desired: ApiObject): boolean {
  if (!deepEqual(mergeStringMap(stored.metadata.labels, desired.metadata.labels), stored.metadata.labels ?? {})) return false;
  if (!deepEqual(mergeStringMap(stored.metadata.annotations, desired.metadata.annotations), stored.metadata.annotations ?? {})) return false;
  return managedFields(desired).every((field) => isSubset(desired[field], stored[field]));
}

/**
 * Whether `want` is contained in `have`: equal scalars; objects whose every key in `want`
 * is a subset of `have`'s; arrays of equal length, element by element. Numbers match
 * their decimal strings (`8` vs `"8"`), as quantities may come back either way.
 */
export function isSubset(want: unknown, have: unknown): boolean {
  if (want === null || want === undefined) return have === null || have === undefined;
  if (Array.isArray(want)) {
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => isSubset(w, have[i]));
  }
  if (typeof want === 'object') {
    if (typeof have !== 'object' || have === null || Array.isArray(have)) return false;
    return Object.entries(want as Record<string, unknown>).every(([k, v]) => isSubset(v, (have as Record<string, unknown>)[k]));
  }
  if (typeof want === 'number' && typeof have === 'string') return String(want) === have;
  if (typeof want === 'string' && typeof have === 'number') return want === String(have);
  return want === have;
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return isSubset(a, b) && isSubset(b, a);
}

function setOrDelete(meta: ApiObject['metadata'], key: 'labels' | 'annotations', value: Record<string, string>): void {
  if (Object.keys(value).length > 0) meta[key] = value;
  else delete meta[key];
}
