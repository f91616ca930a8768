/** spec.nodeSelector, including the GPU model label (quartermaster.dev/gpu-model). */
import type { StaticFitPlugin } from './plugin.js';

export const nodeSelectorPlugin: StaticFitPlugin = {
  name: 'NodeSelector',
  check(workload, node) {
    for (const key in workload.nodeSelector) {
      const want = workload.nodeSelector[key];
      if (node.labels[key] !== want) return `lacks label ${key}=${want}`;
    }
    return undefined;
  },
};
