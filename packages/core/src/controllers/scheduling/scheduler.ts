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
import { scheduleCycle } from '../../scheduler/cycle.js';
import type { CycleResult } from '../../scheduler/types.js';
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

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const config = checkConfig({ ...DEFAULT_SCHEDULER_CONFIG, ...deps.config });
  const mirror = new Mirror(deps.store);
  const builder = new InputBuilder();
  let closed = false;
  let writes = 0;

  /** Writes `status` unless unchanged; on Conflict retries once on a fresh read if `stillValid` says the decision holds. */
  async function writeStatus(obj: ApiObject, next: (o: ApiObject) => Status | undefined, stillValid: (fresh: ApiObject) => boolean): Promise<ApiObject | undefined> {
    let target = obj;
    for (let attempt = 0; attempt < 2; attempt++) {
      const status = next(target);
      if (status === undefined || sameStatus(status, target.status)) return target;
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

  async function persist(result: CycleResult, nowMs: number): Promise<SchedulingPassResult> {
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
    for (const p of result.pending) {
      if (p.workload.key.kind === 'ModelDeployment') {
        changesOf(p.workload.namespace, p.workload.key.name).pending.push(p);
        continue;
      }
      const obj = mirror.get('TrainingJob', p.workload.namespace, p.workload.key.name);
      if (obj) await writeStatus(obj, (o) => pendingJobStatus(o, p, nowIso), samePhase(obj));
    }
    for (const obj of mirror.list('ModelDeployment')) {
      const changes = byDeployment.get(`${obj.metadata.namespace ?? ''}/${obj.metadata.name}`) ?? { admitted: [], preempted: [], pending: [] };
      if (obj.metadata.deletionTimestamp) continue;
      const before = JSON.stringify(obj.status?.replicaPlacements ?? []);
      const saved = await writeStatus(obj, (o) => deploymentStatus(o, changes, nowIso),
        (fresh) => JSON.stringify(fresh.status?.replicaPlacements ?? []) === before && fresh.metadata.generation === obj.metadata.generation);
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
    for (const r of result.queues) {
      const obj = mirror.get('Queue', undefined, r.name);
      if (obj) await writeStatus(obj, (o) => queueStatus(o, r), () => true);
    }
    return out;
  }

  return {
    async runPass(): Promise<SchedulingPassResult> {
      if (closed) throw new Error('scheduler is closed');
      await mirror.sync();
      const nowMs = deps.clock.now();
      const input = builder.build(mirror);
      const result = scheduleCycle(input, { nowMs, rng: deps.rng, config });
      const before = writes;
      const out = await persist(result, nowMs);
      out.writes = writes - before;
      return out;
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

