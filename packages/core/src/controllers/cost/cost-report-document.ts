/**
 * The CostReport document `qm cost` prints, built from a CostReport: the same shape whether the
 * report covers the live platform (GET …/costreport) or a simulated run (`qm cost --scenario`),
 * so both are printed — and compared — by one code path. Money and hours are rounded to the
 * cent / 1e-6 as `roundCost` does; `totalUSD` per row is its USD plus its idle share.
 *
 * Example: `costReportDocument(report, { since: '7d', startMs, endMs, createdMs: now })`
 */
import { QM_API_VERSION, type CostReportDocument, type CostRow, type CostTotals } from '@qm/api';
import type { CostReport } from './cost-report.js';
import { roundCost } from './workload-cost.js';

export interface CostReportDocumentOptions {
  /** How the window was asked for: `7d`, or `scenario` for a whole simulated run. */
  since: string;
  startMs: number;
  endMs: number;
  createdMs: number;
  /** Only these rows (a namespace filter); default every row of the report. */
  rows?: readonly CostRow[];
  namespace?: string;
}

const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

export function costReportDocument(report: CostReport, opts: CostReportDocumentOptions): CostReportDocument {
  return {
    apiVersion: QM_API_VERSION,
    kind: 'CostReport',
    metadata: { creationTimestamp: iso(opts.createdMs) },
    spec: { by: report.by, since: opts.since, start: iso(opts.startMs), end: iso(opts.endMs), ...(opts.namespace !== undefined ? { namespace: opts.namespace } : {}) },
    rows: (opts.rows ?? report.rows).map((row): CostRow => ({ ...roundAll(row), totalUSD: roundCost(row.usd + row.idleShareUSD) })),
    idle: roundAll(report.idle),
    totals: roundAll<CostTotals>(report.totals),
    unpricedNodes: report.unpricedNodes,
  };
}

/** A copy with every number rounded as money (strings and other fields kept). */
function roundAll<T extends object>(obj: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = typeof v === 'number' ? roundCost(v) : v;
  return out as T;
}
