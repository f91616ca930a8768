/**
 * The CostReport document: what `GET …/costreport` serves and `qm cost` prints (live, or for a
 * simulated run with `--scenario`). Declared here, in the wire contract, so the server, the
 * simulator and the CLI share one shape. Money in USD, rounded to 1e-6.
 *
 * Example: `{ kind: 'CostReport', spec: { by: 'namespace', since: '7d', … }, rows: [{ key: 'team-a', usd: 12.5, … }], … }`
 */
export type CostGrouping = 'namespace' | 'queue' | 'job' | 'node';

/** One showback row: a namespace, queue, job or node. */
export interface CostRow {
  /** `team-a`, a queue name (`(none)` when unknown), `team-a/TrainingJob/bert`, or a node name. */
  key: string;
  gpuHours: number;
  cpuCoreHours: number;
  memoryGiBHours: number;
  usd: number;
  spotUSD: number;
  onDemandUSD: number;
  /** The row's share of idle cost (0 until idle is shared). */
  idleShareUSD: number;
  /** GPU-hours that ran on nodes with no price: their USD is unknown, not zero. */
  unpricedGpuHours: number;
  /** In the document: usd + idleShareUSD. */
  totalUSD?: number;
  /** `--by job`, ModelDeployment rows: USD per 1,000 requests over the deployment's life, where it served any. */
  usdPer1kRequests?: number;
}

/** Whole-cluster totals of a report. */
export interface CostTotals {
  nodeUSD: number;
  chargedUSD: number;
  idleUSD: number;
  /** nodeUSD − chargedUSD − idleUSD over the nodes in the cluster; 0 up to float rounding. */
  differenceUSD: number;
  /** Charged to work on nodes that are gone (not part of nodeUSD). */
  goneNodeUSD: number;
  gpuHours: number;
  cpuCoreHours: number;
  memoryGiBHours: number;
  spotUSD: number;
  onDemandUSD: number;
  unpricedGpuHours: number;
}

export interface CostReportDocument {
  apiVersion: string;
  kind: 'CostReport';
  metadata: { creationTimestamp: string };
  spec: { by: CostGrouping; since: string; start: string; end: string; namespace?: string };
  rows: CostRow[];
  idle: { usd: number; gpuHours: number; cpuCoreHours: number; memoryGiBHours: number; unsharedUSD: number };
  totals: CostTotals;
  unpricedNodes: Array<{ node: string; reason: string }>;
}
