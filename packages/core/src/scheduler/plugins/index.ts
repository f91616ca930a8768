import type { DynamicFitPlugin, StaticFitPlugin } from './plugin.js';
import { nodeConditionPlugin } from './node-condition.js';
import { nodeSelectorPlugin } from './node-selector.js';
import { requiredAffinityPlugin } from './node-affinity.js';
import { taintsPlugin } from './taints.js';
import { wholePodPlugin } from './whole-pod.js';
import { freeResourcesPlugin } from './free-resources.js';
import { migPlugin } from './mig.js';

export * from './plugin.js';
export { nodeConditionPlugin, nodeSelectorPlugin, requiredAffinityPlugin, taintsPlugin, wholePodPlugin, freeResourcesPlugin, migPlugin };
export { preferredAffinityScore, termMatches, usesNodeNames } from './node-affinity.js';
export { formatTaint } from './taints.js';

/** In order: the first rejection names the node's problem. */
export const STATIC_PLUGINS: readonly StaticFitPlugin[] = [nodeConditionPlugin, nodeSelectorPlugin, requiredAffinityPlugin, taintsPlugin, wholePodPlugin];
export const DYNAMIC_PLUGINS: readonly DynamicFitPlugin[] = [freeResourcesPlugin, migPlugin];

/** The first static rejection, or undefined when the node could host the workload if empty. */
export function staticReject(workload: import('../types.js').WorkloadInput, node: import('../types.js').NodeInput): string | undefined {
  for (const p of STATIC_PLUGINS) {
    const r = p.check(workload, node);
    if (r !== undefined) return r;
  }
  return undefined;
}
