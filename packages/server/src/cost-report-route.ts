/**
 * `GET /apis/ml.quartermaster.dev/v1alpha1/costreport?by=namespace&since=7d[&namespace=team-a]`:
 * showback for the window [now − since, now], computed on request from the TrainingJobs'
 * attempts, the ModelDeployments' placed replicas and the Nodes (with their prices). A
 * `CostReport` document: rows by `by` (namespace | queue | job | node) with GPU-, CPU- and
 * memory-hours, USD split spot/on-demand and each row's share of idle cost (`by=job`: a
 * ModelDeployment's `usdPer1kRequests` from its status.cost, where it served any); idle; totals that
 * reconcile (nodeUSD = chargedUSD + idleUSD); and the nodes that have no price.
 *
 * Example:
 * ```ts
 * registerCostReportRoute(app, { store, clock });
 * // GET …/costreport?by=queue&since=24h → { kind: 'CostReport', spec: {by: 'queue', …}, rows: […], totals: {…} }
 * ```
 */
import type { FastifyInstance } from 'fastify';
import { QmError, parseDurationSeconds, type CostReportDocument } from '@qm/api';
import {
  buildCostReport, costReportDocument as toDocument, deploymentIntervals, parseCostGrouping, trainingJobIntervals,
  type Clock, type CostReport, type CostRow, type PodInterval, type Store,
} from '@qm/core';
import { loadClusterPrices } from './cost-prices.js';

export const COST_REPORT_PATH = '/apis/ml.quartermaster.dev/v1alpha1/costreport';
export const DEFAULT_COST_SINCE = '7d';

export interface CostReportQuery {
  by?: string;
  since?: string;
  namespace?: string;
}

export function registerCostReportRoute(app: FastifyInstance, deps: { store: Store; clock: Clock }): void {
  app.get(COST_REPORT_PATH, async (request) => costReportDocument(deps.store, deps.clock.now(), request.query as CostReportQuery));
}

/** The CostReport document for a query (BadRequest naming the parameter for bad input). */
export async function costReportDocument(store: Store, nowMs: number, query: CostReportQuery): Promise<CostReportDocument> {
  const byText = single(query.by) ?? 'namespace';
  const by = parseCostGrouping(byText);
  if (!by) throw new QmError('BadRequest', `by: must be one of namespace, queue, job, node; got ${JSON.stringify(byText)}`);
  const since = single(query.since) ?? DEFAULT_COST_SINCE;
  let seconds: number;
  try {
    seconds = parseDurationSeconds(/^\d+(\.\d+)?$/.test(since) ? Number(since) : since);
  } catch (err) {
    throw new QmError('BadRequest', `since: ${(err as Error).message} (e.g. 24h, 7d)`);
  }
  if (!(seconds > 0)) throw new QmError('BadRequest', `since: must be longer than 0, got ${JSON.stringify(since)}`);
  const namespace = single(query.namespace);
  const window = { startMs: nowMs - seconds * 1000, endMs: nowMs };

  const prices = await loadClusterPrices(store);
  const intervals: PodInterval[] = [];
  for (const job of (await store.list('TrainingJob')).items) {
    intervals.push(...trainingJobIntervals(job, nowMs, prices.defaultsFor(job.metadata.namespace ?? '')));
  }
  const deployments = (await store.list('ModelDeployment')).items;
  for (const md of deployments) {
    intervals.push(...deploymentIntervals(md, nowMs, prices.defaultsFor(md.metadata.namespace ?? '')));
  }
  const report = buildCostReport({
    window, by, intervals,
    nodes: prices.nodes.map((node) => ({ price: prices.priceOf(node.metadata.name), present: prices.presentIn(node, window) })),
  });
  const rows = namespace === undefined ? report.rows : rowsOfNamespace(report, intervals, namespace);
  if (by === 'job') {
    // Serving: USD per 1,000 requests over the deployment's life, as the cost loop keeps it in status.cost.
    const per1k = new Map<string, number>();
    for (const md of deployments) {
      const v = md.status?.cost?.usdPer1kRequests;
      if (typeof v === 'number' && Number.isFinite(v)) per1k.set(`${md.metadata.namespace ?? ''}/ModelDeployment/${md.metadata.name}`, v);
    }
    for (const row of rows) {
      const v = per1k.get(row.key);
      if (v !== undefined) row.usdPer1kRequests = v;
    }
  }
  return toDocument(report, { since, startMs: window.startMs, endMs: window.endMs, createdMs: nowMs, rows, ...(namespace !== undefined ? { namespace } : {}) });
}

// Filtering after the fact keeps each row's idle share what it is in the whole-cluster report.
function rowsOfNamespace(report: CostReport, intervals: PodInterval[], namespace: string): CostRow[] {
  if (report.by === 'namespace') return report.rows.filter((r) => r.key === namespace);
  if (report.by === 'job') return report.rows.filter((r) => r.key.startsWith(`${namespace}/`));
  const keys = new Set(intervals.filter((i) => i.owner.namespace === namespace).map((i) => (report.by === 'queue' ? i.owner.queue ?? '(none)' : i.node)));
  return report.rows.filter((r) => keys.has(r.key));
}

function single(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
  return v === undefined || v === '' ? undefined : String(v);
}
