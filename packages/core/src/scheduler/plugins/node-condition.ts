/** Cordoned, not Ready or spot-interrupted nodes take no new work. */
import type { StaticFitPlugin } from './plugin.js';

export const nodeConditionPlugin: StaticFitPlugin = {
  name: 'NodeCondition',
  check: (_workload, node) => node.unschedulableReason,
};
