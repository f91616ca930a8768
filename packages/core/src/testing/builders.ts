/**
 * Builders for tests: API objects with sensible defaults, overridable in one call.
 *
 * Example:
 * ```ts
 * const node = makeNode('gpu-1', { gpus: 8, model: 'A100-80GB' });
 * const q = makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 8 } });
 * const job = makeJob('bert', { namespace: 'team-a', workers: 2, gpusPerWorker: 4 });
 * ```
 */
import { NODE_LABELS, SPOT_TAINT, type ApiObject, type Taint } from '@qm/api';
import type { Clock } from '../ports/clock.js';

const QM = 'ml.quartermaster.dev/v1alpha1';

export interface NodeOptions {
  gpus?: number;
  model?: string;
  cpu?: string | number;
  memory?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  spot?: boolean;
  unschedulable?: boolean;
  ready?: boolean;
  mig?: Record<string, number>;
}

export function makeNode(name: string, o: NodeOptions = {}): ApiObject {
  const capacity: Record<string, string | number> = { cpu: o.cpu ?? '96', memory: o.memory ?? '1Ti', 'nvidia.com/gpu': o.gpus ?? 8 };
  for (const [profile, count] of Object.entries(o.mig ?? {})) capacity[`nvidia.com/mig-${profile}`] = count;
  const labels: Record<string, string> = { [NODE_LABELS.gpuModel]: o.model ?? 'A100-80GB', ...o.labels };
  const taints = [...(o.taints ?? [])];
  if (o.spot) {
    labels[NODE_LABELS.capacityType] = 'spot';
    taints.push({ ...SPOT_TAINT });
  }
  return {
    apiVersion: QM, kind: 'Node',
    metadata: { name, labels },
    spec: { ...(taints.length ? { taints } : {}), ...(o.unschedulable ? { unschedulable: true } : {}) },
    status: { capacity, ...(o.ready === false ? { conditions: [{ type: 'Ready', status: 'False' }] } : {}) },
  };
}

export function makeQueue(name: string, spec: Record<string, unknown> = {}, annotations?: Record<string, string>): ApiObject {
  return { apiVersion: QM, kind: 'Queue', metadata: { name, ...(annotations ? { annotations } : {}) }, spec };
}

export interface JobOptions {
  namespace?: string;
  workers?: number;
  gpusPerWorker?: number;
  createdAt?: string;
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  labels?: Record<string, string>;
}

export function makeJob(name: string, o: JobOptions = {}): ApiObject {
  return {
    apiVersion: QM, kind: 'TrainingJob',
    metadata: { name, namespace: o.namespace ?? 'team-a', ...(o.createdAt ? { creationTimestamp: o.createdAt } : {}), ...(o.labels ? { labels: o.labels } : {}) },
    spec: { command: ['train'], workers: o.workers ?? 1, gpusPerWorker: o.gpusPerWorker ?? 1, ...o.spec },
    ...(o.status ? { status: o.status } : {}),
  };
}

export function makeDeployment(name: string, o: { namespace?: string; replicas?: number; gpus?: number; labels?: Record<string, string>; spec?: Record<string, unknown> } = {}): ApiObject {
  return {
    apiVersion: QM, kind: 'ModelDeployment',
    metadata: { name, namespace: o.namespace ?? 'team-a', ...(o.labels ? { labels: o.labels } : {}) },
    spec: { command: ['serve'], replicas: o.replicas ?? 1, resources: { 'nvidia.com/gpu': o.gpus ?? 1 }, ...o.spec },
  };
}

export function makePriorityClass(name: string, value: number, o: { globalDefault?: boolean; never?: boolean } = {}): ApiObject {
  return {
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value,
    ...(o.globalDefault ? { globalDefault: true } : {}), ...(o.never ? { preemptionPolicy: 'Never' } : {}),
  };
}

/** A clock tests move by hand. */
export class FakeClock implements Clock {
  constructor(private ms = Date.parse('2025-01-01T00:00:00Z')) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  set(ms: number): void {
    this.ms = ms;
  }
}
