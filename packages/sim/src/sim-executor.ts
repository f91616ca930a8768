/**
 * SimExecutor: the simulated runtime of TrainingJobs. It plays the part the local executor
 * plays live: it sees (through store.watch) the scheduler admit a job and starts it at the
 * same instant (Admitted → Running, worker phases, startTime, expectedEndTime), banks work at
 * checkpoints, loses the work since the last checkpoint when the scheduler takes a running
 * job back (phase flips to Pending), interrupts jobs on a node that goes away, finishes a job
 * when its `work` is done and fails one that runs past activeDeadlineSeconds.
 *
 * Timed things (a finish, a deadline) go to the loop through `schedule`; checkpoints are not
 * events: `syncCheckpoints()` writes status.lastCheckpoint lazily before each pass, so the
 * scheduler's victim choice sees them without adding event times.
 *
 * Example:
 * ```ts
 * const exec = await SimExecutor.open({ store, clock, recorder, ledger, mirror, schedule });
 * exec.expectWork('TrainingJob/team-a/big', 7200);   // before creating the job
 * await store.create(job);
 * await scheduler.runPass();
 * await exec.startAdmitted();                        // big is Running; finish scheduled
 * ```
 */
import { isQmError, type ApiObject, type WatchEvent } from '@qm/api';
import type { Clock, Recorder, Store, WatchHandle } from '@qm/core';
import { EventQueue } from './event-queue.js';
import { checkpointsWithin, nextCheckpointAtMs, remainingMs, stopAttempt } from './work-model.js';
import type { UsageLedger } from './usage-ledger.js';
import type { ClusterMirror } from './cluster-mirror.js';
import { rfc3339 } from './virtual-clock.js';
import { jobGpus, workerNodes, withCondition } from './status-helpers.js';

/** A timer the executor asks the loop for. */
export type ExecutorTimer =
  | { type: 'finish'; key: string; attempt: number }
  | { type: 'deadline'; key: string }
  /** A time-based scheduling rule may flip for this job now (reclaim delay over, min runtime reached): run a pass. */
  | { type: 'wake'; key: string; attempt?: number };

/**
 * Delays after which the scheduler may decide differently with nothing else happening
 * (the loop runs passes only at event times). Absent or ≤ 0: no wake-up.
 */
export interface WakeRules {
  /** After a job becomes pending, e.g. its queue's reclaim delay. */
  afterPendingMs(job: ApiObject): number | undefined;
  /** After a job starts, e.g. minRuntimeBeforePreemptionMs (it becomes a possible victim). */
  afterStartMs(job: ApiObject): number | undefined;
}

export interface SimExecutorDeps {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  ledger: UsageLedger;
  mirror: ClusterMirror;
  schedule(atMs: number, timer: ExecutorTimer): void;
  wakeRules?: WakeRules;
  /** Told each time an attempt ends with work lost since its last checkpoint (the cost ledger prices it). */
  onLostWork?(key: string, lostMs: number): void;
}

export interface Attempt {
  index: number;
  startMs: number;
  nodes: string[];
}

/** Everything the report needs about one TrainingJob. */
export interface JobRecord {
  key: string;
  namespace: string;
  name: string;
  submittedMs: number;
  workMs?: number;
  checkpointIntervalMs?: number;
  deadlineMs?: number;
  gpus: number;
  bankedMs: number;
  checkpointStep: number;
  lastCheckpointMs?: number;
  attempt?: Attempt;
  starts: number;
  firstAdmittedMs?: number;
  firstStartedMs?: number;
  finishedMs?: number;
  /** Latest phase seen, or 'Deleted'. */
  phase: string;
  preemptions: number;
  interruptions: number;
  restarts: number;
  lostMs: number;
  lastNodes: string[];
  obj: ApiObject;
}

export function jobKey(namespace: string | undefined, name: string): string {
  return `TrainingJob/${namespace ?? ''}/${name}`;
}

export class SimExecutor {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly expectedWorkMs = new Map<string, number>();
  /** Admitted jobs waiting for startAdmitted(), in the order the scheduler admitted them. */
  private readonly toStart = new Set<string>();
  /** node → running job keys (for interruptions). */
  private readonly onNode = new Map<string, Set<string>>();
  private readonly checkpoints = new EventQueue<{ key: string; attempt: number }>();
  private handle: WatchHandle | undefined;
  /** True while the executor writes: its own changes come back through the watch and are not reactions. */
  private writing = false;

  private constructor(private readonly deps: SimExecutorDeps) {}

  static async open(deps: SimExecutorDeps): Promise<SimExecutor> {
    const exec = new SimExecutor(deps);
    const listed = await deps.store.list('TrainingJob');
    for (const obj of listed.items) exec.onEvent({ type: 'ADDED', object: obj });
    exec.handle = await deps.store.watch({ kind: 'TrainingJob', resourceVersion: listed.resourceVersion }, (ev) => exec.onEvent(ev));
    return exec;
  }

  close(): void {
    this.handle?.close();
  }

  /** The `work` (seconds) of a job about to be created; absent = it runs until the scenario ends. */
  expectWork(key: string, workSeconds: number | undefined): void {
    if (workSeconds !== undefined) this.expectedWorkMs.set(key, Math.round(workSeconds * 1000));
  }

  records(): JobRecord[] {
    return [...this.jobs.values()];
  }

  record(key: string): JobRecord | undefined {
    return this.jobs.get(key);
  }

  private now(): number {
    return this.deps.clock.now();
  }

  /** Watch callback: in-memory transitions only (writes happen in startAdmitted and the timers). */
  private onEvent(ev: WatchEvent): void {
    const obj = ev.object;
    const key = jobKey(obj.metadata.namespace, obj.metadata.name);
    let rec = this.jobs.get(key);
    if (ev.type === 'DELETED') {
      if (!rec) return;
      if (rec.attempt) this.stop(rec, false);
      this.toStart.delete(key);
      if (rec.finishedMs === undefined) rec.phase = 'Deleted';
      rec.obj = obj;
      return;
    }
    const isNew = !rec;
    if (!rec) {
      rec = this.newRecord(key, obj);
      this.jobs.set(key, rec);
    }
    const wasPending = !isNew && rec.phase === 'Pending';
    rec.obj = obj;
    const phase: string = obj.status?.phase ?? 'Pending';
    if (phase === 'Pending' && !wasPending) this.wake(rec, this.deps.wakeRules?.afterPendingMs(obj));
    if (this.writing) {
      rec.phase = phase;
      return;
    }
    const holds = phase === 'Admitted' || phase === 'Running';
    if (rec.attempt && (!holds || workerNodes(obj).join(',') !== rec.attempt.nodes.join(','))) {
      // The scheduler took the job back (or moved it): the attempt ends without a save.
      this.stop(rec, false);
      rec.preemptions++;
    }
    if (phase === 'Admitted' && rec.finishedMs === undefined) {
      rec.firstAdmittedMs ??= this.now();
      this.toStart.add(key);
    } else {
      this.toStart.delete(key);
    }
    rec.phase = phase;
  }

  private newRecord(key: string, obj: ApiObject): JobRecord {
    const spec = obj.spec ?? {};
    const interval = typeof spec.checkpointInterval === 'number' ? Math.round(spec.checkpointInterval * 60_000) : undefined;
    return {
      key, namespace: obj.metadata.namespace ?? '', name: obj.metadata.name,
      submittedMs: this.now(),
      workMs: this.expectedWorkMs.get(key),
      checkpointIntervalMs: interval && interval > 0 ? interval : undefined,
      deadlineMs: typeof spec.activeDeadlineSeconds === 'number' ? spec.activeDeadlineSeconds * 1000 : undefined,
      gpus: jobGpus(obj),
      bankedMs: 0, checkpointStep: 0, starts: 0, phase: obj.status?.phase ?? 'Pending',
      preemptions: 0, interruptions: 0, restarts: 0, lostMs: 0, lastNodes: [], obj,
    };
  }

  /** Starts every job the last pass admitted (Admitted → Running at this instant). Returns how many. */
  async startAdmitted(): Promise<number> {
    let started = 0;
    for (const key of [...this.toStart]) {
      this.toStart.delete(key);
      const rec = this.jobs.get(key);
      if (!rec || rec.attempt || rec.phase !== 'Admitted' || rec.finishedMs !== undefined) continue;
      await this.start(rec);
      started++;
    }
    return started;
  }

  private async start(rec: JobRecord): Promise<void> {
    const now = this.now();
    const obj = rec.obj;
    const nodes = workerNodes(obj);
    rec.starts++;
    rec.attempt = { index: rec.starts - 1, startMs: now, nodes };
    rec.lastNodes = nodes;
    const first = rec.firstStartedMs === undefined;
    rec.firstStartedMs ??= now;
    const remaining = remainingMs(rec.workMs, rec.bankedMs);
    const status: Record<string, any> = {
      ...obj.status,
      phase: 'Running',
      startTime: rfc3339(now),
      workers: (obj.status?.workers ?? []).map((w: Record<string, unknown>) => ({ ...w, phase: 'Running' })),
    };
    if (remaining !== undefined) status.expectedEndTime = rfc3339(now + remaining);
    else delete status.expectedEndTime;
    if (rec.lastCheckpointMs !== undefined) status.lastCheckpoint = this.checkpointStatus(rec, rec.checkpointStep, rec.lastCheckpointMs);
    await this.writeStatus(rec, status);

    for (const node of nodes) {
      let set = this.onNode.get(node);
      if (!set) this.onNode.set(node, set = new Set());
      set.add(rec.key);
    }
    const mirror = this.deps.mirror;
    const perWorker = rec.gpus / Math.max(1, (obj.status?.workers ?? []).length);
    let usdPerSecond = 0;
    for (const w of obj.status?.workers ?? []) {
      const gpus = Array.isArray(w.gpus) ? w.gpus.length : perWorker;
      usdPerSecond += typeof w.node === 'string' ? gpus * mirror.usdPerGpuHour(w.node) / 3600 : 0;
    }
    this.deps.ledger.setUsage(rec.key, now, { gpus: rec.gpus, queue: mirror.queueFor(obj), usdPerSecond });
    if (remaining !== undefined) this.deps.schedule(now + remaining, { type: 'finish', key: rec.key, attempt: rec.attempt.index });
    const nextCheckpoint = nextCheckpointAtMs(now, now, rec.checkpointIntervalMs);
    if (nextCheckpoint !== undefined) this.checkpoints.push(nextCheckpoint, 0, { key: rec.key, attempt: rec.attempt.index });
    if (first && rec.deadlineMs !== undefined) this.deps.schedule(now + rec.deadlineMs, { type: 'deadline', key: rec.key });
    this.wake(rec, this.deps.wakeRules?.afterStartMs(obj), rec.attempt.index);

    const where = nodes.length > 0 ? `on ${nodes.join(', ')}` : 'with no node';
    if (first) this.deps.recorder.record(refOf(rec), 'Normal', 'Started', `started ${where}`);
    else {
      const from = rec.checkpointStep > 0 ? `from checkpoint step ${rec.checkpointStep} (${secondsText(rec.bankedMs)} of work saved)` : 'from the beginning (no checkpoint)';
      this.deps.recorder.record(refOf(rec), 'Normal', 'Resumed', `resumed ${where} ${from}`);
    }
  }

  /** Ends the current attempt in memory: banks checkpointed work, counts the rest as lost. */
  private stop(rec: JobRecord, saveOnStop: boolean): number {
    const attempt = rec.attempt;
    if (!attempt) return 0;
    const now = this.now();
    const out = stopAttempt({ bankedMs: rec.bankedMs, checkpointIntervalMs: rec.checkpointIntervalMs }, now - attempt.startMs, saveOnStop);
    rec.bankedMs = out.bankedMs;
    rec.lostMs += out.lostMs;
    if (out.lostMs > 0) this.deps.onLostWork?.(rec.key, out.lostMs);
    if (out.checkpoints > 0) {
      rec.checkpointStep += out.checkpoints;
      rec.lastCheckpointMs = out.lostMs === 0 ? now : attempt.startMs + checkpointsWithin(now - attempt.startMs, rec.checkpointIntervalMs) * rec.checkpointIntervalMs!;
    }
    rec.attempt = undefined;
    for (const node of attempt.nodes) this.onNode.get(node)?.delete(rec.key);
    this.deps.ledger.setUsage(rec.key, now, undefined);
    return out.lostMs;
  }

  private wake(rec: JobRecord, delayMs: number | undefined, attempt?: number): void {
    if (delayMs === undefined || !(delayMs > 0)) return;
    this.deps.schedule(this.now() + delayMs, { type: 'wake', key: rec.key, attempt });
  }

  /** A timer fired; false when it no longer applied (a stale timer), so the loop can skip the pass. */
  async onTimer(timer: ExecutorTimer): Promise<boolean> {
    const rec = this.jobs.get(timer.key);
    if (!rec || rec.finishedMs !== undefined || rec.phase === 'Deleted') return false;
    const now = this.now();
    if (timer.type === 'wake') return timer.attempt === undefined ? rec.phase === 'Pending' : rec.attempt?.index === timer.attempt;
    if (timer.type === 'finish') {
      if (rec.attempt?.index !== timer.attempt) return false; // a stale timer of an attempt that was stopped
      for (const node of rec.attempt.nodes) this.onNode.get(node)?.delete(rec.key);
      rec.attempt = undefined;
      rec.bankedMs = rec.workMs ?? rec.bankedMs;
      this.deps.ledger.setUsage(rec.key, now, undefined);
      rec.finishedMs = now;
      await this.finishStatus(rec, 'Succeeded', 'Succeeded', `finished ${secondsText(rec.workMs ?? 0)} of work after ${rec.starts} attempt${rec.starts === 1 ? '' : 's'}`);
      return true;
    }
    if (rec.attempt) this.stop(rec, false);
    rec.finishedMs = now;
    await this.finishStatus(rec, 'Failed', 'DeadlineExceeded', `ran past activeDeadlineSeconds (${rec.deadlineMs! / 1000}s) after ${secondsText(rec.bankedMs)} of work saved`);
    return true;
  }

  private async finishStatus(rec: JobRecord, phase: 'Succeeded' | 'Failed', reason: string, message: string): Promise<void> {
    const now = this.now();
    const status: Record<string, any> = {
      ...rec.obj.status,
      phase,
      completionTime: rfc3339(now),
      workers: (rec.obj.status?.workers ?? []).map((w: Record<string, unknown>) => ({ ...w, phase })),
      conditions: withCondition(rec.obj.status?.conditions, { type: phase, status: 'True', reason, message, lastTransitionTime: rfc3339(now) }),
    };
    delete status.expectedEndTime;
    if (rec.lastCheckpointMs !== undefined) status.lastCheckpoint = this.checkpointStatus(rec, rec.checkpointStep, rec.lastCheckpointMs);
    await this.writeStatus(rec, status);
    this.deps.recorder.record(refOf(rec), phase === 'Succeeded' ? 'Normal' : 'Warning', phase, message);
  }

  /**
   * Jobs on `node` stop now (the node is going away). `saveOnStop`: they had notice, so a job
   * that checkpoints saves first and loses nothing; without notice they lose the work since
   * their last checkpoint. Each goes back to Pending with condition Interrupted.
   */
  async interruptNode(node: string, saveOnStop: boolean, why: string): Promise<void> {
    const keys = [...(this.onNode.get(node) ?? [])].sort();
    const now = this.now();
    for (const key of keys) {
      const rec = this.jobs.get(key)!;
      const save = saveOnStop && rec.checkpointIntervalMs !== undefined;
      const lostMs = this.stop(rec, save);
      rec.interruptions++;
      const message = `interrupted: node ${node} ${why}; ${save ? 'saved a checkpoint on notice, no work lost' : `${secondsText(lostMs)} of work lost`}`;
      const status: Record<string, any> = {
        ...rec.obj.status,
        phase: 'Pending',
        workers: [],
        conditions: withCondition(rec.obj.status?.conditions, { type: 'Interrupted', status: 'True', reason: 'Interrupted', message, lastTransitionTime: rfc3339(now) }),
      };
      delete status.expectedEndTime;
      if (rec.lastCheckpointMs !== undefined) status.lastCheckpoint = this.checkpointStatus(rec, rec.checkpointStep, rec.lastCheckpointMs);
      await this.writeStatus(rec, status);
      this.deps.recorder.record(refOf(rec), 'Warning', 'Interrupted', message);
    }
    this.onNode.delete(node);
  }

  /**
   * Stops a running job now for the platform (idle GPUs): like a spot notice it checkpoints
   * first when it checkpoints at all, so no work is lost; `nextStatus` gives the status to write
   * (phase Pending, conditions). Not a preemption. False when the job is not running.
   */
  async stopSaving(key: string, nextStatus: (status: Record<string, any>) => Record<string, any>): Promise<boolean> {
    const rec = this.jobs.get(key);
    if (!rec?.attempt) return false;
    this.stop(rec, rec.checkpointIntervalMs !== undefined);
    const status = nextStatus({ ...rec.obj.status });
    delete status.expectedEndTime;
    if (rec.lastCheckpointMs !== undefined) status.lastCheckpoint = this.checkpointStatus(rec, rec.checkpointStep, rec.lastCheckpointMs);
    await this.writeStatus(rec, status);
    return true;
  }

  /** Writes status.lastCheckpoint for running jobs whose checkpoints fell at or before now. */
  async syncCheckpoints(): Promise<void> {
    const now = this.now();
    while ((this.checkpoints.peekTime() ?? Infinity) <= now) {
      const { key, attempt } = this.checkpoints.pop()!.item;
      const rec = this.jobs.get(key);
      const current = rec?.attempt;
      if (!rec || !current || current.index !== attempt) continue;
      const done = checkpointsWithin(now - current.startMs, rec.checkpointIntervalMs);
      const atMs = current.startMs + done * rec.checkpointIntervalMs!;
      await this.writeStatus(rec, { ...rec.obj.status, lastCheckpoint: this.checkpointStatus(rec, rec.checkpointStep + done, atMs) });
      this.checkpoints.push(atMs + rec.checkpointIntervalMs!, 0, { key, attempt });
    }
  }

  private checkpointStatus(rec: JobRecord, step: number, atMs: number): { step: number; time: string; path: string } {
    const base = typeof rec.obj.spec?.checkpointPath === 'string' ? rec.obj.spec.checkpointPath : `/checkpoints/${rec.namespace}/${rec.name}`;
    return { step, time: rfc3339(atMs), path: `${base.replace(/\/+$/, '')}/step-${step}` };
  }

  private async writeStatus(rec: JobRecord, status: Record<string, unknown>): Promise<void> {
    const { resourceVersion: _rv, ...metadata } = rec.obj.metadata;
    this.writing = true;
    try {
      await this.deps.store.update({ ...rec.obj, metadata, status }, { subresource: 'status' });
    } catch (err) {
      if (!isQmError(err, 'NotFound')) throw err; // deleted meanwhile: nothing to run
    } finally {
      this.writing = false;
    }
  }
}

function refOf(rec: JobRecord): { kind: string; namespace: string; name: string } {
  return { kind: 'TrainingJob', namespace: rec.namespace, name: rec.name };
}

/** "90s", "1h30m0s"-free plain seconds: messages stay short and exact. */
export function secondsText(ms: number): string {
  return `${Math.round(ms) / 1000}s`;
}
