/**
 * The simulation report of SCENARIOS.md (`qm simulate -o json`): per workload, events,
 * per queue and overall metrics. Times are seconds from the scenario's start; a time that
 * never happened is null. Everything is sorted, so the same run gives the same report.
 *
 * Example:
 * ```ts
 * const report = await simulateScenario(scenario);
 * report.workloads[0]; // { kind: 'TrainingJob', namespace: 'team-a', name: 'big', phase: 'Succeeded', finishedAt: 7200, … }
 * report.metrics.gpuUtilization; // 0.5
 * ```
 */
import type { ClusterMirror } from './cluster-mirror.js';
import type { CostReportDocument } from '@qm/api';
import { usdPer1kRequests } from '@qm/core';
import { workloadKey, type CostLedger } from './cost-ledger.js';
import type { DeploymentRecord } from './deployment-tracker.js';
import type { RecordedEvent } from './memory-recorder.js';
import { jainIndex, mean, percentile, round, roundOrNull } from './metrics.js';
import type { JobRecord } from './sim-executor.js';
import type { UsageLedger } from './usage-ledger.js';
import { secondsOf } from './virtual-clock.js';

export interface WorkloadReport {
  kind: 'TrainingJob' | 'ModelDeployment';
  namespace: string;
  name: string;
  queue: string | null;
  priority: number;
  /** TrainingJob: Pending | Admitted | Running | Succeeded | Failed | Deleted; ModelDeployment: Pending | Degraded | Running | Deleted. */
  phase: string;
  submittedAt: number;
  admittedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Times the workload lost its GPUs: preempted by the scheduler or interrupted (node gone). */
  preemptions: number;
  restarts: number;
  lostWorkSeconds: number;
  nodes: string[];
  gpus: number;
  /** USD at the nodes' prices (GPUs, CPU and memory held; @qm/core metering). */
  costUSD: number;
  /** Of costUSD, what ran on spot and on on-demand nodes. */
  spotUSD?: number;
  onDemandUSD?: number;
  /** True when part of it ran on a node with no price (costUSD then covers only the priced part). */
  unpriced?: boolean;
  /** TrainingJob: USD spent on work later lost to preemption or interruption (lost seconds × the job's USD/hour then). */
  lostUSD?: number;
  /** GPU-seconds held. */
  gpuSeconds: number;
  /** Of `preemptions`, how many were interruptions (spot reclaim, node removed). */
  interruptions: number;
  /** ModelDeployment: the latest offered load from a `load` event. */
  offeredRps?: number;
  /** ModelDeployment with load: traffic over the run (serving-model.ts), rounded to whole requests. */
  serving?: ServingReport;
}

export interface ServingReport {
  /** spec.replicas at the end, and the most replicas placed at once. */
  replicas: number;
  peakReplicas: number;
  requests: number;
  servedRequests: number;
  /** Beyond the ready replicas' capacity, or while none was ready (503s live). */
  refusedRequests: number;
  /** Served slower than 4 × spec.simulation.baseLatencyMs. */
  slowRequests: number;
  maxLatencyMs: number | null;
  /** The deployment's costUSD per 1,000 served requests (unrounded figures); absent when none was served or costs are not metered. */
  usdPer1kRequests?: number;
}

export interface ReportEvent {
  t: number;
  reason: string;
  object: string;
  message: string;
  kind: string;
  type: 'Normal' | 'Warning';
}

export interface QueueReport {
  name: string;
  gpuSecondsUsed: number;
  /** The part of the usage within the queue's GPU guarantee. */
  guaranteedGpuSeconds: number;
  borrowedGpuSeconds: number;
}

export interface ReportMetrics {
  /** TrainingJobs submitted. */
  jobs: number;
  /** TrainingJobs that ended (Succeeded or Failed). */
  finished: number;
  avgJctSeconds: number | null;
  p50JctSeconds: number | null;
  p99JctSeconds: number | null;
  avgQueueingDelaySeconds: number | null;
  makespanSeconds: number | null;
  /** GPU-seconds allocated / GPU-seconds of capacity (capacity integrated over time as nodes come and go). */
  gpuUtilization: number | null;
  preemptions: number;
  lostGpuHours: number;
  /** Jain's index over per-queue GPU-seconds ÷ weight, for queues that received workloads. */
  jainFairness: number | null;
  /** Σ workloads' costUSD. */
  costUSD: number;
  /** What the nodes cost while they existed; = costUSD + idleCostUSD (the reconciliation). */
  nodeCostUSD?: number;
  /** Capacity nobody held. */
  idleCostUSD?: number;
  spotCostUSD?: number;
  onDemandCostUSD?: number;
}

export interface SimulationReport {
  scenario: string;
  endTime: number;
  workloads: WorkloadReport[];
  events: ReportEvent[];
  queues: QueueReport[];
  metrics: ReportMetrics;
  /** Only with SimulationOptions.costReportBy: the CostReport document `qm cost` prints, over the whole run. */
  costReport?: CostReportDocument;
}

export interface ReportInputs {
  scenario: string;
  endMs: number;
  jobs: JobRecord[];
  deployments: DeploymentRecord[];
  events: RecordedEvent[];
  ledger: UsageLedger;
  mirror: ClusterMirror;
  /** Cost from @qm/core metering; absent = the usage ledger's GPU-only figures. */
  costs?: CostLedger;
}

const s = (ms: number): number => round(secondsOf(ms), 3);
const sOrNull = (ms: number | undefined): number | null => (ms === undefined ? null : s(ms));

function jobRow(rec: JobRecord, inputs: ReportInputs): WorkloadReport {
  const usage = inputs.ledger.workload(rec.key, inputs.endMs);
  return {
    kind: 'TrainingJob', namespace: rec.namespace, name: rec.name,
    queue: inputs.mirror.queueFor(rec.obj) ?? null,
    priority: inputs.mirror.priorityOf(rec.obj),
    phase: rec.phase,
    submittedAt: s(rec.submittedMs),
    admittedAt: sOrNull(rec.firstAdmittedMs),
    startedAt: sOrNull(rec.firstStartedMs),
    finishedAt: sOrNull(rec.finishedMs),
    preemptions: rec.preemptions + rec.interruptions,
    restarts: rec.restarts,
    lostWorkSeconds: round(rec.lostMs / 1000, 3),
    nodes: rec.lastNodes,
    gpus: rec.gpus,
    ...costFields(inputs, rec.obj, usage.costUSD),
    ...(inputs.costs ? { lostUSD: round(inputs.costs.lostUSD(rec.key), 6) } : {}),
    gpuSeconds: round(usage.gpuSeconds, 3),
    interruptions: rec.interruptions,
  };
}

function deploymentPhase(rec: DeploymentRecord): string {
  if (rec.deleted) return 'Deleted';
  if (rec.placed === 0) return rec.replicas === 0 ? 'Running' : 'Pending';
  return rec.placed >= rec.replicas ? 'Running' : 'Degraded';
}

function deploymentRow(rec: DeploymentRecord, inputs: ReportInputs): WorkloadReport {
  const usage = inputs.ledger.workload(rec.key, inputs.endMs);
  const row: WorkloadReport = {
    kind: 'ModelDeployment', namespace: rec.namespace, name: rec.name,
    queue: inputs.mirror.queueFor(rec.obj) ?? null,
    priority: inputs.mirror.priorityOf(rec.obj),
    phase: deploymentPhase(rec),
    submittedAt: s(rec.submittedMs),
    admittedAt: sOrNull(rec.firstAdmittedMs),
    startedAt: sOrNull(rec.firstAdmittedMs),
    finishedAt: null,
    preemptions: rec.interruptions,
    restarts: 0,
    lostWorkSeconds: 0,
    nodes: rec.lastNodes,
    gpus: rec.replicas * rec.gpusPerReplica,
    ...costFields(inputs, rec.obj, usage.costUSD),
    gpuSeconds: round(usage.gpuSeconds, 3),
    interruptions: rec.interruptions,
  };
  if (rec.offeredRps !== undefined) {
    row.offeredRps = rec.offeredRps;
    const t = rec.meter.snapshot();
    row.serving = {
      replicas: rec.replicas, peakReplicas: rec.peakPlaced,
      requests: Math.round(t.offeredRequests), servedRequests: Math.round(t.servedRequests),
      refusedRequests: Math.round(t.refusedRequests), slowRequests: Math.round(t.slowRequests),
      maxLatencyMs: t.maxLatencyMs === undefined ? null : round(t.maxLatencyMs, 3),
    };
    const per1k = inputs.costs ? usdPer1kRequests(inputs.costs.workloadCost(rec.key, inputs.endMs).usd, t.servedRequests) : undefined;
    if (per1k !== undefined) row.serving.usdPer1kRequests = round(per1k, 6);
  }
  return row;
}

function costFields(inputs: ReportInputs, obj: { kind: string; metadata: { name: string; namespace?: string } }, fallbackUSD: number): Pick<WorkloadReport, 'costUSD' | 'spotUSD' | 'onDemandUSD' | 'unpriced'> {
  if (!inputs.costs) return { costUSD: round(fallbackUSD, 6) };
  const c = inputs.costs.workloadCost(workloadKey(obj as never), inputs.endMs);
  return { costUSD: round(c.usd, 6), spotUSD: round(c.spotUSD, 6), onDemandUSD: round(c.onDemandUSD, 6), ...(c.priced ? {} : { unpriced: true }) };
}

function compareRows(a: WorkloadReport, b: WorkloadReport): number {
  return a.submittedAt - b.submittedAt || cmp(a.namespace, b.namespace) || cmp(a.name, b.name) || cmp(a.kind, b.kind);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function metricsOf(rows: WorkloadReport[], jobs: JobRecord[], queues: QueueReport[], inputs: ReportInputs): ReportMetrics {
  const trainingRows = rows.filter((r) => r.kind === 'TrainingJob');
  const finished = trainingRows.filter((r) => r.finishedAt !== null);
  const jct = finished.map((r) => r.finishedAt! - r.submittedAt);
  const delays = trainingRows.filter((r) => r.admittedAt !== null).map((r) => r.admittedAt! - r.submittedAt);
  // Loops, not Math.min(...xs): the benchmark's 50,000 rows would overflow the argument list.
  let firstSubmit: number | null = null;
  for (const r of trainingRows) firstSubmit = firstSubmit === null ? r.submittedAt : Math.min(firstSubmit, r.submittedAt);
  let lastFinish: number | null = null;
  for (const r of finished) lastFinish = lastFinish === null ? r.finishedAt! : Math.max(lastFinish, r.finishedAt!);
  const capacity = inputs.ledger.capacityGpuSeconds(inputs.endMs);
  const allocated = inputs.ledger.allocatedGpuSeconds(inputs.endMs);
  let lostGpuMs = 0;
  for (const j of jobs) lostGpuMs += j.lostMs * j.gpus;
  const used = new Set(rows.map((r) => r.queue).filter((q): q is string => q !== null));
  const shares = queues.filter((q) => used.has(q.name)).map((q) => q.gpuSecondsUsed / inputs.mirror.queueWeight(q.name));
  let cost = 0;
  for (const r of rows) cost += r.costUSD;
  return {
    jobs: trainingRows.length,
    finished: finished.length,
    avgJctSeconds: roundOrNull(mean(jct), 3),
    p50JctSeconds: roundOrNull(percentile(jct, 50), 3),
    p99JctSeconds: roundOrNull(percentile(jct, 99), 3),
    avgQueueingDelaySeconds: roundOrNull(mean(delays), 3),
    makespanSeconds: firstSubmit === null || lastFinish === null ? null : round(lastFinish - firstSubmit, 3),
    gpuUtilization: capacity > 0 ? round(allocated / capacity, 6) : null,
    preemptions: rows.reduce((n, r) => n + r.preemptions, 0),
    lostGpuHours: round(lostGpuMs / 3_600_000, 6),
    jainFairness: roundOrNull(jainIndex(shares), 6),
    costUSD: round(cost, 6),
    ...nodeCost(inputs),
  };
}

function nodeCost(inputs: ReportInputs): Partial<ReportMetrics> {
  if (!inputs.costs) return {};
  // By node: the fewest rows to build; the totals do not depend on the grouping.
  const t = inputs.costs.report(inputs.endMs, 'node').totals;
  return {
    nodeCostUSD: round(t.nodeUSD, 6), idleCostUSD: round(t.idleUSD, 6),
    spotCostUSD: round(t.spotUSD, 6), onDemandCostUSD: round(t.onDemandUSD, 6),
  };
}

/** Builds the report from what the run recorded. */
export function buildReport(inputs: ReportInputs): SimulationReport {
  const rows = [
    ...inputs.jobs.map((j) => jobRow(j, inputs)),
    ...inputs.deployments.map((d) => deploymentRow(d, inputs)),
  ].sort(compareRows);
  // Recorded in the order they happened; a stable sort by time keeps that order within an instant.
  const events: ReportEvent[] = inputs.events
    .filter((e) => e.timeMs <= inputs.endMs)
    .map((e) => ({ t: s(e.timeMs), reason: e.reason, object: e.object, message: e.message, kind: e.kind, type: e.type }));
  events.sort((a, b) => a.t - b.t);
  const queueNames = new Set([...inputs.mirror.queueNames(), ...rows.map((r) => r.queue).filter((q): q is string => q !== null)]);
  const queues: QueueReport[] = [...queueNames].sort().map((name) => {
    const u = inputs.ledger.queue(name, inputs.endMs);
    return {
      name,
      gpuSecondsUsed: round(u.gpuSeconds, 3),
      guaranteedGpuSeconds: round(u.guaranteedGpuSeconds, 3),
      borrowedGpuSeconds: round(u.borrowedGpuSeconds, 3),
    };
  });
  return {
    scenario: inputs.scenario,
    endTime: s(inputs.endMs),
    workloads: rows,
    events,
    queues,
    metrics: metricsOf(rows, inputs.jobs, queues, inputs),
  };
}
