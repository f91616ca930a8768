/**
 * API objects → the cycle's inputs. Parsing quantities is the expensive part of a pass, so
 * workloads and nodes are cached by uid + resourceVersion (+ a generation of the objects that
 * routing depends on: queues, priority classes, limit ranges).
 *
 * Example:
 * ```ts
 * const parser = new ObjectParser();
 * const node = parser.node(nodeObject);          // NodeInput
 * const ws = parser.workloads(job, routing);     // WorkloadInput[] (one per MD replica)
 * ```
 */
import { NODE_LABELS, RECLAIM_DELAY_ANNOTATION, type ApiObject, type Taint } from '@qm/api';
import { CPU, GPU, MEMORY, MIG_PREFIX, toAmount, toResources, type Resources } from '../../resources/index.js';
import { labelSelectorFromObject } from '../../selectors/index.js';
import { isStoppedByPlatform } from '../cost/idle-gpus.js';
import type { AdmittedState, NamespaceQuotaInput, NodeInput, PdbInput, QueueInput, WorkloadInput } from '../../scheduler/types.js';
import { workloadInput } from '../../scheduler/workload-input.js';

/** Everything workload parsing depends on besides the workload itself. */
export interface Routing {
  generation: number;
  queues: Map<string, QueueInput>;
  /** Queues with children (cannot take workloads). */
  parents: Set<string>;
  /** namespace → leaf queue name (first by name). */
  namespaceQueue: Map<string, string>;
  priorityClasses: Map<string, { value: number; never: boolean }>;
  defaultPriority?: { name: string; value: number; never: boolean };
  /** namespace → default request per container/pod for cpu and memory. */
  limitDefaults: Map<string, Resources>;
}

export function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const t = Date.parse(value);
  return Number.isFinite(t) ? t : undefined;
}

function range(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => i);
}

export function parseNode(obj: ApiObject): NodeInput {
  const spec = (obj.spec ?? {}) as { taints?: Taint[]; unschedulable?: boolean };
  const status = (obj.status ?? {}) as Record<string, any>;
  const allocatable = toResources(status.allocatable ?? status.capacity, `nodes/${obj.metadata.name}.status.allocatable`);
  const conditions: Array<{ type: string; status: string }> = status.conditions ?? [];
  let unschedulableReason: string | undefined;
  if (spec.unschedulable) unschedulableReason = 'is cordoned';
  else if (conditions.some((c) => c.type === 'Ready' && c.status !== 'True')) unschedulableReason = 'is not Ready';
  else if (conditions.some((c) => c.type === 'SpotInterruption' && c.status === 'True')) unschedulableReason = 'is being reclaimed (spot interruption)';
  const gpus: Array<{ index: number; migProfile?: string }> = Array.isArray(status.gpus) ? status.gpus : [];
  const deviceIndices: Record<string, number[]> = {};
  for (const k in allocatable) {
    if (k === GPU) {
      const listed = gpus.filter((g) => !g.migProfile).map((g) => g.index);
      deviceIndices[k] = listed.length >= allocatable[k] ? listed : range(allocatable[k]);
    } else if (k.startsWith(MIG_PREFIX)) {
      const profile = k.slice(MIG_PREFIX.length);
      const listed = gpus.filter((g) => g.migProfile === profile).map((g) => g.index);
      deviceIndices[k] = listed.length >= allocatable[k] ? listed : range(allocatable[k]);
    }
  }
  return { name: obj.metadata.name, labels: obj.metadata.labels ?? {}, taints: spec.taints ?? [], unschedulableReason, allocatable, deviceIndices };
}

export function parseQueue(obj: ApiObject): QueueInput {
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const field = `queues/${obj.metadata.name}.spec`;
  const delayS = Number(obj.metadata.annotations?.[RECLAIM_DELAY_ANNOTATION] ?? 0);
  return {
    name: obj.metadata.name,
    parent: spec.parent,
    guaranteed: toResources(spec.guaranteed, `${field}.guaranteed`),
    max: spec.max ? toResources(spec.max, `${field}.max`) : undefined,
    lendingLimit: spec.lendingLimit ? toResources(spec.lendingLimit, `${field}.lendingLimit`) : undefined,
    weight: typeof spec.weight === 'number' && spec.weight > 0 ? spec.weight : 1,
    flavors: (spec.flavors ?? []).map((f: Record<string, any>, i: number) => ({
      name: f.name,
      nodeSelector: f.nodeSelector ?? {},
      guaranteed: toResources(f.guaranteed, `${field}.flavors[${i}].guaranteed`),
      max: f.max ? toResources(f.max, `${field}.flavors[${i}].max`) : undefined,
      lendingLimit: f.lendingLimit ? toResources(f.lendingLimit, `${field}.flavors[${i}].lendingLimit`) : undefined,
    })),
    withinQueue: spec.preemption?.withinQueue === 'Never' ? 'Never' : 'LowerPriority',
    reclaim: spec.preemption?.reclaim === 'Never' ? 'Never' : 'Any',
    reclaimDelayMs: Number.isFinite(delayS) && delayS > 0 ? delayS * 1000 : 0,
  };
}

export function parseResourceQuota(obj: ApiObject): NamespaceQuotaInput {
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const hard: Record<string, number> = {};
  for (const key of Object.keys(spec.hard ?? {})) {
    const resource = key.replace(/^(requests|limits)\./, '');
    hard[key] = toAmount(resource === CPU ? CPU : resource, spec.hard[key], `resourcequotas/${obj.metadata.name}.spec.hard.${key}`);
  }
  const exprs: Array<Record<string, any>> = spec.scopeSelector?.matchExpressions ?? [];
  const scoped = exprs.filter((e) => e.scopeName === 'PriorityClass');
  return {
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
    hard,
    priorityScope: scoped.length ? scoped.map((e) => ({ operator: e.operator, values: e.values ?? [] })) : undefined,
  };
}

export function parsePdb(obj: ApiObject): PdbInput {
  const spec = (obj.spec ?? {}) as Record<string, any>;
  return {
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name,
    selector: labelSelectorFromObject(spec.selector ?? {}, 'spec.selector'),
    minAvailable: spec.minAvailable,
    maxUnavailable: spec.maxUnavailable,
  };
}

/** Default cpu/memory requests of a namespace's LimitRanges (defaultRequest, else default). */
export function limitDefaultsOf(limitRanges: ApiObject[]): Resources {
  const out: Resources = {};
  for (const lr of limitRanges) {
    for (const item of ((lr.spec as any)?.limits ?? []) as Array<Record<string, any>>) {
      if (item.type !== 'Container' && item.type !== 'Pod') continue;
      for (const source of [item.defaultRequest, item.default]) {
        for (const k of [CPU, MEMORY]) {
          if (out[k] === undefined && source?.[k] !== undefined) out[k] = toAmount(k, source[k], `limitranges/${lr.metadata.name}.${k}`);
        }
      }
    }
  }
  return out;
}

export function stableKey(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `[${value.map(stableKey).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${k}:${stableKey((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The fields every workload of one object shares, as the cycle reads them. */
type Common = Pick<WorkloadInput, 'queue' | 'queueProblem' | 'priority' | 'priorityClassName' | 'preemptNever' | 'createdMs' | 'pendingSinceMs' | 'retryAfterMs'>;

function commonOf(obj: ApiObject, routing: Routing): Common {
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const status = (obj.status ?? {}) as Record<string, any>;
  const ns = obj.metadata.namespace ?? '';
  let queue: string | undefined;
  let queueProblem: string | undefined;
  if (spec.queue) {
    if (!routing.queues.has(spec.queue)) queueProblem = `queue ${spec.queue} does not exist`;
    else if (routing.parents.has(spec.queue)) queueProblem = `queue ${spec.queue} is a parent queue; only leaf queues take workloads (name one of its children in spec.queue)`;
    else queue = spec.queue;
  } else {
    queue = routing.namespaceQueue.get(ns);
    if (!queue) queueProblem = `no queue for namespace ${ns}: create a Queue with spec.namespaces: [${ns}] or set spec.queue`;
  }
  let priority = 0;
  let preemptNever = false;
  let priorityClassName: string | undefined = spec.priorityClassName;
  if (priorityClassName) {
    const pc = routing.priorityClasses.get(priorityClassName);
    if (!pc) queueProblem ??= `priority class ${priorityClassName} does not exist`;
    else ({ value: priority, never: preemptNever } = pc);
  } else if (routing.defaultPriority) {
    ({ value: priority, never: preemptNever, name: priorityClassName } = routing.defaultPriority);
  }
  const createdMs = parseTime(obj.metadata.creationTimestamp) ?? 0;
  const admittedCond = (status.conditions ?? []).find((c: any) => c.type === 'Admitted' && c.status === 'False');
  const pendingSinceMs = Math.max(createdMs, parseTime(admittedCond?.lastTransitionTime) ?? createdMs);
  return { queue, queueProblem, priority, priorityClassName, preemptNever, createdMs, pendingSinceMs, retryAfterMs: parseTime(status.retryAfter) };
}

function constraintKeyOf(spec: Record<string, any>): string {
  return stableKey([spec.nodeSelector, spec.tolerations, spec.affinity?.nodeAffinity, !!spec.useSpot]);
}

function withDefaults(request: Resources, defaults: Resources | undefined): Resources {
  if (!defaults) return request;
  const out = { ...request };
  for (const k in defaults) if (out[k] === undefined) out[k] = defaults[k];
  return out;
}

/** TrainingJob → one workload, or none when it holds nothing and wants nothing. */
export function parseTrainingJob(obj: ApiObject, routing: Routing): WorkloadInput[] {
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const status = (obj.status ?? {}) as Record<string, any>;
  const phase: string | undefined = status.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return [];
  const holds = phase === 'Admitted' || phase === 'Running';
  if (obj.metadata.deletionTimestamp && phase !== 'Running') return [];
  // Stopped by the platform (idle GPUs): not queued again until the user removes the mark.
  if (!holds && isStoppedByPlatform(obj)) return [];
  const ns = obj.metadata.namespace ?? '';
  const field = `trainingjobs/${ns}/${obj.metadata.name}.spec`;
  const request = toResources(spec.resources, `${field}.resources`);
  if (spec.gpusPerWorker !== undefined) {
    if (spec.gpusPerWorker > 0) request[GPU] = spec.gpusPerWorker;
    else delete request[GPU];
  }
  const common = commonOf(obj, routing);
  const w = workloadInput({
    key: { kind: 'TrainingJob', namespace: ns, name: obj.metadata.name },
    id: `TrainingJob/${ns}/${obj.metadata.name}`,
    namespace: ns,
    ...common,
    pods: Math.max(1, Number(spec.workers ?? 1)),
    podRequest: withDefaults(request, routing.limitDefaults.get(ns)),
    nodeSelector: spec.nodeSelector ?? {},
    tolerations: spec.tolerations ?? [],
    affinity: spec.affinity,
    useSpot: !!spec.useSpot,
    labels: obj.metadata.labels ?? {},
    constraintKey: constraintKeyOf(spec),
  });
  if (holds) {
    const workers: Array<Record<string, any>> = [...(status.workers ?? [])].sort((a, b) => a.rank - b.rank);
    const admitted: AdmittedState = {
      pods: workers.filter((x) => x.node).map((x) => ({ node: x.node as string, devices: devicesOf(w.podRequest, x.gpus) })),
      queue: status.queue ?? w.queue ?? '',
      flavor: status.flavor ?? '',
      admittedMs: parseTime(status.admittedAt) ?? common.createdMs,
      startedMs: parseTime(status.startTime),
      lastCheckpointMs: parseTime(status.lastCheckpoint?.time),
      expectedEndMs: parseTime(status.expectedEndTime),
    };
    w.admitted = admitted;
  }
  return [w];
}

function devicesOf(request: Resources, gpus: unknown): Record<string, number[]> {
  return request[GPU] && Array.isArray(gpus) ? { [GPU]: gpus as number[] } : {};
}

/** Pads replica indices so ids sort numerically. */
export function replicaId(ns: string, name: string, index: number): string {
  return `ModelDeployment/${ns}/${name}#${String(index).padStart(5, '0')}`;
}

/**
 * How many replica slots a ModelDeployment has: spec.replicas plus the extra slots the serving
 * controller asks for during a rolling update or while surplus replicas stop (status.surgeReplicas).
 */
export function modelDeploymentSlotCount(obj: ApiObject): number {
  const surge = Number((obj.status as Record<string, any> | undefined)?.surgeReplicas ?? 0);
  return Number((obj.spec as Record<string, any> | undefined)?.replicas ?? 1) + (Number.isInteger(surge) && surge > 0 ? surge : 0);
}

/** ModelDeployment → one one-pod workload per replica slot. */
export function parseModelDeployment(obj: ApiObject, routing: Routing): WorkloadInput[] {
  if (obj.metadata.deletionTimestamp) return [];
  const spec = (obj.spec ?? {}) as Record<string, any>;
  const status = (obj.status ?? {}) as Record<string, any>;
  const ns = obj.metadata.namespace ?? '';
  const replicas = modelDeploymentSlotCount(obj);
  const request = withDefaults(toResources(spec.resources, `modeldeployments/${ns}/${obj.metadata.name}.spec.resources`), routing.limitDefaults.get(ns));
  const common = commonOf(obj, routing);
  const placements = new Map<number, Record<string, any>>();
  for (const p of (status.replicaPlacements ?? []) as Array<Record<string, any>>) placements.set(p.index, p);
  const constraintKey = constraintKeyOf(spec);
  const out: WorkloadInput[] = [];
  for (let i = 0; i < replicas; i++) {
    const p = placements.get(i);
    const w = workloadInput({
      key: { kind: 'ModelDeployment', namespace: ns, name: obj.metadata.name, replica: i },
      id: replicaId(ns, obj.metadata.name, i),
      namespace: ns,
      ...common,
      pods: 1,
      podRequest: request,
      nodeSelector: spec.nodeSelector ?? {},
      tolerations: spec.tolerations ?? [],
      affinity: spec.affinity,
      useSpot: !!spec.useSpot,
      labels: obj.metadata.labels ?? {},
      constraintKey,
    });
    if (p?.node) {
      w.admitted = {
        pods: [{ node: p.node as string, devices: devicesOf(request, p.gpus) }],
        queue: status.queue ?? common.queue ?? '',
        flavor: '',
        admittedMs: parseTime(p.admittedAt) ?? common.createdMs,
        startedMs: parseTime(p.startTime),
      };
    }
    out.push(w);
  }
  return out;
}
