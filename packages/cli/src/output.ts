import { stringify } from 'yaml';
import type { ApiObject, KindInfo } from '@qm/api';
import { CliError, EXIT_USAGE } from './errors.js';
import { qualifiedName } from './kinds.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'yaml', 'json', 'name'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export function parseOutputFormat(value: string | undefined): OutputFormat {
  const format = value ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(format)) {
    throw new CliError(`unknown output format "${format}"; use one of: ${OUTPUT_FORMATS.join(', ')}`, EXIT_USAGE);
  }
  return format as OutputFormat;
}

/**
 * Prints objects as `-o yaml|json|name` do: one object as is, several (or a list request)
 * wrapped in a Kubernetes `List`.
 *
 * Example: `formatObjects([job], 'json', { single: true, info })` → the job's JSON.
 */
export function formatObjects(objects: ApiObject[], format: 'yaml' | 'json' | 'name', opts: { single: boolean; info: KindInfo }): string {
  if (format === 'name') return objects.map((o) => `${qualifiedName(opts.info, o.metadata.name)}\n`).join('');
  const value = opts.single && objects.length === 1 ? objects[0] : asList(objects);
  return format === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value, { lineWidth: 0 });
}

/** One object for a watch stream: JSON on one block, YAML documents separated by `---`. */
export function formatWatchedObject(obj: ApiObject, format: 'yaml' | 'json' | 'name', info: KindInfo): string {
  if (format === 'name') return `${qualifiedName(info, obj.metadata.name)}\n`;
  return format === 'json' ? `${JSON.stringify(obj, null, 2)}\n` : `---\n${stringify(obj, { lineWidth: 0 })}`;
}

export function asList(items: ApiObject[]): { apiVersion: 'v1'; kind: 'List'; metadata: { resourceVersion: string }; items: ApiObject[] } {
  return { apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items };
}
