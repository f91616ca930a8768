/**
 * Makes a WorkloadInput: the fields a caller knows, plus what the scheduler derives from them
 * once per input rather than per cycle (a cycle reads them for 10,000 pending workloads) — every
 * pod's request together, and the keys of its shape and of that total. Equal shape keys are one
 * string object, so caches keyed by them compare by reference.
 *
 * Example:
 * ```ts
 * const w = workloadInput({ key, id, namespace, queue: 'team-a', priority: 0, preemptNever: false, createdMs, pendingSinceMs,
 *   pods: 2, podRequest: { 'nvidia.com/gpu': 8 }, nodeSelector: {}, tolerations: [], useSpot: false, labels: {}, constraintKey: '' });
 * w.totalRequest; // { 'nvidia.com/gpu': 16 }
 * ```
 */
import { scale, type Resources } from '../resources/index.js';
import type { WorkloadInput } from './types.js';

/** What a caller gives; the rest is derived. */
export type WorkloadFields = Omit<WorkloadInput, 'totalRequest' | 'totalKey' | 'shapeKey'>;

const interned = new Map<string, string>();
const MAX_INTERNED = 100_000;

/** One string object per distinct key (bounded: an evicted key only costs a slower comparison). */
function intern(key: string): string {
  const known = interned.get(key);
  if (known !== undefined) return known;
  if (interned.size >= MAX_INTERNED) interned.clear();
  interned.set(key, key);
  return key;
}

function resourcesKey(r: Resources): string {
  return Object.keys(r).sort().map((k) => `${k}=${r[k]}`).join(',');
}

export function workloadInput(f: WorkloadFields): WorkloadInput {
  const totalRequest = scale(f.podRequest, f.pods);
  const shapeKey = `${f.queue}|${f.namespace}|${f.constraintKey}|${f.pods}|${resourcesKey(f.podRequest)}|${f.priority}|${f.preemptNever}`;
  // Every property, always in this order: all inputs share one object layout, which keeps the
  // scheduler's hot property reads fast (a spread would give each combination its own).
  return {
    key: f.key, id: f.id, namespace: f.namespace, queue: f.queue, queueProblem: f.queueProblem, priority: f.priority,
    priorityClassName: f.priorityClassName, preemptNever: f.preemptNever, createdMs: f.createdMs, pendingSinceMs: f.pendingSinceMs,
    retryAfterMs: f.retryAfterMs, pods: f.pods, podRequest: f.podRequest, nodeSelector: f.nodeSelector, tolerations: f.tolerations,
    affinity: f.affinity, useSpot: f.useSpot, labels: f.labels, constraintKey: f.constraintKey, admitted: f.admitted,
    totalRequest, totalKey: intern(resourcesKey(totalRequest)), shapeKey: intern(shapeKey),
  };
}
