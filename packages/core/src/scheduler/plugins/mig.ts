/** MIG slices (`nvidia.com/mig-<profile>`) are their own countable resources. */
import { MIG_PREFIX } from '../../resources/index.js';
import type { DynamicFitPlugin } from './plugin.js';

export const migPlugin: DynamicFitPlugin = {
  name: 'MigSlices',
  check(workload, _node, free) {
    for (const k in workload.podRequest) {
      if (!k.startsWith(MIG_PREFIX)) continue;
      const need = workload.podRequest[k];
      const have = free[k] ?? 0;
      if (need > have) return `has ${have} free ${k.slice(MIG_PREFIX.length)} MIG slice${have === 1 ? '' : 's'}; one worker needs ${need}`;
    }
    return undefined;
  },
};
