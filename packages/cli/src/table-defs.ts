import type { ApiObject, Condition, KindInfo } from '@qm/api';
import { formatAge } from './age.js';

/** One column of `qm get`'s table: a header and how to compute the cell from an object. */
export interface Column {
  header: string;
  value(obj: ApiObject, nowMs: number): string;
  /** Shown only with `-o wide` (after the default columns, as kubectl does). */
  wide?: boolean;
}

export interface TableView {
  headers: string[];
  rows: string[][];
  /** Lines printed under the table (e.g. that a node's GPUs are virtual). */
  notes: string[];
}

export const GPU = 'nvidia.com/gpu';
export const VIRTUAL_GPUS_LABEL = 'quartermaster.dev/virtual-gpus';
const NONE = '<none>';

const name: Column = { header: 'NAME', value: (o) => o.metadata?.name ?? NONE };
const age: Column = { header: 'AGE', value: (o, now) => formatAge(o.metadata?.creationTimestamp, now) };

/**
 * The columns of every kind's table, in order. Kinds without an entry get NAME, AGE.
 *
 * Example: `columnsFor('Queue', false).map((c) => c.header)[1] === 'GUARANTEED GPUS'`
 */
const COLUMNS: Record<string, Column[]> = {
  TrainingJob: [
    name,
    { header: 'QUEUE', value: (o) => str(o.spec?.queue ?? o.status?.queue) },
    { header: 'PHASE', value: (o) => str(o.status?.phase) },
    { header: 'WORKERS', value: (o) => str(o.spec?.workers) },
    { header: 'GPUS', value: (o) => String(num(o.spec?.workers, 1) * num(o.spec?.gpusPerWorker, 0)) },
    { header: 'REASON', value: (o) => str(o.status?.pendingReason ?? latestCondition(o.status?.conditions)?.reason) },
    age,
    { header: 'NODES', wide: true, value: (o) => str(unique((o.status?.workers ?? []).map((w: { node?: string }) => w.node)).join(',')) },
    { header: 'RESTARTS', wide: true, value: (o) => String(num(o.status?.restarts, 0)) },
    { header: 'PREEMPTIONS', wide: true, value: (o) => String(num(o.status?.preemptions, 0)) },
    { header: 'POSITION', wide: true, value: (o) => (o.status?.queuePosition === undefined ? '-' : String(o.status.queuePosition)) },
  ],
  ModelDeployment: [
    name,
    { header: 'READY', value: (o) => `${num(o.status?.readyReplicas, 0)}/${num(o.spec?.replicas ?? o.status?.replicas, 0)}` },
    { header: 'UP-TO-DATE', value: (o) => String(num(o.status?.updatedReplicas, 0)) },
    { header: 'ENDPOINT', value: (o) => str(o.status?.endpoint) },
    age,
  ],
  Queue: [
    name,
    { header: 'GUARANTEED GPUS', value: (o) => gpuCell(quotaGpus(o.spec, 'guaranteed'), '0') },
    { header: 'MAX', value: (o) => gpuCell(quotaGpus(o.spec, 'max'), NONE) },
    { header: 'USAGE', value: (o) => gpuCell(gpusOf(o.status?.usage), '0') },
    { header: 'BORROWED', value: (o) => gpuCell(gpusOf(o.status?.borrowed), '0') },
    { header: 'PENDING', value: (o) => countOrGpus(o.status?.pending) },
    { header: 'ADMITTED', value: (o) => countOrGpus(o.status?.admitted) },
    { header: 'SHARE', value: (o) => percent(o.status?.dominantShare) },
  ],
  Node: [
    name,
    { header: 'STATUS', value: nodeStatus },
    { header: 'GPU MODEL', value: nodeGpuModel },
    { header: 'GPUS', value: (o) => gpuCell(gpusOf(o.status?.allocatable ?? o.status?.capacity), '0') },
    { header: 'CPU', value: (o) => str((o.status?.allocatable ?? o.status?.capacity)?.cpu) },
    { header: 'MEMORY', value: (o) => formatMemory((o.status?.allocatable ?? o.status?.capacity)?.memory) },
    { header: 'POOL', value: (o) => str(o.metadata?.labels?.['quartermaster.dev/pool']) },
    { header: 'CAPACITY TYPE', value: (o) => str(o.metadata?.labels?.['quartermaster.dev/capacity-type']) },
    age,
  ],
  Event: [
    { header: 'LAST SEEN', value: (o, now) => formatAge(eventTime(o), now) },
    { header: 'TYPE', value: (o) => str(o.type) },
    { header: 'REASON', value: (o) => str(o.reason) },
    { header: 'OBJECT', value: (o) => involvedObject(o) },
    { header: 'MESSAGE', value: (o) => str(o.message) },
  ],
  PriorityClass: [
    name,
    { header: 'VALUE', value: (o) => str(o.value) },
    { header: 'GLOBAL-DEFAULT', value: (o) => String(o.globalDefault === true) },
    { header: 'PREEMPTION', value: (o) => str(o.preemptionPolicy ?? 'PreemptLowerPriority') },
    age,
  ],
  Namespace: [name, { header: 'STATUS', value: (o) => str(o.status?.phase ?? 'Active') }, age],
  Budget: [
    name,
    { header: 'TARGET', value: (o) => (o.spec?.target?.namespace !== undefined ? `namespace/${o.spec.target.namespace}` : `queue/${str(o.spec?.target?.queue)}`) },
    { header: 'PERIOD', value: (o) => str(o.spec?.period) },
    { header: 'AMOUNT', value: (o) => usdCell(o.spec?.amountUSD) },
    { header: 'SPENT', value: (o) => usdCell(o.status?.spentUSD) },
    { header: 'FORECAST', value: (o) => usdCell(o.status?.forecastUSD) },
    { header: 'FIRED', value: (o) => firedCell(o.status?.triggered) },
    { header: 'BLOCKING', value: (o) => String(o.status?.blocking === true) },
    age,
  ],
};

function usdCell(v: unknown): string {
  const n = Number(v);
  return v === undefined || v === null || !Number.isFinite(n) ? '-' : `$${n.toFixed(2)}`;
}

/** Thresholds fired this period, e.g. `80%,100%F` (F = forecasted). */
function firedCell(triggered: unknown): string {
  if (!Array.isArray(triggered) || triggered.length === 0) return NONE;
  return triggered.map((t: { percent?: number; type?: string }) => `${t.percent}%${t.type === 'Forecasted' ? 'F' : ''}`).join(',');
}

export function columnsFor(kind: string, wide: boolean): Column[] {
  const columns = COLUMNS[kind] ?? [name, age];
  return columns.filter((c) => wide || !c.wide);
}

/**
 * Builds the table for `qm get`: rows in the order given (events sorted by last timestamp),
 * a NAMESPACE column first for namespaced kinds listed across namespaces.
 */
export function buildTable(info: KindInfo, objects: ApiObject[], opts: { wide: boolean; allNamespaces: boolean; nowMs: number }): TableView {
  const columns = columnsFor(info.kind, opts.wide);
  const withNamespace = opts.allNamespaces && info.namespaced;
  const sorted = info.kind === 'Event' ? sortEvents(objects) : objects;
  const headers = [...(withNamespace ? ['NAMESPACE'] : []), ...columns.map((c) => c.header)];
  const rows = sorted.map((o) => [
    ...(withNamespace ? [str(o.metadata?.namespace)] : []),
    ...columns.map((c) => cellText(c.value(o, opts.nowMs))),
  ]);
  const notes: string[] = [];
  if (info.kind === 'Node' && objects.some(isVirtualGpuNode)) {
    notes.push('Note: "virtual" GPUs are simulated (qm up --virtual-gpus): they are scheduled like real GPUs, but no GPU hardware backs them.');
  }
  return { headers, rows, notes };
}

/** Events oldest first by last occurrence, as kubectl sorts them. */
export function sortEvents(events: ApiObject[]): ApiObject[] {
  return [...events].sort((a, b) => (Date.parse(eventTime(a) ?? '') || 0) - (Date.parse(eventTime(b) ?? '') || 0));
}

export function eventTime(ev: ApiObject): string | undefined {
  return (ev.lastTimestamp ?? ev.eventTime ?? ev.firstTimestamp ?? ev.metadata?.creationTimestamp) as string | undefined;
}

/** The condition that changed last (ties: the later one in the list). */
export function latestCondition(conditions: Condition[] | undefined): Condition | undefined {
  let latest: Condition | undefined;
  for (const c of conditions ?? []) {
    if (!latest || (Date.parse(c.lastTransitionTime ?? '') || 0) >= (Date.parse(latest.lastTransitionTime ?? '') || 0)) latest = c;
  }
  return latest;
}

export function isVirtualGpuNode(node: ApiObject): boolean {
  return node.metadata?.labels?.[VIRTUAL_GPUS_LABEL] === 'true';
}

function nodeStatus(node: ApiObject): string {
  const ready = (node.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
  const base = ready?.status === 'True' ? 'Ready' : 'NotReady';
  return node.spec?.unschedulable ? `${base},SchedulingDisabled` : base;
}

function nodeGpuModel(node: ApiObject): string {
  if (isVirtualGpuNode(node)) return `virtual (${gpusOf(node.status?.allocatable ?? node.status?.capacity) ?? 0})`;
  return str(node.metadata?.labels?.['quartermaster.dev/gpu-model'] ?? node.status?.gpus?.[0]?.model);
}

function involvedObject(ev: ApiObject): string {
  const ref = ev.involvedObject as { kind?: string; name?: string } | undefined;
  if (!ref?.name) return NONE;
  return ref.kind ? `${ref.kind.toLowerCase()}/${ref.name}` : ref.name;
}

/** GPUs in a resource list (`nvidia.com/gpu`), undefined when the list or the entry is absent. */
export function gpusOf(list: Record<string, unknown> | undefined): number | undefined {
  const v = list?.[GPU];
  if (v === undefined || v === null) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** A queue's GPUs for `guaranteed` or `max`: the top-level list, or the sum over its flavors. */
function quotaGpus(spec: Record<string, any> | undefined, field: 'guaranteed' | 'max'): number | undefined {
  const top = gpusOf(spec?.[field]);
  if (top !== undefined) return top;
  const perFlavor = ((spec?.flavors ?? []) as Record<string, any>[]).map((f) => gpusOf(f[field])).filter((n): n is number => n !== undefined);
  return perFlavor.length ? perFlavor.reduce((a, b) => a + b, 0) : undefined;
}

function gpuCell(n: number | undefined, absent: string): string {
  return n === undefined ? absent : String(n);
}

/** Queue status counts may be a number of workloads or a resource list; show GPUs for a list. */
function countOrGpus(v: unknown): string {
  if (v === undefined || v === null) return '0';
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (Array.isArray(v)) return String(v.length);
  return gpuCell(gpusOf(v as Record<string, unknown>), '0');
}

function percent(v: unknown): string {
  const n = Number(v);
  if (v === undefined || v === null || !Number.isFinite(n)) return '0%';
  return `${Math.round(n * 100)}%`;
}

const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50 };
const DECIMAL_SUFFIX: Record<string, number> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15 };

/**
 * Memory for a table cell: quantities of a gibibyte or more in Gi (`24683652Ki` → `23.5Gi`),
 * smaller ones in Mi; anything unparseable as it came.
 */
export function formatMemory(v: unknown): string {
  if (v === undefined || v === null || v === '') return NONE;
  const s = String(v);
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|Pi|k|M|G|T|P)?$/.exec(s);
  if (!m) return s;
  const bytes = Number(m[1]) * (BINARY_SUFFIX[m[2] ?? ''] ?? DECIMAL_SUFFIX[m[2] ?? '']);
  const gib = bytes / 2 ** 30;
  if (gib >= 1) return `${Number.isInteger(gib) ? gib : Number(gib.toFixed(1))}Gi`;
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}

function str(v: unknown): string {
  if (v === undefined || v === null || v === '') return NONE;
  return String(v);
}

function num(v: unknown, fallback: number): number {
  const n = Number(v);
  return v === undefined || v === null || !Number.isFinite(n) ? fallback : n;
}

function unique(values: (string | undefined)[]): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}

/** Cells are one line: newlines in messages would break the table. */
function cellText(v: string): string {
  return v.replace(/\s*\n\s*/g, ' ');
}
