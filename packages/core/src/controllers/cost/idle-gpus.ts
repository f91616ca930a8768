/**
 * Idle-GPU detection: a workload whose GPUs all stay below a utilization threshold (default
 * 10 %) for a whole window (default 24 h) is idle. The window and threshold can be set per
 * namespace with annotations; samples come from `nvidia-smi` live or from a declared
 * utilization in a scenario. Pure: the caller keeps the samples and records the warning.
 *
 * Example:
 * ```ts
 * const policy = idlePolicyFor(namespace.metadata.annotations);          // { thresholdPercent: 10, windowMs: 86_400_000 }
 * const verdict = detectIdleGpus(samples, policy, nowMs);
 * if (verdict.idle) recorder.record(jobRef, 'Warning', IDLE_GPU_REASON, idleGpuMessage(verdict, policy));
 * ```
 */
import { QmError, parseDurationSeconds } from '@qm/api';

export const IDLE_THRESHOLD_ANNOTATION = 'quartermaster.dev/idle-gpu-threshold-percent';
export const IDLE_WINDOW_ANNOTATION = 'quartermaster.dev/idle-gpu-window';
export const IDLE_GPU_REASON = 'IdleGPUs';

export interface IdlePolicy {
  thresholdPercent: number;
  windowMs: number;
}

export const DEFAULT_IDLE_POLICY: IdlePolicy = { thresholdPercent: 10, windowMs: 24 * 3_600_000 };

/** One reading of one GPU a workload holds. */
export interface GpuUtilizationSample {
  timeMs: number;
  gpu: string;
  utilizationPercent: number;
}

export interface IdleVerdict {
  idle: boolean;
  /** Start of the current stretch in which every reading was below the threshold. */
  belowSinceMs?: number;
  /** Highest reading within that stretch. */
  maxPercent?: number;
}

/**
 * The namespace's policy: annotation values over the defaults. A bad annotation is a QmError
 * naming it (a threshold outside [0, 100], a window that is not a positive duration).
 */
export function idlePolicyFor(annotations: Record<string, string> | undefined, defaults: IdlePolicy = DEFAULT_IDLE_POLICY): IdlePolicy {
  const policy = { ...defaults };
  const threshold = annotations?.[IDLE_THRESHOLD_ANNOTATION];
  if (threshold !== undefined) {
    const n = Number(threshold);
    if (threshold.trim() === '' || !Number.isFinite(n) || n < 0 || n > 100) {
      throw new QmError('Invalid', `metadata.annotations[${IDLE_THRESHOLD_ANNOTATION}]: must be a percent in [0, 100], got ${JSON.stringify(threshold)}`);
    }
    policy.thresholdPercent = n;
  }
  const window = annotations?.[IDLE_WINDOW_ANNOTATION];
  if (window !== undefined) {
    let seconds: number;
    try {
      seconds = parseDurationSeconds(/^\d+(\.\d+)?$/.test(window) ? Number(window) : window);
    } catch (err) {
      throw new QmError('Invalid', `metadata.annotations[${IDLE_WINDOW_ANNOTATION}]: ${(err as Error).message}`);
    }
    if (!(seconds > 0)) throw new QmError('Invalid', `metadata.annotations[${IDLE_WINDOW_ANNOTATION}]: must be longer than 0, got ${JSON.stringify(window)}`);
    policy.windowMs = seconds * 1000;
  }
  return policy;
}

/**
 * Idle when the readings of every GPU have stayed below the threshold since at least
 * `windowMs` before `nowMs`, with readings covering that stretch from its start (a workload
 * observed for less than the window is not judged yet). A reading at or above the threshold on
 * any GPU starts the stretch over after it.
 */
export function detectIdleGpus(samples: readonly GpuUtilizationSample[], policy: IdlePolicy, nowMs: number): IdleVerdict {
  const sorted = samples.filter((s) => s.timeMs <= nowMs).sort((a, b) => a.timeMs - b.timeMs);
  if (sorted.length === 0) return { idle: false };
  let belowSinceMs: number | undefined = sorted[0].timeMs;
  let maxPercent = 0;
  for (let i = 0; i < sorted.length; i++) {
    const s = sorted[i];
    if (s.utilizationPercent >= policy.thresholdPercent) {
      belowSinceMs = sorted[i + 1]?.timeMs;
      maxPercent = 0;
    } else {
      maxPercent = Math.max(maxPercent, s.utilizationPercent);
    }
  }
  if (belowSinceMs === undefined) return { idle: false };
  return { idle: nowMs - belowSinceMs >= policy.windowMs, belowSinceMs, maxPercent };
}

/** The warning's message: what was seen, for how long, and how to change the policy. */
export function idleGpuMessage(verdict: IdleVerdict, policy: IdlePolicy, nowMs: number): string {
  const hours = verdict.belowSinceMs === undefined ? 0 : (nowMs - verdict.belowSinceMs) / 3_600_000;
  return `GPUs below ${policy.thresholdPercent}% utilization (max ${verdict.maxPercent ?? 0}%) for ${Math.round(hours * 10) / 10}h `
    + `(window ${policy.windowMs / 3_600_000}h; set ${IDLE_THRESHOLD_ANNOTATION} / ${IDLE_WINDOW_ANNOTATION} on the namespace to change)`;
}
