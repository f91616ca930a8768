/**
 * A deployment's revision: a short hash of the fields that shape a replica (its "pod template").
 * Changing any of them starts a rolling update; replicas, strategy, queue and priority do not.
 *
 * Example:
 * ```ts
 * templateRevision({ command: ['python3', 'serve.py'], env: [{ name: 'V', value: '2' }] }); // '5f1c09ab'
 * ```
 */

/** The spec fields that make up the replica template (as a Deployment's pod template). */
export const TEMPLATE_FIELDS = [
  'command', 'args', 'workingDir', 'env', 'image', 'port', 'resources', 'readinessProbe', 'livenessProbe',
  'nodeSelector', 'tolerations', 'affinity', 'useSpot', 'terminationGracePeriodSeconds',
] as const;

function stable(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().filter((k) => obj[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a (32 bit) of the template fields, as 8 hex digits. */
export function templateRevision(spec: Record<string, unknown> | undefined): string {
  const template: Record<string, unknown> = {};
  for (const f of TEMPLATE_FIELDS) if (spec?.[f] !== undefined) template[f] = spec[f];
  const text = stable(template);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
