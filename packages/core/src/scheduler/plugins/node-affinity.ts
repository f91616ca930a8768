/**
 * Node affinity (Kubernetes shapes): required terms filter, preferred terms score.
 * Terms are OR-ed; expressions inside a term are AND-ed. matchFields supports metadata.name.
 */
import type { NodeSelectorRequirement, NodeSelectorTerm } from '@qm/api';
import type { NodeInput } from '../types.js';
import type { StaticFitPlugin } from './plugin.js';

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In': return value !== undefined && values.includes(value);
    case 'NotIn': return value === undefined || !values.includes(value);
    case 'Exists': return value !== undefined;
    case 'DoesNotExist': return value === undefined;
    case 'Gt':
    case 'Lt': {
      if (value === undefined || values.length !== 1) return false;
      const have = Number(value);
      const bound = Number(values[0]);
      if (!Number.isFinite(have) || !Number.isFinite(bound)) return false;
      return req.operator === 'Gt' ? have > bound : have < bound;
    }
    default: return false;
  }
}

/** Whether one node selector term matches the node (an empty term matches nothing, as in Kubernetes). */
export function termMatches(term: NodeSelectorTerm, node: NodeInput): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const e of exprs) if (!requirementMatches(e, node.labels[e.key])) return false;
  for (const f of fields) if (!requirementMatches(f, f.key === 'metadata.name' ? node.name : undefined)) return false;
  return true;
}

export const requiredAffinityPlugin: StaticFitPlugin = {
  name: 'NodeAffinity',
  check(workload, node) {
    const terms = workload.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
    if (!terms) return undefined;
    for (const t of terms) if (termMatches(t, node)) return undefined;
    return 'does not match required node affinity';
  },
};

/** Sum of weights of the preferred terms the node matches (higher is better). */
export function preferredAffinityScore(affinity: WorkloadAffinity, node: NodeInput): number {
  const prefs = affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
  if (!prefs) return 0;
  let score = 0;
  for (const p of prefs) if (termMatches(p.preference, node)) score += p.weight;
  return score;
}

type WorkloadAffinity = import('../types.js').WorkloadInput['affinity'];

/** Whether a workload's affinity looks at node names (then identical nodes are not interchangeable). */
export function usesNodeNames(affinity: WorkloadAffinity): boolean {
  const na = affinity?.nodeAffinity;
  if (!na) return false;
  const terms = [
    ...(na.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? []),
    ...(na.preferredDuringSchedulingIgnoredDuringExecution ?? []).map((p) => p.preference),
  ];
  return terms.some((t) => (t.matchFields ?? []).length > 0);
}
