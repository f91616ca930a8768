/**
 * The two renderings of a SimulationReport: JSON (the contract of SCENARIOS.md: stable key
 * order, 2-space indent, trailing newline, so reruns are byte-identical) and a table for people.
 *
 * Example:
 * ```ts
 * process.stdout.write(formatReportJson(report));   // {"scenario": "…", "endTime": 21600, …}
 * process.stdout.write(formatReportTable(report));  // WORKLOAD  QUEUE  PHASE  ADMITTED …
 * ```
 */
import type { QueueReport, ReportEvent, ReportMetrics, SimulationReport, WorkloadReport } from './report.js';

const WORKLOAD_KEYS: readonly (keyof WorkloadReport)[] = [
  'kind', 'namespace', 'name', 'queue', 'priority', 'phase', 'submittedAt', 'admittedAt', 'startedAt', 'finishedAt',
  'preemptions', 'restarts', 'lostWorkSeconds', 'nodes', 'gpus', 'costUSD', 'gpuSeconds', 'interruptions', 'offeredRps',
];
const EVENT_KEYS: readonly (keyof ReportEvent)[] = ['t', 'reason', 'object', 'message', 'kind', 'type'];
const QUEUE_KEYS: readonly (keyof QueueReport)[] = ['name', 'gpuSecondsUsed', 'guaranteedGpuSeconds', 'borrowedGpuSeconds'];
const METRIC_KEYS: readonly (keyof ReportMetrics)[] = [
  'jobs', 'finished', 'avgJctSeconds', 'p50JctSeconds', 'p99JctSeconds', 'avgQueueingDelaySeconds', 'makespanSeconds',
  'gpuUtilization', 'preemptions', 'lostGpuHours', 'jainFairness', 'costUSD',
  'nodeCostUSD', 'idleCostUSD', 'spotCostUSD', 'onDemandCostUSD',
];

/** A copy of `obj` with the known keys first, in `order`, then any others sorted by name. */
function ordered<T extends object>(obj: T, order: readonly (keyof T)[]): Record<string, unknown> {
  const src = obj as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of order) if (src[k as string] !== undefined) out[k as string] = src[k as string];
  for (const k of Object.keys(src).sort()) if (!(k in out) && src[k] !== undefined) out[k] = src[k];
  return out;
}

/** The report as one JSON document: same report → same bytes. */
export function formatReportJson(r: SimulationReport): string {
  const doc = {
    scenario: r.scenario,
    endTime: r.endTime,
    workloads: r.workloads.map((w) => ordered(w, WORKLOAD_KEYS)),
    events: r.events.map((e) => ordered(e, EVENT_KEYS)),
    queues: r.queues.map((q) => ordered(q, QUEUE_KEYS)),
    metrics: ordered(r.metrics, METRIC_KEYS),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Seconds as a short duration: 0s, 1.5s, 1m30s, 2h2m, 1d3h. */
export function humanSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds * 1000) / 1000}s`;
  let rest = Math.round(seconds);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${unit}`);
  }
  return parts.slice(0, 2).join('');
}

function time(t: number | null): string {
  return t === null ? '-' : humanSeconds(t);
}

function columns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => rows.reduce((w, r) => Math.max(w, r[i].length), h.length));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function metricValue(key: keyof ReportMetrics, v: number | null): string {
  if (v === null) return '-';
  if (key.endsWith('Seconds')) return `${v} (${humanSeconds(v)})`;
  if (key === 'gpuUtilization') return `${Math.round(v * 1000) / 10}%`;
  if (key.endsWith('CostUSD') || key === 'costUSD') return `$${v.toFixed(2)}`;
  return String(v);
}

/** A table for people: workloads, queues, then metrics. */
export function formatReportTable(r: SimulationReport): string {
  const workloads = columns(
    ['WORKLOAD', 'KIND', 'QUEUE', 'PHASE', 'SUBMITTED', 'ADMITTED', 'FINISHED', 'PREEMPTIONS', 'LOST', 'GPUS', 'NODES'],
    r.workloads.map((w) => [
      `${w.namespace}/${w.name}`, w.kind, w.queue ?? '-', w.phase, time(w.submittedAt), time(w.admittedAt), time(w.finishedAt),
      String(w.preemptions), humanSeconds(w.lostWorkSeconds), String(w.gpus), w.nodes.join(',') || '-',
    ]),
  );
  const queues = columns(
    ['QUEUE', 'GPU-HOURS', 'IN-GUARANTEE', 'BORROWED'],
    r.queues.map((q) => [q.name, hours(q.gpuSecondsUsed), hours(q.guaranteedGpuSeconds), hours(q.borrowedGpuSeconds)]),
  );
  const metrics = columns(['METRIC', 'VALUE'], METRIC_KEYS.filter((k) => r.metrics[k] !== undefined).map((k) => [k, metricValue(k, r.metrics[k] ?? null)]));
  return [
    `Scenario ${r.scenario}: ${r.workloads.length} workload${r.workloads.length === 1 ? '' : 's'}, ended at ${humanSeconds(r.endTime)} (t=${r.endTime}s)\n`,
    workloads, queues, metrics,
  ].join('\n');
}

function hours(gpuSeconds: number): string {
  return (gpuSeconds / 3600).toFixed(2);
}
