/**
 * API.md's defaults, applied to a copy of a (valid) object. Fields whose absence means
 * something ("no cap", "all of it") are never filled in.
 *
 * Example:
 * ```ts
 * const job = applyDefaults({ apiVersion: QM_API_VERSION, kind: 'TrainingJob', metadata: { name: 'bert' }, spec: { command: ['train'] } });
 * job.metadata.namespace === 'default'; job.spec.checkpointKeep === 3; job.spec.maxRestarts === 3;
 * ```
 */
import { findKind } from './kind-registry.js';
import type { ApiObject } from './meta.js';
import { HPA_DEFAULT_SCALE_DOWN, HPA_DEFAULT_SCALE_UP } from './kinds/hpa.js';

type Obj = Record<string, any>;

/** The namespace of namespaced objects that name none. */
export const DEFAULT_NAMESPACE = 'default';

export const TRAINING_JOB_DEFAULTS = Object.freeze({
  workers: 1, gpusPerWorker: 0, checkpointKeep: 3, maxRestarts: 3, terminationGracePeriodSeconds: 30, useSpot: false,
});
export const MODEL_DEPLOYMENT_DEFAULTS = Object.freeze({ replicas: 1, useSpot: false, terminationGracePeriodSeconds: 30 });
export const ROLLING_UPDATE_DEFAULTS = Object.freeze({ maxSurge: '25%', maxUnavailable: '25%' });
export const PROBE_DEFAULTS = Object.freeze({
  initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3,
});
export const QUEUE_DEFAULTS = Object.freeze({ weight: 1, withinQueue: 'LowerPriority', reclaim: 'Any' } as const);
export const NODE_POOL_DEFAULTS = Object.freeze({ capacityType: 'on-demand', minNodes: 0, scaleDownUnneededSeconds: 600 } as const);

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Fills each absent key of `target` from `defaults`. */
function fill(target: Obj, defaults: Obj): void {
  for (const [k, v] of Object.entries(defaults)) {
    if (target[k] === undefined) target[k] = structuredClone(v);
  }
}

/** `parent[key]` as an object, created when absent. */
function child(parent: Obj, key: string): Obj {
  if (!isObj(parent[key])) parent[key] = {};
  return parent[key];
}

function defaultProbe(probe: unknown): void {
  if (isObj(probe)) fill(probe, PROBE_DEFAULTS);
}

/** Kubernetes LimitRange defaulting: Container default ← max, defaultRequest ← default, then ← min. */
function defaultLimitRange(spec: Obj): void {
  if (!Array.isArray(spec.limits)) return;
  for (const item of spec.limits) {
    if (!isObj(item) || item.type !== 'Container') continue;
    const def = child(item, 'default');
    const defReq = child(item, 'defaultRequest');
    if (isObj(item.max)) fill(def, item.max);
    fill(defReq, def);
    if (isObj(item.min)) fill(defReq, item.min);
  }
}

function defaultHpa(spec: Obj): void {
  if (spec.minReplicas === undefined) spec.minReplicas = 1;
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }];
  }
  // As Kubernetes: behavior is filled in only when present.
  if (isObj(spec.behavior)) {
    fill(child(spec.behavior, 'scaleUp'), HPA_DEFAULT_SCALE_UP);
    fill(child(spec.behavior, 'scaleDown'), HPA_DEFAULT_SCALE_DOWN);
  }
}

const SPEC_DEFAULTS: Record<string, (spec: Obj) => void> = {
  TrainingJob: (spec) => fill(spec, TRAINING_JOB_DEFAULTS),
  ModelDeployment: (spec) => {
    fill(spec, MODEL_DEPLOYMENT_DEFAULTS);
    fill(child(child(spec, 'strategy'), 'rollingUpdate'), ROLLING_UPDATE_DEFAULTS);
    defaultProbe(spec.readinessProbe);
    defaultProbe(spec.livenessProbe);
  },
  Queue: (spec) => {
    fill(spec, { weight: QUEUE_DEFAULTS.weight });
    fill(child(spec, 'preemption'), { withinQueue: QUEUE_DEFAULTS.withinQueue, reclaim: QUEUE_DEFAULTS.reclaim });
  },
  NodePool: (spec) => fill(spec, NODE_POOL_DEFAULTS),
  Budget: (spec) => {
    fill(spec, { action: 'Notify' });
    if (Array.isArray(spec.thresholds)) spec.thresholds.forEach((t: unknown) => isObj(t) && fill(t, { type: 'Actual' }));
  },
  AdmissionPolicy: (spec) => fill(spec, { mode: 'enforce' }),
  LimitRange: defaultLimitRange,
  HorizontalPodAutoscaler: defaultHpa,
};

/** Kinds whose spec is created (empty) when absent, so their defaults apply. */
const CREATE_SPEC = new Set(['Queue', 'TrainingJob', 'ModelDeployment', 'NodePool', 'AdmissionPolicy']);

/**
 * A copy of `obj` with API.md's defaults: `metadata.namespace` "default" for namespaced kinds
 * (and dropped for cluster-scoped ones, as Kubernetes does), then the kind's spec defaults.
 */
export function applyDefaults<T extends ApiObject>(obj: T): T {
  const out: Obj = structuredClone(obj);
  const info = findKind(out.kind);
  if (!isObj(out.metadata)) return out as T;
  if (info?.namespaced) {
    if (!out.metadata.namespace) out.metadata.namespace = DEFAULT_NAMESPACE;
  } else if (info && out.metadata.namespace !== undefined) {
    delete out.metadata.namespace;
  }
  if (out.kind === 'PriorityClass' && out.preemptionPolicy === undefined) out.preemptionPolicy = 'PreemptLowerPriority';
  const defaults = SPEC_DEFAULTS[out.kind];
  if (defaults) {
    if (out.spec === undefined && CREATE_SPEC.has(out.kind)) out.spec = {};
    if (isObj(out.spec)) defaults(out.spec);
  }
  return out as T;
}
