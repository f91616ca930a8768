/**
 * One small interface per kind of fit check (kube-scheduler's framework, in miniature).
 * A plugin answers with a short reason when the node does not fit, or undefined; it never throws.
 *
 * Static plugins look only at the workload and the node's fixed facts (labels, taints, size), so
 * the placer runs them once per class of identical nodes. Dynamic plugins look at what is free.
 *
 * Example:
 * ```ts
 * const reason = taintsPlugin.check(workload, node); // 'has untolerated taint gpu=broken:NoSchedule'
 * ```
 */
import type { Resources } from '../../resources/index.js';
import type { NodeInput, WorkloadInput } from '../types.js';

export interface StaticFitPlugin {
  name: string;
  check(workload: WorkloadInput, node: NodeInput): string | undefined;
}

export interface DynamicFitPlugin {
  name: string;
  check(workload: WorkloadInput, node: NodeInput, free: Resources): string | undefined;
}
