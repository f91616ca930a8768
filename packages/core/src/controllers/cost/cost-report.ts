/**
 * A showback report for a time window: every node metered (charges + idle), charges grouped by
 * namespace, queue, job or node, idle shared back in proportion to spend, and totals that
 * reconcile (Σ charges + idle = node cost). The server's `costreport` endpoint and the
 * simulator's report both build it here, so they agree to the cent.
 *
 * Example:
 * ```ts
 * const report = buildCostReport({ window, by: 'namespace', nodes: [{ price }], intervals });
 * report.rows[0];            // { key: 'team-a', usd: 412.5, spotUSD: …, idleShareUSD: …, … }
 * report.totals.differenceUSD; // ≈ 0
 * ```
 */
import { meterNode, podIntervalCost, type NodeMeter, type PodCharge, type PodInterval, type TimeWindow } from './metering.js';
import type { NodePrice } from './node-price.js';
import { aggregateCharges, shareIdle, type CostGrouping, type CostRow } from './showback.js';
import { missingNodePrice } from './workload-cost.js';
import type { CostTotals } from '@qm/api';

export const COST_GROUPINGS: readonly CostGrouping[] = ['namespace', 'queue', 'job', 'node'];

export interface MeteredNode {
  price: NodePrice;
  /** When the node existed; absent = the whole window. */
  present?: TimeWindow;
}

export interface CostReportInput {
  window: TimeWindow;
  by: CostGrouping;
  nodes: readonly MeteredNode[];
  intervals: readonly PodInterval[];
}

export type { CostTotals } from '@qm/api';

export interface CostReport {
  window: TimeWindow;
  by: CostGrouping;
  /** One row per key, with its share of idle cost; highest USD first. */
  rows: CostRow[];
  idle: { usd: number; gpuHours: number; cpuCoreHours: number; memoryGiBHours: number; unsharedUSD: number };
  totals: CostTotals;
  unpricedNodes: Array<{ node: string; reason: string }>;
  meters: NodeMeter[];
}

export function buildCostReport(input: CostReportInput): CostReport {
  const known = new Set(input.nodes.map((n) => n.price.node));
  const { byNode, orphans } = groupIntervalsByNode(input.intervals, known, input.window);
  const meters = input.nodes.map((n) => meterNode(n.price, byNode.get(n.price.node) ?? [], input.window, n.present ?? input.window));
  const charges = [...meters.flatMap((m) => m.charges), ...orphans];
  const idle = { usd: 0, gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0 };
  let nodeUSD = 0;
  for (const m of meters) {
    nodeUSD += m.nodeUSD;
    idle.usd += m.idle.usd;
    idle.gpuHours += m.idle.gpuHours;
    idle.cpuCoreHours += m.idle.cpuCoreHours;
    idle.memoryGiBHours += m.idle.memoryGiBHours;
  }
  const shared = shareIdle(aggregateCharges(charges, input.by), idle.usd);
  const totals: CostTotals = {
    nodeUSD, chargedUSD: 0, idleUSD: idle.usd, differenceUSD: 0, goneNodeUSD: 0,
    gpuHours: 0, cpuCoreHours: 0, memoryGiBHours: 0, spotUSD: 0, onDemandUSD: 0, unpricedGpuHours: 0,
  };
  for (const c of charges) {
    if (known.has(c.node)) totals.chargedUSD += c.usd;
    else totals.goneNodeUSD += c.usd;
    totals.gpuHours += c.gpuHours;
    totals.cpuCoreHours += c.cpuCoreHours;
    totals.memoryGiBHours += c.memoryGiBHours;
    if (c.capacityType === 'spot') totals.spotUSD += c.usd;
    else totals.onDemandUSD += c.usd;
    if (!c.priced) totals.unpricedGpuHours += c.gpuHours;
  }
  totals.differenceUSD = totals.nodeUSD - totals.chargedUSD - totals.idleUSD;
  const unpricedNodes = [
    ...input.nodes.filter((n) => !n.price.priced).map((n) => ({ node: n.price.node, reason: n.price.priced ? '' : n.price.reason })),
    ...[...new Set(orphans.map((o) => o.node))].map((node) => ({ node, reason: missingNodePrice(node).reason })),
  ].sort((a, b) => a.node.localeCompare(b.node));
  return {
    window: input.window, by: input.by, rows: shared.rows,
    idle: { ...idle, unsharedUSD: shared.unsharedUSD }, totals, unpricedNodes, meters,
  };
}

/**
 * Splits intervals by node in one pass, keeping their order within a node (so each node's meter
 * sums in the same order as filtering the whole list would): metering is then O(pods), not
 * O(nodes × pods). Intervals on nodes not in `known` (gone) are charged on their own, clipped to
 * the window, at the unknown-node price: their hours count, their USD is unknown.
 */
export function groupIntervalsByNode(intervals: readonly PodInterval[], known: ReadonlySet<string>, window: TimeWindow): { byNode: Map<string, PodInterval[]>; orphans: PodCharge[] } {
  const byNode = new Map<string, PodInterval[]>();
  const orphans: PodCharge[] = [];
  for (const i of intervals) {
    if (!known.has(i.node)) {
      const startMs = Math.max(i.startMs, window.startMs);
      const endMs = Math.min(i.endMs, window.endMs);
      if (endMs > startMs) orphans.push(podIntervalCost({ ...i, startMs, endMs }, missingNodePrice(i.node)));
      continue;
    }
    let list = byNode.get(i.node);
    if (!list) byNode.set(i.node, list = []);
    list.push(i);
  }
  return { byNode, orphans };
}

/** Parses a `by` value, or undefined when it is not one of namespace, queue, job, node. */
export function parseCostGrouping(value: string): CostGrouping | undefined {
  return (COST_GROUPINGS as readonly string[]).includes(value) ? value as CostGrouping : undefined;
}
