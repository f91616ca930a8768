/**
 * The simulated runtime's work rules, as pure functions over milliseconds:
 * a job banks work only at checkpoints (every `checkpointIntervalMs` of running time in an
 * attempt); stopping loses what ran since the last checkpoint, unless the stop itself
 * saves (a spot notice lets a checkpointing job save first).
 *
 * Example:
 * ```ts
 * // 70 min into an attempt with 30-min checkpoints, preempted: 60 min banked, 10 min lost.
 * stopAttempt({ bankedMs: 0, checkpointIntervalMs: 1_800_000 }, 4_200_000, false);
 * // → { bankedMs: 3_600_000, lostMs: 600_000, checkpoints: 2 }
 * ```
 */

export interface WorkProgress {
  /** Work saved by checkpoints (survives a stop). */
  bankedMs: number;
  /** Running time between checkpoints; absent = the job never checkpoints. */
  checkpointIntervalMs?: number;
}

export interface StopOutcome {
  bankedMs: number;
  lostMs: number;
  /** Checkpoints taken during the attempt (incl. one saved on stop). */
  checkpoints: number;
}

/** Checkpoints completed after `elapsedMs` of running in one attempt. */
export function checkpointsWithin(elapsedMs: number, checkpointIntervalMs: number | undefined): number {
  if (checkpointIntervalMs === undefined || checkpointIntervalMs <= 0 || elapsedMs <= 0) return 0;
  return Math.floor(elapsedMs / checkpointIntervalMs);
}

/**
 * Ends an attempt after `elapsedMs` of running. `saveOnStop`: the job checkpoints as it stops
 * (only a job that checkpoints at all can), so nothing is lost.
 */
export function stopAttempt(progress: WorkProgress, elapsedMs: number, saveOnStop: boolean): StopOutcome {
  const elapsed = Math.max(0, elapsedMs);
  const interval = progress.checkpointIntervalMs;
  if (saveOnStop && interval !== undefined && elapsed > 0) {
    const regular = checkpointsWithin(elapsed, interval);
    const onStop = elapsed % interval === 0 ? 0 : 1;
    return { bankedMs: progress.bankedMs + elapsed, lostMs: 0, checkpoints: regular + onStop };
  }
  const checkpoints = checkpointsWithin(elapsed, interval);
  const saved = interval === undefined ? 0 : checkpoints * interval;
  return { bankedMs: progress.bankedMs + saved, lostMs: elapsed - saved, checkpoints };
}

/** Running time still needed after `bankedMs`, or undefined for a job without `work`. */
export function remainingMs(workMs: number | undefined, bankedMs: number): number | undefined {
  return workMs === undefined ? undefined : Math.max(0, workMs - bankedMs);
}

/** When the checkpoint after `nowMs` falls in an attempt that started at `startMs` (undefined: never). */
export function nextCheckpointAtMs(startMs: number, nowMs: number, checkpointIntervalMs: number | undefined): number | undefined {
  if (checkpointIntervalMs === undefined || checkpointIntervalMs <= 0) return undefined;
  const done = checkpointsWithin(nowMs - startMs, checkpointIntervalMs);
  return startMs + (done + 1) * checkpointIntervalMs;
}
