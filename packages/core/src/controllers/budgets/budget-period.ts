/**
 * Budget periods in UTC: a Daily period starts at 00:00 UTC, a Weekly one on Monday 00:00 UTC
 * (ISO weeks), a Monthly one on the 1st at 00:00 UTC. The end is exclusive.
 *
 * Example:
 * ```ts
 * budgetPeriodBounds('Weekly', Date.UTC(2024, 6, 4, 15)); // Thu 4 Jul 2024
 * // { startMs: Date.UTC(2024, 6, 1), endMs: Date.UTC(2024, 6, 8) }
 * ```
 */
import type { BudgetPeriod } from '@qm/api';

const DAY_MS = 86_400_000;

export interface PeriodBounds {
  startMs: number;
  endMs: number;
}

export function budgetPeriodBounds(period: BudgetPeriod, nowMs: number): PeriodBounds {
  const d = new Date(nowMs);
  const dayStart = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  switch (period) {
    case 'Daily':
      return { startMs: dayStart, endMs: dayStart + DAY_MS };
    case 'Weekly': {
      const sinceMonday = (d.getUTCDay() + 6) % 7;
      const startMs = dayStart - sinceMonday * DAY_MS;
      return { startMs, endMs: startMs + 7 * DAY_MS };
    }
    case 'Monthly':
      return { startMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), endMs: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
  }
}
