/**
 * What one node of a NodePool looks like (labels, taints, capacity, price), and whether a pod
 * could run on such a node: the static checks the scheduler makes (node selector, required node
 * affinity, taints; `useSpot` tolerates the spot taint) plus room for its requests.
 *
 * Example:
 * ```ts
 * const shape = nodePoolShape(pool);      // { labels: {quartermaster.dev/pool: 'a100', ...}, capacity: {'nvidia.com/gpu': 8, ...} }
 * podShapeProblem(pod, shape.labels, shape.taints); // undefined, or 'lacks label quartermaster.dev/gpu-model=H100'
 * ```
 */
import { NODE_LABELS, QmError, SPOT_TAINT, type NodePool, type Taint, type Toleration } from '@qm/api';
import { GPU, toResources, type Resources } from '../../resources/index.js';
import { termMatches } from '../../scheduler/plugins/node-affinity.js';
import type { PendingPodInput } from './types.js';

export interface NodePoolShape {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  capacity: Resources;
  capacityType: 'on-demand' | 'spot';
  /** USD per node-hour; Infinity when the pool has no price (tried last). */
  pricePerHour: number;
  minNodes: number;
  maxNodes: number;
  provisioningMs: number;
  unneededMs: number;
}

/** Kubernetes' default for NodePool.spec.scaleDownUnneededSeconds (as our API defaults). */
export const DEFAULT_SCALE_DOWN_UNNEEDED_SECONDS = 600;

function invalid(field: string, message: string): QmError {
  return new QmError('Invalid', `${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] });
}

/** The node a pool would add. Spot pools carry the spot taint, as the nodes they create do. */
export function nodePoolShape(pool: NodePool, field = 'pools'): NodePoolShape {
  const name = pool?.metadata?.name;
  if (typeof name !== 'string' || name === '') throw invalid(`${field}.metadata.name`, 'is required');
  const spec = pool.spec;
  if (!spec || !Number.isInteger(spec.maxNodes) || spec.maxNodes < 0) throw invalid(`${field}.spec.maxNodes`, `must be an integer ≥ 0, got ${String(spec?.maxNodes)}`);
  const minNodes = spec.minNodes ?? 0;
  if (!Number.isInteger(minNodes) || minNodes < 0) throw invalid(`${field}.spec.minNodes`, `must be an integer ≥ 0, got ${String(minNodes)}`);
  const capacityType = spec.capacityType ?? 'on-demand';
  const gpus = spec.gpusPerNode ?? 0;
  const labels: Record<string, string> = {
    ...spec.labels, [NODE_LABELS.pool]: name, [NODE_LABELS.capacityType]: capacityType, [NODE_LABELS.gpuCount]: String(gpus),
  };
  if (spec.gpuModel) labels[NODE_LABELS.gpuModel] = spec.gpuModel;
  const taints = (spec.taints ?? []).map((t) => ({ ...t }));
  if (capacityType === 'spot' && !taints.some((t) => t.key === SPOT_TAINT.key)) taints.push({ ...SPOT_TAINT });
  const list: Record<string, string | number> = { [GPU]: gpus };
  if (spec.cpu !== undefined) list.cpu = spec.cpu;
  if (spec.memory !== undefined) list.memory = spec.memory;
  return {
    name, labels, taints, capacityType,
    capacity: toResources(list, `${field}.spec`),
    pricePerHour: spec.pricePerHour ?? Number.POSITIVE_INFINITY,
    minNodes,
    maxNodes: spec.maxNodes,
    provisioningMs: Math.round((spec.provisioningSeconds ?? 0) * 1000),
    unneededMs: Math.round((spec.scaleDownUnneededSeconds ?? DEFAULT_SCALE_DOWN_UNNEEDED_SECONDS) * 1000),
  };
}

function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.operator === 'Exists') return t.key === undefined || t.key === '' || t.key === taint.key;
  return t.key === taint.key && (t.value ?? '') === (taint.value ?? '');
}

/** Why the pod can never run on a node with these labels and taints, or undefined. */
export function podShapeProblem(pod: PendingPodInput, labels: Record<string, string>, taints: readonly Taint[], nodeName = ''): string | undefined {
  for (const [key, want] of Object.entries(pod.nodeSelector ?? {})) {
    if (labels[key] !== want) return `lacks label ${key}=${want}`;
  }
  const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && !terms.some((t) => termMatches(t, { name: nodeName, labels, taints: [...taints], allocatable: {}, deviceIndices: {} }))) {
    return 'does not match required node affinity';
  }
  for (const taint of taints) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (pod.useSpot && taint.key === SPOT_TAINT.key && taint.value === SPOT_TAINT.value) continue;
    if (!(pod.tolerations ?? []).some((t) => tolerates(t, taint))) {
      return `has untolerated taint ${taint.key}${taint.value ? `=${taint.value}` : ''}:${taint.effect}`;
    }
  }
  return undefined;
}
