/**
 * The statistics of a simulation report, as pure functions.
 *
 * Example:
 * ```ts
 * percentile([10, 20, 30, 40], 50);     // 20 (nearest rank)
 * jainIndex([1, 1, 1]);                 // 1: perfectly fair
 * jainIndex([3, 0, 0]);                 // 1/3
 * ```
 */

/** Nearest-rank percentile of `values` (any order); null when empty. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function mean(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/**
 * Jain's fairness index (Σx)² / (n·Σx²): 1 when every share is equal, 1/n when one takes
 * everything. null for no shares; 1 when all shares are 0 (nobody got more than anybody).
 */
export function jainIndex(shares: readonly number[]): number | null {
  if (shares.length === 0) return null;
  let sum = 0;
  let sumSq = 0;
  for (const x of shares) {
    sum += x;
    sumSq += x * x;
  }
  return sumSq === 0 ? 1 : (sum * sum) / (shares.length * sumSq);
}

/** Rounds to `digits` decimals (keeps reports free of float noise such as 0.30000000000000004). */
export function round(value: number, digits: number): number {
  const f = 10 ** digits;
  const r = Math.round(value * f) / f;
  return Object.is(r, -0) ? 0 : r;
}

export function roundOrNull(value: number | null, digits: number): number | null {
  return value === null ? null : round(value, digits);
}
