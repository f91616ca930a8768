/**
 * Small readers and writers of workload status shared by the simulator's runtime parts.
 *
 * Example:
 * ```ts
 * workerNodes(job);   // ['gpu-1', 'gpu-2'] — sorted, unique, from status.workers[].node
 * jobGpus(job);       // spec.workers × spec.gpusPerWorker
 * ```
 */
import type { ApiObject, Condition } from '@qm/api';
import { gpuCount } from './cluster-mirror.js';

/** Nodes in status.workers, sorted and unique. */
export function workerNodes(obj: ApiObject): string[] {
  const nodes = new Set<string>();
  for (const w of obj.status?.workers ?? []) if (typeof w?.node === 'string') nodes.add(w.node);
  return [...nodes].sort();
}

/** GPUs a TrainingJob holds while running: workers × gpusPerWorker (defaults 1 and 0). */
export function jobGpus(obj: ApiObject): number {
  const workers = typeof obj.spec?.workers === 'number' ? obj.spec.workers : 1;
  const perWorker = typeof obj.spec?.gpusPerWorker === 'number' ? obj.spec.gpusPerWorker : 0;
  return workers * perWorker;
}

/** GPUs of one ModelDeployment replica (spec.resources nvidia.com/gpu). */
export function replicaGpus(obj: ApiObject): number {
  return gpuCount(obj.spec?.resources);
}

/** The conditions with `next` replacing any condition of the same type (others kept, in order). */
export function withCondition<C extends Condition>(conditions: unknown, next: C): C[] {
  const list = Array.isArray(conditions) ? (conditions as C[]) : [];
  const out = list.filter((c) => c?.type !== next.type);
  out.push(next);
  return out;
}
