/**
 * The pure ModelDeployment controller: one step of Kubernetes' rolling-update algorithm over
 * replica slots. Replicas of the current revision grow toward spec.replicas within
 * replicas + maxSurge; replicas of older revisions go only as far as maxUnavailable allows
 * counting readiness (unhealthy ones first), so a revision whose replicas never become ready
 * stalls with the old one still serving, and after spec.progressDeadlineSeconds the
 * Progressing condition turns False (ProgressDeadlineExceeded). A replica left in a surge slot
 * moves into a free regular slot (its placement moves with it), so surge slots are temporary.
 *
 * Example:
 * ```ts
 * const d = reconcileModelDeployment({ deployment, replicas, nowMs, nextSeq: 7, endpoint: 'http://127.0.0.1:8080/ml/chat/' });
 * for (const c of d.create) runtime.add(c);          // Pending until its slot is placed
 * for (const r of d.remove) runtime.remove(r.name);  // leaves the gateway, then SIGTERM
 * await store.update({ ...deployment, status: d.status }, { subresource: 'status' });
 * ```
 */
import type { Condition as ApiCondition } from '@qm/api';
import { newRevisionTarget, oldScaleDownBudget, resolveFenceposts } from './rollout-math.js';
import { templateRevision } from './revision.js';
import type { ObservedServingReplica, RemoveReason, ServingDecision, ServingReconcileInput, SlotPlacement } from './types.js';

/** Kubernetes' default spec.progressDeadlineSeconds. */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
export const DEFAULT_MAX_SURGE = '25%';
export const DEFAULT_MAX_UNAVAILABLE = '25%';

/** Kubernetes Deployment conditions also carry lastUpdateTime (moved on every bit of progress). */
type Condition = ApiCondition & { lastUpdateTime?: string };
type Replica = ObservedServingReplica;
type Event = ServingDecision['events'][number];

/** Lower goes first when replicas must go (Kubernetes' pod deletion ranking, simplified). */
function removalRank(r: Replica): number {
  if (r.phase === 'Pending') return 0;
  if (r.phase === 'Failed') return 1;
  if (!r.ready && r.phase === 'Starting') return 2;
  if (!r.ready) return 3;
  return 4;
}

function byRemovalOrder(list: Replica[]): Replica[] {
  return [...list].sort((a, b) => removalRank(a) - removalRank(b) || b.index - a.index || b.createdMs - a.createdMs || (a.name < b.name ? 1 : -1));
}

/** Sets a condition; lastTransitionTime moves only when `status` flips. */
function withCondition(list: Condition[], next: Condition, nowIso: string): Condition[] {
  const out = [...list];
  const i = out.findIndex((c) => c.type === next.type);
  const old = i >= 0 ? out[i] : undefined;
  const cond: Condition = { ...next, lastTransitionTime: old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : nowIso };
  if (i >= 0) out[i] = cond;
  else out.push(cond);
  return out;
}

function desiredReplicas(spec: Record<string, any>): number {
  const n = spec.replicas ?? 1;
  return Number.isInteger(n) && n >= 0 ? n : 1;
}

export function reconcileModelDeployment(input: ServingReconcileInput): ServingDecision {
  const md = input.deployment;
  const { nowMs } = input;
  const nowIso = new Date(nowMs).toISOString();
  const spec = (md.spec ?? {}) as Record<string, any>;
  const prev = (md.status ?? {}) as Record<string, any>;
  const name = md.metadata.name;
  const n = desiredReplicas(spec);
  const rev = templateRevision(spec);
  const rolling = spec.strategy?.rollingUpdate ?? {};
  const { maxSurge, maxUnavailable } = resolveFenceposts(rolling.maxSurge ?? DEFAULT_MAX_SURGE, rolling.maxUnavailable ?? DEFAULT_MAX_UNAVAILABLE, n);

  const replicas: Replica[] = input.replicas.map((r) => ({ ...r }));
  const alive = () => replicas.filter((r) => r.phase !== 'Terminating');
  const current = () => alive().filter((r) => r.revision === rev);
  const old = () => alive().filter((r) => r.revision !== rev);
  const create: ServingDecision['create'] = [];
  const remove: ServingDecision['remove'] = [];
  const events: Event[] = [];
  let seq = input.nextSeq;

  const drop = (r: Replica, reason: RemoveReason) => {
    remove.push({ name: r.name, reason });
    const why = reason === 'ScaledDown' ? `scaled down to ${n}` : reason === 'Superseded' ? `superseded by revision ${rev}` : `unhealthy old replica (${r.message ?? r.phase})`;
    events.push({ type: 'Normal', reason: 'ReplicaDeleted', message: `deleting replica ${r.name} (revision ${r.revision}) in slot ${r.index}: ${why}` });
    r.phase = 'Terminating';
    r.ready = false;
  };

  if (prev.updateRevision && prev.updateRevision !== rev && old().length > 0) {
    events.push({ type: 'Normal', reason: 'RolloutStarted', message: `rolling update to revision ${rev} (maxSurge ${maxSurge}, maxUnavailable ${maxUnavailable})` });
  }

  // 1. More replicas of the current revision than wanted (spec.replicas went down).
  const surplus = current().length - n;
  if (surplus > 0) for (const r of byRemovalOrder(current()).slice(0, surplus)) drop(r, 'ScaledDown');

  // 2. Grow the current revision within replicas + maxSurge, into the lowest free slots.
  const target = newRevisionTarget(n, maxSurge, alive().length, current().length);
  const occupied = new Set(replicas.map((r) => r.index));
  const free: number[] = [];
  for (let i = 0; i < n + maxSurge; i++) if (!occupied.has(i)) free.push(i);
  for (let k = current().length; k < target && free.length > 0; k++) {
    const index = free.shift()!;
    const replicaName = `${name}-${rev}-${seq++}`;
    create.push({ name: replicaName, index, revision: rev });
    replicas.push({ name: replicaName, index, revision: rev, phase: 'Pending', ready: false, createdMs: nowMs, restarts: 0 });
    events.push({ type: 'Normal', reason: 'ReplicaCreated', message: `created replica ${replicaName} (revision ${rev}) in slot ${index}` });
  }

  // 3. Shrink older revisions as far as availability allows: unhealthy replicas first.
  if (old().length > 0) {
    const cur = current();
    let budget = oldScaleDownBudget(n, maxUnavailable, alive().length, cur.length, cur.filter((r) => r.ready).length);
    if (budget > 0) {
      for (const r of byRemovalOrder(old().filter((x) => !x.ready))) {
        if (budget <= 0) break;
        drop(r, 'Unhealthy');
        budget--;
      }
      let down = alive().filter((r) => r.ready).length - (n - maxUnavailable);
      for (const r of byRemovalOrder(old())) {
        if (down <= 0) break;
        drop(r, 'Superseded');
        down--;
      }
    }
  }

  // 4. Replicas in surge slots move into free regular slots (their placement moves with them).
  let placements: SlotPlacement[] = [...((prev.replicaPlacements ?? []) as SlotPlacement[])];
  const moves: ServingDecision['moves'] = [];
  const taken = new Set(replicas.map((r) => r.index));
  const freeRegular: number[] = [];
  for (let i = 0; i < n; i++) if (!taken.has(i)) freeRegular.push(i);
  for (const r of alive().filter((x) => x.index >= n).sort((a, b) => a.index - b.index)) {
    const to = freeRegular.shift();
    if (to === undefined) break;
    const fromSeat = placements.find((p) => p.index === r.index);
    const toSeat = placements.find((p) => p.index === to);
    if (fromSeat && (r.phase !== 'Pending' || !toSeat)) {
      // Its process runs on the surge slot's seat: that seat becomes slot `to`.
      placements = placements.filter((p) => p.index !== to).map((p) => (p === fromSeat ? { ...p, index: to } : p));
    } else {
      placements = placements.filter((p) => p.index !== r.index);
    }
    moves.push({ name: r.name, from: r.index, to });
    r.index = to;
  }

  const highest = replicas.reduce((m, r) => Math.max(m, r.index), -1);
  const surgeReplicas = Math.max(0, highest + 1 - n);
  placements = placements.filter((p) => p.index < n + surgeReplicas).sort((a, b) => a.index - b.index);

  // ── status ──
  const after = alive();
  const updated = after.filter((r) => r.revision === rev);
  const ready = after.filter((r) => r.ready).length;
  const status: Record<string, any> = { ...prev };
  status.observedGeneration = md.metadata.generation ?? prev.observedGeneration;
  status.replicas = after.length;
  status.updatedReplicas = updated.length;
  status.readyReplicas = ready;
  status.availableReplicas = ready;
  status.unavailableReplicas = Math.max(0, n - ready);
  status.updateRevision = rev;
  status.surgeReplicas = surgeReplicas;
  status.replicaPlacements = placements;
  if (input.endpoint !== undefined) status.endpoint = input.endpoint;
  status.replicaStatuses = [...replicas].sort((a, b) => a.index - b.index || (a.name < b.name ? -1 : 1)).map((r) => ({
    name: r.name, index: r.index, revision: r.revision, phase: r.phase, ready: r.ready, restarts: r.restarts,
    ...(r.message && !r.ready && r.phase !== 'Terminating' ? { message: r.message } : {}),
  }));

  let conditions: Condition[] = [...(prev.conditions ?? [])];
  const minAvailable = n - maxUnavailable;
  conditions = withCondition(conditions, ready >= minAvailable
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ModelDeployment has minimum availability.' }
    : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: `ModelDeployment does not have minimum availability (${ready} ready, ${minAvailable} needed).` }, nowIso);

  const progressing = progressingCondition({ prev, status, rev, n, name, nowMs, nowIso, spec, after, updated, events });
  if (progressing) conditions = withCondition(conditions, progressing, nowIso);
  status.conditions = conditions;

  return { create, remove, moves, nextSeq: seq, status, events };
}

interface ProgressArgs {
  prev: Record<string, any>;
  status: Record<string, any>;
  rev: string;
  n: number;
  name: string;
  nowMs: number;
  nowIso: string;
  spec: Record<string, any>;
  after: Replica[];
  updated: Replica[];
  events: Event[];
}

/** Kubernetes' Progressing condition: complete, progressing (progress moves lastUpdateTime), or past the deadline. */
function progressingCondition(a: ProgressArgs): Condition | undefined {
  const { prev, status, rev, n } = a;
  const old: Condition | undefined = (prev.conditions ?? []).find((c: Condition) => c.type === 'Progressing');
  // Complete also means no replica is left in a surge slot (it moves down once a slot frees up).
  const complete = status.updatedReplicas === n && status.replicas === n && status.availableReplicas === n && a.after.every((r) => r.index < n);
  const progressed = prev.updateRevision !== rev
    || status.updatedReplicas > (prev.updatedReplicas ?? 0)
    || status.replicas - status.updatedReplicas < (prev.replicas ?? 0) - (prev.updatedReplicas ?? 0)
    || status.readyReplicas > (prev.readyReplicas ?? 0);
  if (complete) {
    if (old?.reason === 'NewReplicaSetAvailable' && old.status === 'True') return old;
    if (prev.updateRevision !== undefined) a.events.push({ type: 'Normal', reason: 'RolloutComplete', message: `revision ${rev} serves all ${n} replicas` });
    return { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ModelDeployment "${a.name}" has successfully progressed: revision ${rev} is available.`, lastUpdateTime: a.nowIso };
  }
  const updatedReady = a.updated.filter((r) => r.ready).length;
  if (progressed || !old) {
    return { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `revision ${rev} is progressing: ${status.updatedReplicas} of ${n} replicas updated, ${updatedReady} of them ready.`, lastUpdateTime: a.nowIso };
  }
  // A finished rollout never times out until the next one; a stalled one does.
  if (old.reason === 'NewReplicaSetAvailable' || old.reason === 'ProgressDeadlineExceeded') return old;
  const deadlineS = typeof a.spec.progressDeadlineSeconds === 'number' && a.spec.progressDeadlineSeconds > 0 ? a.spec.progressDeadlineSeconds : DEFAULT_PROGRESS_DEADLINE_SECONDS;
  const lastUpdateMs = Date.parse(String(old.lastUpdateTime ?? old.lastTransitionTime ?? ''));
  if (!Number.isFinite(lastUpdateMs) || a.nowMs < lastUpdateMs + deadlineS * 1000) return old;
  const stuck = a.updated.find((r) => !r.ready);
  const oldServing = a.after.filter((r) => r.revision !== rev && r.ready).length;
  const why = stuck ? `replica ${stuck.name} is not ready (${stuck.message ?? stuck.phase.toLowerCase()})` : `${n - updatedReady} replicas of the new revision are not ready`;
  const message = `revision ${rev} has timed out progressing after ${deadlineS}s: ${why}; the rollout is stopped and ${oldServing} replica${oldServing === 1 ? '' : 's'} of the previous revision keep serving.`;
  a.events.push({ type: 'Warning', reason: 'ProgressDeadlineExceeded', message });
  return { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message, lastUpdateTime: a.nowIso };
}
