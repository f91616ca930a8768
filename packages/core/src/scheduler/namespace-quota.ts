/**
 * Kubernetes ResourceQuota as a hard cap per namespace, on top of queue quota.
 * Counts admitted workloads: `requests.X`/`limits.X`/`X` cap the sum of X over their pods,
 * `pods` counts pods, `count/trainingjobs[.group]` and `count/modeldeployments[.group]` count
 * admitted workloads. A `scopeSelector` on PriorityClass limits which workloads count.
 *
 * Example:
 * ```ts
 * const q = new NamespaceQuotas(quotas);
 * q.check(job); // 'namespace team-a ResourceQuota gpu-cap: requests.nvidia.com/gpu 8/8 used'
 * ```
 */
import { formatResources } from '../resources/index.js';
import type { NamespaceQuotaInput, WorkloadInput } from './types.js';

function resourceOfKey(key: string): string {
  if (key.startsWith('requests.')) return key.slice('requests.'.length);
  if (key.startsWith('limits.')) return key.slice('limits.'.length);
  return key;
}

/** How much of quota key `key` one workload uses. */
export function quotaAmount(key: string, w: WorkloadInput): number {
  if (key === 'pods') return w.pods;
  if (key.startsWith('count/')) {
    const plural = key.slice('count/'.length).split('.')[0];
    if (plural === 'trainingjobs') return w.key.kind === 'TrainingJob' ? 1 : 0;
    if (plural === 'modeldeployments') return w.key.kind === 'ModelDeployment' ? 1 : 0;
    return 0;
  }
  return (w.podRequest[resourceOfKey(key)] ?? 0) * w.pods;
}

export function inScope(q: NamespaceQuotaInput, w: WorkloadInput): boolean {
  if (!q.priorityScope) return true;
  const pc = w.priorityClassName;
  for (const e of q.priorityScope) {
    const ok = e.operator === 'In' ? pc !== undefined && e.values.includes(pc)
      : e.operator === 'NotIn' ? pc === undefined || !e.values.includes(pc)
        : e.operator === 'Exists' ? pc !== undefined
          : pc === undefined;
    if (!ok) return false;
  }
  return true;
}

function show(key: string, amount: number): string {
  const r = resourceOfKey(key);
  if (r === 'cpu' || r === 'memory') return String(formatResources({ [r]: amount })[r] ?? 0);
  return String(amount);
}

export class NamespaceQuotas {
  private readonly byNamespace = new Map<string, Array<{ q: NamespaceQuotaInput; used: Record<string, number> }>>();

  constructor(quotas: readonly NamespaceQuotaInput[]) {
    for (const q of quotas) {
      const list = this.byNamespace.get(q.namespace) ?? [];
      list.push({ q, used: {} });
      this.byNamespace.set(q.namespace, list);
    }
    for (const list of this.byNamespace.values()) list.sort((a, b) => (a.q.name < b.q.name ? -1 : 1));
  }

  /** Why admitting `w` would break a quota of its namespace, or undefined. */
  check(w: WorkloadInput): string | undefined {
    const list = this.byNamespace.get(w.namespace);
    if (!list) return undefined;
    for (const { q, used } of list) {
      if (!inScope(q, w)) continue;
      for (const key of Object.keys(q.hard).sort()) {
        const need = quotaAmount(key, w);
        if (need === 0) continue;
        const u = used[key] ?? 0;
        if (u + need > q.hard[key]) {
          return `namespace ${w.namespace} ResourceQuota ${q.name}: ${key} ${show(key, u)}/${show(key, q.hard[key])} used, needs ${show(key, need)}`;
        }
      }
    }
    return undefined;
  }

  /** Counts (sign 1) or uncounts (−1) an admitted workload. */
  charge(w: WorkloadInput, sign: 1 | -1): void {
    const list = this.byNamespace.get(w.namespace);
    if (!list) return;
    for (const { q, used } of list) {
      if (!inScope(q, w)) continue;
      for (const key in q.hard) used[key] = (used[key] ?? 0) + sign * quotaAmount(key, w);
    }
  }
}
