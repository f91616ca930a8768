/**
 * The scheduling controller: mirror (watch) → inputs → pure cycle → status writes + events.
 *
 * Example:
 * ```ts
 * const scheduler = createScheduler({ store, recorder, clock, rng });
 * const { admitted, preempted, pending, writes } = await scheduler.runPass();
 * scheduler.close();
 * ```
 */
import { QmError, isQmError, type ApiObject } from '@qm/api';
import { openCycle } from '../../scheduler/cycle.js';
import { CycleMemo } from '../../scheduler/cycle-memo.js';
import { nextTimeRuleDueMs } from '../../scheduler/time-rules.js';
import type { CycleInput, CycleResult, PendingDecision } from '../../scheduler/types.js';
import { InputBuilder } from './build-input.js';
import { Mirror } from './mirror.js';
import {
  admittedJobStatus, admittedMessage, deploymentStatus, pendingJobStatus, preemptedJobStatus, queueStatus, sameStatus, type ReplicaChanges,
} from './status-updates.js';
import { DEFAULT_SCHEDULER_CONFIG, type Scheduler, type SchedulerConfig, type SchedulerDeps, type SchedulingPassResult } from './types.js';

type Status = Record<string, any>;

function refOf(obj: ApiObject) {
  return { kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid, apiVersion: obj.apiVersion };
}

function checkConfig(config: SchedulerConfig): SchedulerConfig {
  for (const [field, value] of Object.entries(config)) {
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new QmError('Invalid', `scheduler config ${field} must be a non-negative number, got ${String(value)}`, { causes: [{ field, reason: 'FieldValueInvalid', message: 'must be a non-negative number' }] });
    }
  }
  return config;
}

/** What a pending job's status is computed from besides the object itself. */
function pendingMemo(p: PendingDecision): string {
  return `${p.reason}\u0000${p.queuePosition ?? ''}\u0000${p.estimatedStartMs ?? ''}\u0000${p.workload.queue ?? ''}\u0000${p.workload.priority}`;
}

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const config = checkConfig({ ...DEFAULT_SCHEDULER_CONFIG, ...deps.config });
  const mirror = new Mirror(deps.store);
  const builder = new InputBuilder();
  const memo = new CycleMemo();
  let closed = false;
  let writes = 0;
  /**
   * Object (this exact version) → the decision it was found to agree with. The status functions
   * are pure in (object, decision) once equal (lastTransitionTime only moves on a flip), so an
   * unchanged object with an unchanged decision needs no new status and no comparison.
   */
  const settled = new WeakMap<ApiObject, string>();
  /** Set after a pass that changed nothing: until the mirror changes or `dueMs`, a pass would decide the same. */
  let idle: { changeCount: number; dueMs: number; pending: number } | undefined;
  /** The last estimate refresh: when, and what it gave each pending workload (by id). */
  let estimates: { atMs: number; byId: Map<string, number> } | undefined;
  /** A pass since the last refresh decided without one: the next refresh is owed even if nothing changes. */
  let estimatesOwed = false;

  /** Writes `status` unless unchanged; on Conflict retries once on a fresh read if `stillValid` says the decision holds. */
  async function writeStatus(obj: ApiObject, next: (o: ApiObject) => Status | undefined, stillValid: (fresh: ApiObject) => boolean, memo?: string): Promise<ApiObject | undefined> {
    let target = obj;
    for (let attempt = 0; attempt < 2; attempt++) {
      if (memo !== undefined && settled.get(target) === memo) return target;
      const status = next(target);
      if (status === undefined || sameStatus(status, target.status)) {
        if (memo !== undefined) settled.set(target, memo);
        return target;
      }
      try {
        const saved = await deps.store.update({ ...target, status }, { subresource: 'status' });
        writes++;
        mirror.apply(saved);
        return saved;
      } catch (err) {
        if (isQmError(err, 'NotFound')) {
          mirror.remove(target);
          return undefined;
        }
        if (!isQmError(err, 'Conflict') || attempt === 1) throw err;
        const fresh = await deps.store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
        if (!fresh) {
          mirror.remove(target);
          return undefined;
        }
        mirror.apply(fresh);
        if (!stillValid(fresh)) return undefined; // the world moved: drop the decision, the next pass decides again
        target = fresh;
      }
    }
    return undefined;
  }

  const samePhase = (obj: ApiObject) => (fresh: ApiObject) =>
    (fresh.status?.phase ?? 'Pending') === (obj.status?.phase ?? 'Pending') && fresh.metadata.generation === obj.metadata.generation;

  /** Writes what the decisions changed: victims, admitted jobs, and every deployment's replicas. */
  async function persistDecisions(result: CycleResult, nowMs: number): Promise<SchedulingPassResult> {
    const nowIso = new Date(nowMs).toISOString();
    const out: SchedulingPassResult = { admitted: [], preempted: [], pending: result.pending.length, writes: 0 };
    const byDeployment = new Map<string, ReplicaChanges>();
    const changesOf = (ns: string, name: string): ReplicaChanges => {
      const key = `${ns}/${name}`;
      let c = byDeployment.get(key);
      if (!c) byDeployment.set(key, (c = { admitted: [], preempted: [], pending: [] }));
      return c;
    };
    // Victims first, so runtimes stop them before the preemptor's workers start.
    const victimOk = new Set<string>();
    for (const p of result.preempted) {
      if (p.victim.key.kind === 'ModelDeployment') {
        changesOf(p.victim.namespace, p.victim.key.name).preempted.push(p);
        continue;
      }
      const obj = mirror.get('TrainingJob', p.victim.namespace, p.victim.key.name);
      if (!obj) continue;
      const saved = await writeStatus(obj, (o) => preemptedJobStatus(o, p, nowIso), samePhase(obj));
      if (saved) {
        victimOk.add(p.victim.id);
        deps.recorder.record(refOf(saved), 'Warning', 'Preempted', p.message);
        out.preempted.push({ victim: p.victim.key, preemptor: p.preemptor.key, rule: p.rule });
      }
    }
    for (const a of result.admitted) {
      if (a.workload.key.kind === 'ModelDeployment') {
        changesOf(a.workload.namespace, a.workload.key.name).admitted.push(a);
        continue;
      }
      // An admission that needed a victim whose write failed waits for the next pass.
      if (result.preempted.some((p) => p.preemptor.id === a.workload.id && p.victim.key.kind === 'TrainingJob' && !victimOk.has(p.victim.id))) continue;
      const obj = mirror.get('TrainingJob', a.workload.namespace, a.workload.key.name);
      if (!obj) continue;
      const saved = await writeStatus(obj, (o) => admittedJobStatus(o, a, nowIso), samePhase(obj));
      if (saved) {
        deps.recorder.record(refOf(saved), 'Normal', 'Admitted', admittedMessage(a));
        out.admitted.push(a.workload.key);
      }
    }
    for (const p of result.pending) if (p.workload.key.kind === 'ModelDeployment') changesOf(p.workload.namespace, p.workload.key.name).pending.push(p);
    for (const obj of mirror.list('ModelDeployment')) {
      const changes = byDeployment.get(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`) ?? { admitted: [], preempted: [], pending: [] };
      if (obj.metadata.deletionTimestamp) continue;
      const memo = changes.admitted.length || changes.preempted.length ? undefined : JSON.stringify(changes.pending.map((p) => [p.workload.key.replica, p.reason, p.workload.queue ?? null]));
      const saved = await writeStatus(obj, (o) => deploymentStatus(o, changes, nowIso),
        (fresh) => JSON.stringify(fresh.status?.replicaPlacements ?? []) === JSON.stringify(obj.status?.replicaPlacements ?? []) && fresh.metadata.generation === obj.metadata.generation, memo);
      if (!saved) continue;
      for (const p of changes.preempted) {
        deps.recorder.record(refOf(saved), 'Warning', 'Preempted', `replica ${p.victim.key.replica} ${p.message}`);
        out.preempted.push({ victim: p.victim.key, preemptor: p.preemptor.key, rule: p.rule });
      }
      for (const a of changes.admitted) {
        deps.recorder.record(refOf(saved), 'Normal', 'Admitted', `replica ${a.workload.key.replica} ${admittedMessage(a)}`);
        out.admitted.push(a.workload.key);
      }
    }
    return out;
  }

  /** Writes the pending jobs' reasons, positions and estimates, and the queues' status. */
  async function persistPending(result: CycleResult, nowMs: number): Promise<void> {
    const nowIso = new Date(nowMs).toISOString();
    for (const p of result.pending) {
      if (p.workload.key.kind === 'ModelDeployment') continue;
      const obj = mirror.get('TrainingJob', p.workload.namespace, p.workload.key.name);
      if (obj) await writeStatus(obj, (o) => pendingJobStatus(o, p, nowIso), samePhase(obj), pendingMemo(p));
    }
    for (const r of result.queues) {
      const obj = mirror.get('Queue', undefined, r.name);
      if (obj) await writeStatus(obj, (o) => queueStatus(o, r), () => true, JSON.stringify(r));
    }
  }

  /** The decisions are written before the estimates are computed: admission never waits for the forecast. */
  async function decideAndPersist(input: CycleInput, nowMs: number): Promise<{ out: SchedulingPassResult; result: CycleResult }> {
    const refresh = !estimates || nowMs >= estimates.atMs + config.estimateIntervalMs || nowMs < estimates.atMs;
    const cycle = openCycle(input, { nowMs, rng: deps.rng, config, memo });
    try {
      const out = await persistDecisions(cycle.result, nowMs);
      if (refresh) {
        cycle.estimate();
        const byId = new Map<string, number>();
        for (const p of cycle.result.pending) if (p.estimatedStartMs !== undefined) byId.set(p.workload.id, p.estimatedStartMs);
        estimates = { atMs: nowMs, byId };
        estimatesOwed = false;
      } else {
        // Between refreshes a pending workload keeps the forecast it was last given.
        for (const p of cycle.result.pending) p.estimatedStartMs = estimates!.byId.get(p.workload.id);
        estimatesOwed = true;
      }
      await persistPending(cycle.result, nowMs);
      return { out, result: cycle.result };
    } finally {
      cycle.close();
    }
  }

  /** One pass: skipped when nothing changed and nothing is due; else decide, write, estimate when due. */
  async function pass(): Promise<SchedulingPassResult> {
    await mirror.sync();
    const nowMs = deps.clock.now();
    // Nothing changed since a pass that changed nothing, and no time-based rule is due: same answer.
    if (idle && idle.changeCount === mirror.changeCount && nowMs < idle.dueMs) return { admitted: [], preempted: [], pending: idle.pending, writes: 0 };
    idle = undefined;
    const changeCount = mirror.changeCount;
    const input = builder.build(mirror);
    const before = writes;
    const { out, result } = await decideAndPersist(input, nowMs);
    out.writes = writes - before;
    if (out.writes === 0 && out.admitted.length === 0 && out.preempted.length === 0 && mirror.changeCount === changeCount) {
      let dueMs = nextTimeRuleDueMs(input, result, nowMs, config);
      if (estimatesOwed) dueMs = Math.min(dueMs, estimates!.atMs + config.estimateIntervalMs);
      idle = { changeCount, dueMs, pending: out.pending };
    }
    return out;
  }

  /** Passes run one at a time: a pass holds the memo's snapshot while it writes. */
  let passInFlight: Promise<unknown> = Promise.resolve();

  return {
    runPass(): Promise<SchedulingPassResult> {
      if (closed) return Promise.reject(new Error('scheduler is closed'));
      const run = passInFlight.then(pass);
      passInFlight = run.catch(() => undefined);
      return run;
    },
    close(): void {
      closed = true;
      mirror.close();
    },
  };
}

/** Convenience for tests: one pass from a fresh list. */
export async function runSchedulingPass(deps: SchedulerDeps): Promise<SchedulingPassResult> {
  const s = createScheduler(deps);
  try {
    return await s.runPass();
  } finally {
    s.close();
  }
}

