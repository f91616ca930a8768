/**
 * Every resource of one pod (above all, every GPU) must come from one node: a node whose whole
 * allocatable is smaller than the pod can never host it, however empty.
 */
import { describeAmount } from '../../resources/index.js';
import type { StaticFitPlugin } from './plugin.js';

export const wholePodPlugin: StaticFitPlugin = {
  name: 'WholePodOnOneNode',
  check(workload, node) {
    for (const k in workload.podRequest) {
      const need = workload.podRequest[k];
      const total = node.allocatable[k] ?? 0;
      if (need > total) return `has ${describeAmount(k, total)} in all; one worker needs ${describeAmount(k, need)}`;
    }
    return undefined;
  },
};
