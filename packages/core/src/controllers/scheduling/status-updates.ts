/**
 * The status a pass wants each object to have. Pure: old object + decision + now → new status
 * (or undefined when nothing changes, so an unchanged cluster gets no writes).
 *
 * Example:
 * ```ts
 * const status = admittedJobStatus(job, decision, nowIso); // phase Admitted, workers[], Admitted=True
 * ```
 */
import type { ApiObject, Condition } from '@qm/api';
import { GPU, formatResources } from '../../resources/index.js';
import { modelDeploymentSlotCount } from './parse-objects.js';
import type { AdmissionDecision, PendingDecision, PreemptionDecision, QueueReport } from '../../scheduler/types.js';

type Status = Record<string, any>;

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().filter((k) => (value as any)[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable((value as any)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function sameStatus(a: unknown, b: unknown): boolean {
  return stable(a ?? {}) === stable(b ?? {});
}

/** Sets a condition; lastTransitionTime moves only when `status` flips. */
export function setCondition(conditions: Condition[] | undefined, next: Omit<Condition, 'lastTransitionTime'>, nowIso: string): Condition[] {
  const list = [...(conditions ?? [])];
  const i = list.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? list[i] : undefined;
  const cond: Condition = { ...old, ...next, lastTransitionTime: old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : nowIso };
  if (i >= 0) list[i] = cond;
  else list.push(cond);
  return list;
}

export function admittedMessage(d: AdmissionDecision): string {
  const nodes = [...new Set(d.pods.map((p) => p.node))];
  return `admitted to queue ${d.queue} on node${nodes.length === 1 ? '' : 's'} ${nodes.join(', ')}`;
}

export function admittedJobStatus(obj: ApiObject, d: AdmissionDecision, nowIso: string): Status {
  const status: Status = { ...(obj.status ?? {}) };
  delete status.pendingReason;
  delete status.queuePosition;
  delete status.estimatedStartTime;
  status.phase = 'Admitted';
  status.admittedAt = nowIso;
  status.queue = d.queue;
  status.priority = d.workload.priority;
  status.workers = d.pods.map((p, rank) => ({ rank, node: p.node, gpus: p.devices[GPU] ?? [], phase: 'Pending' }));
  status.conditions = setCondition(status.conditions, { type: 'Admitted', status: 'True', reason: 'Admitted', message: admittedMessage(d) }, nowIso);
  return status;
}

export function preemptedJobStatus(obj: ApiObject, p: PreemptionDecision, nowIso: string): Status {
  const status: Status = { ...(obj.status ?? {}) };
  status.phase = 'Pending';
  status.workers = [];
  status.preemptions = (status.preemptions ?? 0) + 1;
  status.conditions = setCondition(status.conditions, { type: 'Preempted', status: 'True', reason: 'Preempted', message: p.message }, nowIso);
  status.conditions = setCondition(status.conditions, { type: 'Admitted', status: 'False', reason: 'Preempted', message: p.message }, nowIso);
  return status;
}

export function pendingJobStatus(obj: ApiObject, p: PendingDecision, nowIso: string): Status {
  const status: Status = { ...(obj.status ?? {}) };
  status.phase = 'Pending';
  status.pendingReason = p.reason;
  if (p.queuePosition !== undefined) status.queuePosition = p.queuePosition;
  else delete status.queuePosition;
  if (p.estimatedStartMs !== undefined) status.estimatedStartTime = new Date(p.estimatedStartMs).toISOString();
  else delete status.estimatedStartTime;
  if (p.workload.queue) status.queue = p.workload.queue;
  status.priority = p.workload.priority;
  status.conditions = setCondition(status.conditions, { type: 'Admitted', status: 'False', reason: 'Pending', message: p.reason }, nowIso);
  return status;
}

export interface ReplicaChanges {
  admitted: AdmissionDecision[];
  preempted: PreemptionDecision[];
  pending: PendingDecision[];
}

/** One ModelDeployment's status after a pass: placements kept, removed and added; pending count and reason. */
export function deploymentStatus(obj: ApiObject, changes: ReplicaChanges, nowIso: string): Status {
  const status: Status = { ...(obj.status ?? {}) };
  const replicas = modelDeploymentSlotCount(obj);
  const gone = new Set(changes.preempted.map((p) => p.victim.key.replica));
  const placements: Array<Record<string, any>> = ((status.replicaPlacements ?? []) as Array<Record<string, any>>)
    .filter((p) => p.index < replicas && !gone.has(p.index));
  for (const a of changes.admitted) {
    placements.push({ index: a.workload.key.replica, node: a.pods[0].node, gpus: a.pods[0].devices[GPU] ?? [], admittedAt: nowIso });
  }
  placements.sort((a, b) => a.index - b.index);
  status.replicaPlacements = placements;
  const pendingCount = Math.max(0, replicas - placements.length);
  const firstPending = [...changes.pending].sort((a, b) => (a.workload.key.replica ?? 0) - (b.workload.key.replica ?? 0))[0];
  if (pendingCount > 0) {
    status.pendingReplicas = pendingCount;
    status.pendingReason = firstPending?.reason ?? status.pendingReason ?? 'waiting to be scheduled';
    status.conditions = setCondition(status.conditions, { type: 'Admitted', status: 'False', reason: 'Pending', message: status.pendingReason }, nowIso);
  } else {
    delete status.pendingReplicas;
    delete status.pendingReason;
    if (replicas > 0) {
      const nodes = [...new Set(placements.map((p) => p.node))];
      status.conditions = setCondition(status.conditions, { type: 'Admitted', status: 'True', reason: 'Admitted', message: `all ${replicas} replicas admitted on ${nodes.join(', ')}` }, nowIso);
    }
  }
  if (changes.preempted.length) {
    status.conditions = setCondition(status.conditions, { type: 'Preempted', status: 'True', reason: 'Preempted', message: changes.preempted[0].message }, nowIso);
  }
  if (changes.pending[0]?.workload.queue) status.queue = changes.pending[0].workload.queue;
  return status;
}

export function queueStatus(obj: ApiObject, r: QueueReport): Status {
  return {
    ...(obj.status ?? {}),
    usage: formatResources(r.usage),
    borrowed: formatResources(r.borrowed),
    pending: r.pending,
    admitted: r.admitted,
    dominantShare: r.dominantShare,
  };
}
