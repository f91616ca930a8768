/** Free CPU, memory and GPUs (what is left after admitted pods) must cover one pod. */
import { MIG_PREFIX, describeAmount } from '../../resources/index.js';
import type { DynamicFitPlugin } from './plugin.js';

export const freeResourcesPlugin: DynamicFitPlugin = {
  name: 'FreeResources',
  check(workload, _node, free) {
    for (const k in workload.podRequest) {
      if (k.startsWith(MIG_PREFIX)) continue; // the MIG plugin explains those
      const need = workload.podRequest[k];
      if (need > (free[k] ?? 0)) return `has ${describeAmount(k, free[k] ?? 0)} free; one worker needs ${describeAmount(k, need)}`;
    }
    return undefined;
  },
};
