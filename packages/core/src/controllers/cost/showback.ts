/**
 * Showback: charges summed per namespace, queue, job or node; idle cost shared back in
 * proportion to use; and the part of a training job's cost spent on work later lost to
 * preemption.
 *
 * Example:
 * ```ts
 * const rows = aggregateCharges(meters.flatMap((m) => m.charges), 'namespace');
 * const { rows: shared, unsharedUSD } = shareIdle(rows, reconcileMeters(meters).idleUSD);
 * ```
 */
import type { PodCharge } from './metering.js';
import type { CostGrouping, CostRow } from '@qm/api';

export type { CostGrouping, CostRow } from '@qm/api';

/** The grouping key of a charge. */
export function costKey(charge: PodCharge, by: CostGrouping): string {
  switch (by) {
    case 'namespace': return charge.owner.namespace;
    case 'queue': return charge.owner.queue ?? '(none)';
    case 'job': return `${charge.owner.namespace}/${charge.owner.kind}/${charge.owner.name}`;
    case 'node': return charge.node;
  }
}

/** Sums charges into rows by `by`, sorted by USD (highest first), then key. */
export function aggregateCharges(charges: readonly PodCharge[], by: CostGrouping): CostRow[] {
  const rows = new Map<string, CostRow>();
  for (const c of charges) {
    const key = costKey(c, by);
    let row = rows.get(key);
    if (!row) {
      row = { key, gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0, usd: 0, spotUSD: 0, onDemandUSD: 0, idleShareUSD: 0, unpricedGpuHours: 0 };
      rows.set(key, row);
    }
    row.gpuHours += c.gpuHours;
    row.cpuCoreHours += c.cpuCoreHours;
    row.memoryGiBHours += c.memoryGiBHours;
    row.usd += c.usd;
    if (c.capacityType === 'spot') row.spotUSD += c.usd;
    else row.onDemandUSD += c.usd;
    if (!c.priced) row.unpricedGpuHours += c.gpuHours;
  }
  return [...rows.values()].sort((a, b) => b.usd - a.usd || a.key.localeCompare(b.key));
}

/**
 * Shares `idleUSD` over rows in proportion to their USD. With no priced use at all nothing can
 * be shared: it all stays in `unsharedUSD`.
 */
export function shareIdle(rows: readonly CostRow[], idleUSD: number): { rows: CostRow[]; unsharedUSD: number } {
  const total = rows.reduce((s, r) => s + r.usd, 0);
  if (total <= 0 || idleUSD <= 0) return { rows: rows.map((r) => ({ ...r })), unsharedUSD: Math.max(0, idleUSD) };
  return { rows: rows.map((r) => ({ ...r, idleShareUSD: (idleUSD * r.usd) / total })), unsharedUSD: 0 };
}

/** One attempt of a training job, as metering saw it. */
export interface AttemptCost {
  /** Seconds the attempt ran (its workers were Running). */
  runSeconds: number;
  /** What the attempt cost in all. */
  usd: number;
  /** Work done since the last checkpoint when the attempt ended (TrainingJob status.attempts[].lostWorkSeconds). */
  lostWorkSeconds?: number;
}

/**
 * USD spent on work later lost: each attempt's cost × lostWorkSeconds / runSeconds (the job's
 * spend rate is taken as even over an attempt).
 *
 * Example: `lostWorkUSD([{ runSeconds: 3600, usd: 10, lostWorkSeconds: 900 }]) === 2.5`
 */
export function lostWorkUSD(attempts: readonly AttemptCost[]): number {
  let lost = 0;
  for (const a of attempts) {
    if (a.runSeconds <= 0 || !a.lostWorkSeconds) continue;
    lost += a.usd * Math.min(1, a.lostWorkSeconds / a.runSeconds);
  }
  return lost;
}

/**
 * USD per 1,000 requests: undefined when no request was served (a price per nothing is not 0).
 * Throws RangeError for a negative or non-finite input, naming it.
 *
 * Example: `usdPer1kRequests(12.5, 250_000) === 0.05`
 */
export function usdPer1kRequests(usd: number, requests: number): number | undefined {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`usd: must be a finite number ≥ 0, got ${usd}`);
  if (!Number.isFinite(requests) || requests < 0) throw new RangeError(`requests: must be a finite number ≥ 0, got ${requests}`);
  return requests > 0 ? (usd * 1000) / requests : undefined;
}
