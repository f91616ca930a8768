/**
 * Bookkeeping of status.attempts[]: open a record when an attempt starts, close it with its
 * class, exit codes, restored-from step and lost work when its workers have all ended.
 *
 * Example: `closeAttemptRecord(records, observed, verdict, { nowMs, checkpoint })`
 */
import type { AttemptClass, ObservedAttempt } from '../../ports/executor.js';
import type { WorkerVerdict } from './attempt-class.js';
import { countsAsFailure } from './attempt-class.js';
import { isoTime, parseTimeMs } from './conditions.js';
import type { AttemptRecord, CheckpointRef } from './types.js';

const END_REASON: Record<AttemptClass, NonNullable<AttemptRecord['endReason']>> = {
  Succeeded: 'Succeeded',
  Preempted: 'Preempted',
  Interrupted: 'Interrupted',
  UserError: 'Failed',
  InfraFault: 'Failed',
  DeadlineExceeded: 'DeadlineExceeded',
  Cancelled: 'Deleted',
};

export function readAttempts(status: Record<string, any>): AttemptRecord[] {
  return Array.isArray(status.attempts) ? (status.attempts as AttemptRecord[]).map((a) => ({ ...a })) : [];
}

/** The index for the next attempt: above every recorded one and the executor's current one. */
export function nextAttemptIndex(records: readonly AttemptRecord[], observedAttempt?: number): number {
  let max = observedAttempt ?? -1;
  for (const r of records) if (typeof r.index === 'number' && r.index > max) max = r.index;
  return max + 1;
}

/** Work done since the last checkpoint taken during this attempt (or since the attempt started). */
export function lostWorkSeconds(attemptStartMs: number, endMs: number, checkpoint?: CheckpointRef): number {
  const savedAtMs = checkpoint && checkpoint.timeMs >= attemptStartMs ? checkpoint.timeMs : attemptStartMs;
  return Math.max(0, Math.round((endMs - savedAtMs) / 10) / 100);
}

/** Inserts or replaces the record with the same index, keeping the list sorted by index. */
export function upsertAttempt(records: readonly AttemptRecord[], record: AttemptRecord): AttemptRecord[] {
  const out = records.filter((r) => r.index !== record.index);
  out.push(record);
  return out.sort((a, b) => a.index - b.index);
}

export interface CloseContext {
  nowMs: number;
  checkpoint?: CheckpointRef;
}

/** The closed record of an ended attempt (a missing open record is rebuilt from what the executor saw). */
export function closedAttemptRecord(records: readonly AttemptRecord[], observed: ObservedAttempt, verdict: WorkerVerdict, ctx: CloseContext): AttemptRecord {
  const open = records.find((r) => r.index === observed.attempt);
  const startMs = parseTimeMs(open?.startTime) ?? observed.startedAtMs;
  const exitedAt = observed.workers.map((w) => w.exitedAtMs ?? 0);
  const endMs = Math.max(startMs, ...exitedAt.filter((ms) => ms > 0), exitedAt.some((ms) => ms === 0) ? ctx.nowMs : 0);
  const ranks = [...observed.workers].sort((a, b) => a.rank - b.rank);
  const exitCodes = ranks.map((w) => (w.phase === 'Exited' && !w.signal && w.exitCode !== undefined ? w.exitCode : null));
  const firstNonZero = exitCodes.find((c) => c !== null && c !== 0);
  const record: AttemptRecord = {
    ...(open ?? {}),
    index: observed.attempt,
    startTime: open?.startTime ?? isoTime(observed.startedAtMs),
    endTime: isoTime(endMs),
    endReason: END_REASON[verdict.attemptClass],
    class: verdict.attemptClass,
    message: verdict.message,
    nodes: open?.nodes ?? [...new Set(ranks.map((w) => w.node))],
    exitCodes,
    lostWorkSeconds: verdict.attemptClass === 'Succeeded' ? 0 : lostWorkSeconds(startMs, endMs, ctx.checkpoint),
  };
  if (firstNonZero !== undefined && firstNonZero !== null) record.exitCode = firstNonZero;
  if (observed.resumeFrom && record.restoredFromStep === undefined) record.restoredFromStep = observed.resumeFrom.step;
  return record;
}

/** How many recorded attempts ended in a failure that uses up maxRestarts. */
export function failureCount(records: readonly AttemptRecord[]): number {
  return records.filter((r) => countsAsFailure(r.class)).length;
}

/**
 * A crash loop: the last two attempts both failed after restoring the same checkpoint, and no
 * newer checkpoint was committed since — restarting again would restore it a third time.
 */
export function crashLoopStep(records: readonly AttemptRecord[], latestCheckpointStep?: number): number | undefined {
  const ended = records.filter((r) => r.class !== undefined);
  if (ended.length < 2) return undefined;
  const [previous, last] = ended.slice(-2);
  if (!countsAsFailure(previous.class) || !countsAsFailure(last.class)) return undefined;
  const step = last.restoredFromStep;
  if (step === undefined || previous.restoredFromStep !== step) return undefined;
  if (latestCheckpointStep !== undefined && latestCheckpointStep !== step) return undefined;
  return step;
}
