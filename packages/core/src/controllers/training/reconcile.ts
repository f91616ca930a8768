/**
 * The training controller: (job, what the executor observes, now) → actions, the new status and
 * events. Pure and level-triggered: calling it again with the same inputs gives the same answer,
 * and it converges after a crash between acting and writing status.
 *
 * Phases it drives (the scheduler drives Pending → Admitted and Running → Pending on preemption):
 *   Admitted ──start──▶ Running ──all ranks exit 0──▶ Succeeded
 *   Running ──rank fails──▶ stop gang ──ended──▶ Pending (retryAfter = backoff) or Failed
 *   Running/Admitted ──scheduler sets Pending──▶ stop (Preempted) ──ended──▶ stays Pending, resumes later
 *   Running ──node spot notice──▶ Pending + Interrupted, stop with the notice's grace
 *   activeDeadlineSeconds (from the first attempt's start) ──▶ Failed (DeadlineExceeded)
 *   Succeeded/Failed + ttlSecondsAfterFinished ──▶ delete
 *
 * Example:
 * ```ts
 * const d = reconcileTrainingJob({ job, observed, nowMs, latestCheckpoint });
 * // d.actions: [{type: 'start', attempt: 0, workers: [...]}], d.status.phase === 'Running'
 * ```
 */
import type { ObservedAttempt, ObservedWorker, StopRequest, WorkerPlacement } from '../../ports/executor.js';
import { attemptEnded } from '../../ports/executor.js';
import { classifyEndedAttempt, firstFailure, type WorkerVerdict } from './attempt-class.js';
import {
  closedAttemptRecord, crashLoopStep, failureCount, nextAttemptIndex, readAttempts, upsertAttempt,
} from './attempt-records.js';
import { restartBackoffMs } from './backoff.js';
import { isoTime, latestTrueCondition, parseTimeMs, setCondition } from './conditions.js';
import type {
  AttemptRecord, TrainingAction, TrainingControllerConfig, TrainingDecision, TrainingEvent, TrainingReconcileInput,
} from './types.js';
import { DEFAULT_TRAINING_CONFIG } from './types.js';

/** How soon to look again while waiting on something the controller does not get an event for. */
const WAIT_POLL_MS = 250;

interface Ctx {
  input: TrainingReconcileInput;
  config: TrainingControllerConfig;
  spec: Record<string, any>;
  status: Record<string, any>;
  actions: TrainingAction[];
  events: TrainingEvent[];
  requeueAfterMs?: number;
}

export function reconcileTrainingJob(input: TrainingReconcileInput): TrainingDecision {
  const ctx: Ctx = {
    input,
    config: { ...DEFAULT_TRAINING_CONFIG, ...input.config },
    spec: (input.job.spec ?? {}) as Record<string, any>,
    status: structuredClone((input.job.status ?? {}) as Record<string, any>),
    actions: [],
    events: [],
  };
  decide(ctx);
  const before = JSON.stringify(input.job.status ?? {});
  const after = JSON.stringify(ctx.status);
  return {
    actions: ctx.actions,
    events: ctx.events,
    ...(before !== after ? { status: ctx.status } : {}),
    ...(ctx.requeueAfterMs !== undefined ? { requeueAfterMs: Math.max(0, ctx.requeueAfterMs) } : {}),
  };
}

function decide(ctx: Ctx): void {
  const { job, observed, nowMs } = ctx.input;
  const phase: string = ctx.status.phase ?? 'Pending';
  const live = observed !== undefined && !attemptEnded(observed);

  if (phase === 'Succeeded' || phase === 'Failed') {
    if (live) stopOnce(ctx, observed, { stopClass: 'Cancelled', gracePeriodMs: gracePeriodMs(ctx), message: `the job is already ${phase}` });
    else if (observed) {
      recordEndedAttempt(ctx, observed, classifyEndedAttempt(observed));
      ctx.actions.push({ type: 'release', attempt: observed.attempt });
    }
    ttl(ctx);
    return;
  }

  if (job.metadata.deletionTimestamp) {
    if (live) stopOnce(ctx, observed, { stopClass: 'Cancelled', gracePeriodMs: gracePeriodMs(ctx), message: 'the job is being deleted' });
    else if (observed) {
      recordEndedAttempt(ctx, observed, classifyEndedAttempt(observed));
      ctx.actions.push({ type: 'release', attempt: observed.attempt });
    }
    return;
  }

  if (observed && !live) return afterAttempt(ctx, observed, classifyEndedAttempt(observed));
  if (observed && live) return whileLive(ctx, observed, phase);

  // No attempt on the executor.
  if (phase === 'Running') {
    // Status says Running but the executor knows nothing: its workers are gone (state lost).
    const ghost: ObservedAttempt = {
      job: { namespace: job.metadata.namespace ?? 'default', name: job.metadata.name, uid: job.metadata.uid ?? '' },
      attempt: currentAttemptIndex(ctx) ?? nextAttemptIndex(readAttempts(ctx.status)),
      startedAtMs: parseTimeMs(ctx.status.startTime) ?? nowMs,
      workers: [],
    };
    return afterAttempt(ctx, ghost, { attemptClass: 'InfraFault', message: 'the executor has no record of the running workers (lost)' }, false);
  }
  if (deadlineExceeded(ctx)) return failForDeadline(ctx);
  if (phase === 'Admitted') return startAttempt(ctx);
  deadlineRequeue(ctx);
}

// ── Starting ────────────────────────────────────────────────────────────────

function startAttempt(ctx: Ctx): void {
  const { nowMs, latestCheckpoint, busyGpus, job } = ctx.input;
  if (ctx.config.requireCommand && !(Array.isArray(ctx.spec.command) && ctx.spec.command.length > 0)) {
    const message = ctx.spec.image
      ? `spec.image "${ctx.spec.image}" needs a container runtime; the local process runtime runs spec.command — set spec.command`
      : 'spec.command is empty: nothing to run';
    return finish(ctx, 'Failed', 'Unsupported', message);
  }
  const retryAfterMs = parseTimeMs(ctx.status.retryAfter);
  if (retryAfterMs !== undefined && retryAfterMs > nowMs) {
    ctx.requeueAfterMs = retryAfterMs - nowMs;
    return;
  }
  const placement = readPlacement(ctx);
  if (typeof placement === 'string') {
    ctx.events.push({ type: 'Warning', reason: 'InvalidPlacement', message: placement });
    ctx.requeueAfterMs = WAIT_POLL_MS * 4;
    return;
  }
  const self = `${job.metadata.namespace ?? 'default'}/${job.metadata.name}`;
  for (const w of placement) {
    for (const gpu of w.gpus) {
      const holder = busyGpus?.get(w.node)?.get(gpu);
      if (holder && holder !== self) {
        // The previous holder is still inside its grace period; start once its processes exit.
        ctx.status.message = `waiting for GPU ${gpu} on ${w.node} to be released by ${holder}`;
        ctx.requeueAfterMs = WAIT_POLL_MS;
        return;
      }
    }
  }
  const records = readAttempts(ctx.status);
  const attempt = nextAttemptIndex(records);
  const resumeFrom = latestCheckpoint ? { path: latestCheckpoint.path, step: latestCheckpoint.step } : undefined;
  ctx.actions.push({ type: 'start', attempt, workers: placement, ...(resumeFrom ? { resumeFrom } : {}) });
  const record: AttemptRecord = {
    index: attempt,
    ...(ctx.status.admittedAt ? { admittedAt: ctx.status.admittedAt } : {}),
    startTime: isoTime(nowMs),
    nodes: [...new Set(placement.map((w) => w.node))],
    ...(resumeFrom ? { restoredFromStep: resumeFrom.step } : {}),
  };
  ctx.status.attempts = upsertAttempt(records, record);
  ctx.status.phase = 'Running';
  ctx.status.startTime = isoTime(nowMs);
  delete ctx.status.retryAfter;
  delete ctx.status.message;
  ctx.status.workers = placement.map((w) => ({ rank: w.rank, node: w.node, gpus: w.gpus, phase: 'Starting' }));
  const how = resumeFrom ? `resuming from step ${resumeFrom.step} (${resumeFrom.path})` : 'from scratch';
  ctx.status.conditions = setCondition(ctx.status.conditions, {
    type: 'Running', status: 'True', reason: 'Started', message: `attempt ${attempt} started ${how}`,
  }, nowMs);
  ctx.events.push({
    type: 'Normal', reason: resumeFrom ? 'Resumed' : 'Started',
    message: `attempt ${attempt}: ${placement.length} worker(s) on ${record.nodes!.join(', ')}, ${how}`,
  });
  deadlineRequeue(ctx);
}

/** status.workers as the scheduler wrote them, checked: one per rank 0..n-1, each with a node. */
function readPlacement(ctx: Ctx): WorkerPlacement[] | string {
  const want: number = ctx.spec.workers ?? 1;
  const raw: unknown[] = Array.isArray(ctx.status.workers) ? ctx.status.workers : [];
  const workers: WorkerPlacement[] = [];
  for (const w of raw as Array<Record<string, any>>) {
    if (typeof w?.rank !== 'number' || typeof w.node !== 'string' || !w.node) {
      return `status.workers has an entry without rank or node: ${JSON.stringify(w)}`;
    }
    workers.push({ rank: w.rank, node: w.node, gpus: Array.isArray(w.gpus) ? w.gpus.filter((g: unknown) => typeof g === 'number') : [] });
  }
  workers.sort((a, b) => a.rank - b.rank);
  if (workers.length !== want || workers.some((w, i) => w.rank !== i)) {
    return `admitted with ${workers.length} worker placement(s) for ranks [${workers.map((w) => w.rank).join(', ')}]; spec.workers is ${want}`;
  }
  return workers;
}

// ── While workers run ───────────────────────────────────────────────────────

function whileLive(ctx: Ctx, observed: ObservedAttempt, phase: string): void {
  const { nowMs, interruptedNodes } = ctx.input;
  if (observed.stop) {
    if (phase === 'Running' && currentAttemptIndex(ctx) === observed.attempt) syncWorkers(ctx, observed.workers);
    ctx.requeueAfterMs = WAIT_POLL_MS * 4;
    return;
  }
  if (phase !== 'Running') {
    const records = readAttempts(ctx.status);
    const known = records.some((r) => r.index === observed.attempt);
    if (phase === 'Admitted' && !known && samePlacement(ctx, observed)) {
      // Started, but the Running status was never written (conflict or crash): adopt it.
      ctx.status.attempts = upsertAttempt(records, {
        index: observed.attempt, startTime: isoTime(observed.startedAtMs),
        nodes: [...new Set(observed.workers.map((w) => w.node))],
        ...(observed.resumeFrom ? { restoredFromStep: observed.resumeFrom.step } : {}),
      });
      ctx.status.phase = 'Running';
      ctx.status.startTime = isoTime(observed.startedAtMs);
      syncWorkers(ctx, observed.workers);
      // The start's event was lost with its status write; say it now, once, with the adoption.
      const how = observed.resumeFrom ? `resuming from step ${observed.resumeFrom.step} (${observed.resumeFrom.path})` : 'from scratch';
      ctx.status.conditions = setCondition(ctx.status.conditions, {
        type: 'Running', status: 'True', reason: 'Started', message: `attempt ${observed.attempt} started ${how}`,
      }, ctx.input.nowMs);
      ctx.events.push({
        type: 'Normal', reason: observed.resumeFrom ? 'Resumed' : 'Started',
        message: `attempt ${observed.attempt}: ${observed.workers.length} worker(s) on ${[...new Set(observed.workers.map((w) => w.node))].join(', ')}, ${how}`,
      });
      return;
    }
    // The scheduler took the GPUs back (phase Pending, or already re-admitted elsewhere).
    // A platform stop (idle GPUs, condition Stopped) uses the preemption protocol: notice, checkpoint, grace.
    const why = latestTrueCondition(ctx.status.conditions, ['Preempted', 'Interrupted', 'Stopped']);
    const stopClass = why?.type === 'Interrupted' ? 'Interrupted' : 'Preempted';
    return stopOnce(ctx, observed, {
      stopClass, gracePeriodMs: gracePeriodMs(ctx),
      message: why?.message ?? `the scheduler moved the job to ${phase} while attempt ${observed.attempt} was running`,
    });
  }

  if (deadlineExceeded(ctx)) {
    const limit = ctx.spec.activeDeadlineSeconds;
    ctx.status.conditions = setCondition(ctx.status.conditions, {
      type: 'DeadlineExceeded', status: 'True', reason: 'DeadlineExceeded', message: `activeDeadlineSeconds (${limit}) passed; stopping`,
    }, nowMs);
    return stopOnce(ctx, observed, { stopClass: 'DeadlineExceeded', gracePeriodMs: gracePeriodMs(ctx), message: `activeDeadlineSeconds (${limit}) passed` });
  }

  const notice = interruptionOf(observed.workers, interruptedNodes);
  if (notice) {
    const leftMs = notice.terminationMs - nowMs - ctx.config.interruptionMarginMs;
    const grace = Math.max(0, Math.min(gracePeriodMs(ctx), leftMs));
    const message = `node ${notice.node} is being reclaimed (spot interruption at ${isoTime(notice.terminationMs)}); requeued`;
    ctx.status.phase = 'Pending';
    ctx.status.workers = [];
    ctx.status.interruptions = (ctx.status.interruptions ?? 0) + 1;
    ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Interrupted', status: 'True', reason: 'SpotInterruption', message }, nowMs);
    ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Running', status: 'False', reason: 'Interrupted', message }, nowMs);
    ctx.events.push({ type: 'Warning', reason: 'Interrupted', message });
    return stopOnce(ctx, observed, { stopClass: 'Interrupted', gracePeriodMs: grace, message });
  }

  const failure = firstFailure(observed.workers);
  if (failure) {
    // One rank failed: the whole gang restarts, so stop the others first.
    syncWorkers(ctx, observed.workers, 'Terminating');
    ctx.events.push({ type: 'Warning', reason: 'WorkerFailed', message: `${failure.message}; stopping the other ranks` });
    return stopOnce(ctx, observed, { stopClass: failure.attemptClass, gracePeriodMs: gracePeriodMs(ctx), message: failure.message });
  }
  syncWorkers(ctx, observed.workers);
  deadlineRequeue(ctx);
}

function stopOnce(ctx: Ctx, observed: ObservedAttempt, request: StopRequest): void {
  if (!observed.stop) ctx.actions.push({ type: 'stop', request });
  ctx.requeueAfterMs = Math.min(ctx.requeueAfterMs ?? Infinity, request.gracePeriodMs + WAIT_POLL_MS * 4);
}

function samePlacement(ctx: Ctx, observed: ObservedAttempt): boolean {
  const placement = readPlacement(ctx);
  if (typeof placement === 'string' || placement.length !== observed.workers.length) return false;
  return placement.every((p) => {
    const w = observed.workers.find((o) => o.rank === p.rank);
    return !!w && w.node === p.node && w.gpus.join(',') === p.gpus.join(',');
  });
}

function interruptionOf(workers: readonly ObservedWorker[], nodes?: ReadonlyMap<string, number>): { node: string; terminationMs: number } | undefined {
  if (!nodes) return undefined;
  for (const w of workers) {
    const terminationMs = nodes.get(w.node);
    if (terminationMs !== undefined) return { node: w.node, terminationMs };
  }
  return undefined;
}

const WORKER_PHASE = { Starting: 'Starting', Running: 'Running', Terminating: 'Terminating', Lost: 'Unknown' } as const;

/** Copies worker phases, pids and exit codes into status.workers. */
function syncWorkers(ctx: Ctx, workers: readonly ObservedWorker[], liveOverride?: 'Terminating'): void {
  ctx.status.workers = [...workers].sort((a, b) => a.rank - b.rank).map((w) => {
    const phase = w.phase === 'Exited'
      ? (w.exitCode === 0 && !w.signal ? 'Succeeded' : 'Failed')
      : w.phase === 'Lost' ? 'Unknown' : liveOverride ?? WORKER_PHASE[w.phase];
    return {
      rank: w.rank, node: w.node, gpus: w.gpus, phase,
      ...(w.pid !== undefined && w.phase !== 'Exited' ? { pid: w.pid } : {}),
      ...(w.exitCode !== undefined ? { exitCode: w.exitCode } : {}),
      ...(w.signal ? { signal: w.signal } : {}),
    };
  });
}

// ── After an attempt ended ──────────────────────────────────────────────────

function recordEndedAttempt(ctx: Ctx, observed: ObservedAttempt, verdict: WorkerVerdict): AttemptRecord {
  const records = readAttempts(ctx.status);
  const existing = records.find((r) => r.index === observed.attempt);
  if (existing?.endTime) return existing; // already accounted for (crash before release)
  const record = closedAttemptRecord(records, observed, verdict, { nowMs: ctx.input.nowMs, checkpoint: ctx.input.latestCheckpoint });
  ctx.status.attempts = upsertAttempt(records, record);
  return record;
}

function afterAttempt(ctx: Ctx, observed: ObservedAttempt, verdict: WorkerVerdict, release = true): void {
  const { nowMs } = ctx.input;
  const records = readAttempts(ctx.status);
  const alreadyClosed = records.find((r) => r.index === observed.attempt)?.endTime !== undefined;
  const phase: string = ctx.status.phase ?? 'Pending';
  // Only a Running job ends with its attempt; a job the scheduler already moved on keeps its phase.
  const wasRunning = phase === 'Running' && (currentAttemptIndex(ctx) ?? observed.attempt) === observed.attempt;
  recordEndedAttempt(ctx, observed, verdict);
  if (release) ctx.actions.push({ type: 'release', attempt: observed.attempt });
  ctx.requeueAfterMs = 0;
  if (alreadyClosed) return;

  switch (verdict.attemptClass) {
    case 'Succeeded':
      if (!wasRunning) return;
      syncWorkers(ctx, observed.workers);
      return finish(ctx, 'Succeeded', 'Succeeded', `all ${observed.workers.length} ranks finished`);
    case 'DeadlineExceeded':
      return finish(ctx, 'Failed', 'DeadlineExceeded', `activeDeadlineSeconds (${ctx.spec.activeDeadlineSeconds}) passed`);
    case 'Cancelled':
      return finish(ctx, 'Failed', 'Cancelled', verdict.message);
    case 'Preempted':
    case 'Interrupted':
      if (wasRunning) {
        ctx.status.phase = 'Pending';
        ctx.status.workers = [];
      }
      return;
    case 'UserError':
    case 'InfraFault':
      return restartOrFail(ctx, verdict, wasRunning || phase === 'Running');
  }
}

function restartOrFail(ctx: Ctx, verdict: WorkerVerdict, ownsPhase: boolean): void {
  const { nowMs, latestCheckpoint } = ctx.input;
  const records = readAttempts(ctx.status);
  const failures = failureCount(records);
  const maxRestarts: number = ctx.spec.maxRestarts ?? ctx.config.defaultMaxRestarts;
  const loopStep = crashLoopStep(records, latestCheckpoint?.step);
  if (loopStep !== undefined) {
    return finish(ctx, 'Failed', 'CrashLoop',
      `crash loop: two attempts in a row restored checkpoint step ${loopStep} and failed without committing a newer one (last: ${verdict.message})`);
  }
  if (failures > maxRestarts) {
    return finish(ctx, 'Failed', 'BackoffLimitExceeded', `${verdict.message}; failed ${failures} time(s), maxRestarts is ${maxRestarts}`);
  }
  if (!ownsPhase) return;
  const backoffMs = restartBackoffMs(failures, ctx.config.backoffBaseMs, ctx.config.backoffMaxMs);
  const message = `${verdict.message}; restart ${failures} of ${maxRestarts} after ${backoffMs / 1000} s`;
  ctx.status.phase = 'Pending';
  ctx.status.workers = [];
  ctx.status.restarts = failures;
  ctx.status.retryAfter = isoTime(nowMs + backoffMs);
  ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Running', status: 'False', reason: verdict.attemptClass, message }, nowMs);
  ctx.events.push({ type: 'Warning', reason: 'Restarting', message });
}

function finish(ctx: Ctx, phase: 'Succeeded' | 'Failed', reason: string, message: string): void {
  const { nowMs } = ctx.input;
  ctx.status.phase = phase;
  ctx.status.completionTime = isoTime(nowMs);
  ctx.status.message = message;
  delete ctx.status.retryAfter;
  if (phase === 'Failed') {
    ctx.status.workers = (ctx.status.workers ?? []).map((w: Record<string, any>) => (
      ['Succeeded', 'Failed'].includes(w.phase) ? w : { ...w, phase: 'Failed' }));
  }
  ctx.status.conditions = setCondition(ctx.status.conditions, { type: 'Running', status: 'False', reason, message }, nowMs);
  ctx.status.conditions = setCondition(ctx.status.conditions, {
    type: phase === 'Succeeded' ? 'Complete' : 'Failed', status: 'True', reason, message,
  }, nowMs);
  ctx.events.push({ type: phase === 'Succeeded' ? 'Normal' : 'Warning', reason: phase, message: phase === 'Failed' ? `${reason}: ${message}` : message });
  ttl(ctx);
}

// ── Time limits ─────────────────────────────────────────────────────────────

/** activeDeadlineSeconds counts from the first attempt's start (queueing before that is free). */
function deadlineMs(ctx: Ctx): number | undefined {
  const seconds = ctx.spec.activeDeadlineSeconds;
  if (typeof seconds !== 'number') return undefined;
  const first = readAttempts(ctx.status)[0];
  const startMs = parseTimeMs(first?.startTime);
  return startMs === undefined ? undefined : startMs + seconds * 1000;
}

function deadlineExceeded(ctx: Ctx): boolean {
  const at = deadlineMs(ctx);
  return at !== undefined && ctx.input.nowMs >= at;
}

function deadlineRequeue(ctx: Ctx): void {
  const at = deadlineMs(ctx);
  if (at !== undefined) ctx.requeueAfterMs = Math.min(ctx.requeueAfterMs ?? Infinity, at - ctx.input.nowMs);
}

function failForDeadline(ctx: Ctx): void {
  ctx.status.workers = [];
  finish(ctx, 'Failed', 'DeadlineExceeded', `activeDeadlineSeconds (${ctx.spec.activeDeadlineSeconds}) passed`);
}

function ttl(ctx: Ctx): void {
  const seconds = ctx.spec.ttlSecondsAfterFinished;
  const doneMs = parseTimeMs(ctx.status.completionTime);
  if (typeof seconds !== 'number' || doneMs === undefined) return;
  const expiresMs = doneMs + seconds * 1000;
  if (ctx.input.nowMs >= expiresMs) ctx.actions.push({ type: 'delete' });
  else ctx.requeueAfterMs = Math.min(ctx.requeueAfterMs ?? Infinity, expiresMs - ctx.input.nowMs);
}

function gracePeriodMs(ctx: Ctx): number {
  const seconds = ctx.spec.terminationGracePeriodSeconds;
  return typeof seconds === 'number' && seconds >= 0 ? seconds * 1000 : ctx.config.defaultGracePeriodMs;
}

/** The attempt status.attempts[] says is open (no endTime), if any. */
function currentAttemptIndex(ctx: Ctx): number | undefined {
  const open = readAttempts(ctx.status).filter((r) => !r.endTime);
  return open.length > 0 ? open[open.length - 1].index : undefined;
}
