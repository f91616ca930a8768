/**
 * Restart backoff after failures that are not preemptions: 10 s, 20 s, 40 s, … capped at 5 min.
 *
 * Example: `restartBackoffMs(3)` → 40_000 (the third failure waits 40 s before the job may run again).
 */
export const DEFAULT_BACKOFF_BASE_MS = 10_000;
export const DEFAULT_BACKOFF_MAX_MS = 300_000;

/** `failureCount` is 1 for the first failure. */
export function restartBackoffMs(failureCount: number, baseMs = DEFAULT_BACKOFF_BASE_MS, maxMs = DEFAULT_BACKOFF_MAX_MS): number {
  if (!Number.isInteger(failureCount) || failureCount < 1) return 0;
  // 2^30 already overflows any sane cap; stop doubling there so the number stays finite.
  const exponent = Math.min(failureCount - 1, 30);
  return Math.min(baseMs * 2 ** exponent, maxMs);
}
