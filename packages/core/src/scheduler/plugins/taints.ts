/** NoSchedule/NoExecute taints must be tolerated; spec.useSpot tolerates the spot taint. */
import { SPOT_TAINT, type Taint, type Toleration } from '@qm/api';
import type { StaticFitPlugin } from './plugin.js';

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

export function formatTaint(taint: Taint): string {
  return `${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
}

export const taintsPlugin: StaticFitPlugin = {
  name: 'TaintToleration',
  check(workload, node) {
    for (const taint of node.taints) {
      if (taint.effect === 'PreferNoSchedule') continue;
      if (workload.useSpot && taint.key === SPOT_TAINT.key && taint.value === SPOT_TAINT.value) continue;
      if (!workload.tolerations.some((t) => tolerates(t, taint))) return `has untolerated taint ${formatTaint(taint)}`;
    }
    return undefined;
  },
};
