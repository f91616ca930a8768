import { findKind, findKindByName, KINDS, type ApiObject, type KindInfo } from '@qm/api';
import { CliError, EXIT_USAGE } from './errors.js';

/**
 * Resolves a kind the way a user types it (`tj`, `trainingjobs`, `TrainingJob`,
 * `priorityclasses.scheduling.k8s.io`…); an unknown name is a usage error that lists the known kinds.
 *
 * Example: `resolveKind('q').kind === 'Queue'`
 */
export function resolveKind(name: string): KindInfo {
  const info = findKindByName(name);
  if (!info) throw new CliError(`unknown kind "${name}"`, EXIT_USAGE, knownKindsLines());
  return info;
}

/** Resolves a manifest's `apiVersion` + `kind`, refusing a kind served under another apiVersion. */
export function resolveManifestKind(apiVersion: unknown, kind: unknown): KindInfo {
  if (typeof kind !== 'string' || kind === '') throw new CliError('the document has no "kind"', EXIT_USAGE);
  const info = findKind(kind);
  if (!info) throw new CliError(`unknown kind "${kind}"`, EXIT_USAGE, knownKindsLines());
  if (apiVersion !== info.apiVersion) {
    const got = typeof apiVersion === 'string' && apiVersion !== '' ? `apiVersion "${apiVersion}"` : 'no apiVersion';
    throw new CliError(`kind ${kind} has ${got}; it is served as apiVersion "${info.apiVersion}"`, EXIT_USAGE);
  }
  return info;
}

/** `  known kinds: nodes (no), queues (q), trainingjobs (tj), …` — printed under an unknown-kind error. */
export function knownKindsLines(): string[] {
  const names = KINDS.map((k) => (k.shortNames.length ? `${k.plural} (${k.shortNames.join(', ')})` : k.plural));
  return [`  known kinds: ${names.join(', ')}`];
}

/**
 * kubectl's name for a kind in result lines: `trainingjob.ml.quartermaster.dev`,
 * `priorityclass.scheduling.k8s.io`, or just `namespace` for the core group.
 */
export function qualifiedKind(info: KindInfo): string {
  return info.group ? `${info.singular}.${info.group}` : info.singular;
}

/** `trainingjob.ml.quartermaster.dev/bert` — the `-o name` form and the apply result prefix. */
export function qualifiedName(info: KindInfo, name: string): string {
  return `${qualifiedKind(info)}/${name}`;
}

/** Splits `tj/bert` into kind and name; a bare word is just a kind. */
export function splitKindAndName(arg: string): { kind: string; name?: string } {
  const slash = arg.indexOf('/');
  if (slash < 0) return { kind: arg };
  return { kind: arg.slice(0, slash), name: arg.slice(slash + 1) || undefined };
}

/** The key that identifies an object within one kind: `namespace/name` or `name`. */
export function objectKey(obj: ApiObject): string {
  return obj.metadata?.namespace ? `${obj.metadata.namespace}/${obj.metadata.name}` : obj.metadata?.name;
}
