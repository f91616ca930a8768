/**
 * The expectation format of the scenario suite: a `NAME.expect.yaml` next to each `NAME.yaml`
 * says what `qm simulate -o json` must report, and (where the simulator exposes the final
 * objects) what the final status of some objects must be. Every value is derived by hand from
 * the semantics of issue 3 and the scheduler/simulator contracts, never copied from a run.
 *
 * Example (`borrow-then-reclaim.expect.yaml`):
 * ```yaml
 * endTime: 14400
 * workloads:
 *   team-a/a-2:                      # "ns/name" of a TrainingJob, or "ModelDeployment ns/name"
 *     admittedAt: 60                 # exact value; null = never happened
 *     finishedAt: {min: 7690, max: 7810}   # a range where the semantics allow several answers
 *     preemptions: 1
 *     nodes: [gpu-1]
 * events:
 *   - {reason: Preempted, object: team-a/a-2, t: 2000, messageContains: [team-b/b-1, reclaim]}
 *   - {reason: Preempted, count: 1}  # exactly one Preempted event in the whole run
 * queues:
 *   team-a: {borrowedGpuSeconds: 14400}
 * metrics: {preemptions: 1}
 * status:                            # final objects (needs the simulator to expose them)
 *   TrainingJob team-a/p-1: {phase: Pending, queuePosition: 1, estimatedStartAt: 3600,
 *                            pendingReasonContains: ["8"]}
 * ```
 * An event entry without `count` must match at least one event; with `count`, exactly that many.
 */

type Obj = Record<string, any>;

export interface NumberRange { min?: number; max?: number }
/** A number, null (never happened), or an inclusive range. */
export type NumberExpect = number | null | NumberRange;

export interface WorkloadExpect {
  phase?: string;
  queue?: string;
  priority?: number;
  submittedAt?: NumberExpect;
  admittedAt?: NumberExpect;
  startedAt?: NumberExpect;
  finishedAt?: NumberExpect;
  preemptions?: NumberExpect;
  restarts?: NumberExpect;
  lostWorkSeconds?: NumberExpect;
  /** TrainingJob: USD spent on work later lost (report `lostUSD`). */
  lostUSD?: NumberExpect;
  nodes?: string[];
  gpus?: NumberExpect;
  /** A ModelDeployment's traffic summary (report `serving`: requests, servedRequests, refusedRequests, slowRequests, maxLatencyMs, replicas, peakReplicas). */
  serving?: Record<string, NumberExpect>;
}

export interface EventExpect {
  reason: string;
  object?: string;
  objectContains?: string;
  t?: NumberExpect;
  messageContains?: string | string[];
  count?: number;
}

export interface StatusExpect {
  phase?: string;
  pendingReasonContains?: string | string[];
  queuePosition?: number | null;
  /** status.estimatedStartTime as seconds from the scenario's start; null = absent. */
  estimatedStartAt?: NumberExpect;
}

export interface ScenarioExpect {
  endTime?: NumberExpect;
  workloads?: Record<string, WorkloadExpect>;
  events?: EventExpect[];
  queues?: Record<string, Record<string, NumberExpect>>;
  metrics?: Record<string, NumberExpect>;
  status?: Record<string, StatusExpect>;
}

const TOP_KEYS = ['endTime', 'workloads', 'events', 'queues', 'metrics', 'status'];
const WORKLOAD_KEYS = ['phase', 'queue', 'priority', 'submittedAt', 'admittedAt', 'startedAt', 'finishedAt',
  'preemptions', 'restarts', 'lostWorkSeconds', 'lostUSD', 'nodes', 'gpus', 'serving'];
const EVENT_KEYS = ['reason', 'object', 'objectContains', 't', 'messageContains', 'count'];
const STATUS_KEYS = ['phase', 'pendingReasonContains', 'queuePosition', 'estimatedStartAt'];

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function unknownKeys(where: string, value: unknown, allowed: string[], out: string[]): void {
  if (!isObj(value)) {
    out.push(`${where}: must be a mapping`);
    return;
  }
  for (const k of Object.keys(value)) if (!allowed.includes(k)) out.push(`${where}.${k}: unknown expectation key (allowed: ${allowed.join(', ')})`);
}

/** Typos in an expectation file would make a check silently vacuous, so they are errors. */
export function checkExpectationShape(doc: unknown): string[] {
  const out: string[] = [];
  unknownKeys('', doc, TOP_KEYS, out);
  if (!isObj(doc)) return out;
  for (const [k, v] of Object.entries(doc.workloads ?? {})) unknownKeys(`workloads[${k}]`, v, WORKLOAD_KEYS, out);
  if (doc.events !== undefined && !Array.isArray(doc.events)) out.push('events: must be a list');
  (doc.events ?? []).forEach((e: unknown, i: number) => {
    unknownKeys(`events[${i}]`, e, EVENT_KEYS, out);
    if (isObj(e) && typeof e.reason !== 'string') out.push(`events[${i}].reason: required`);
  });
  for (const [k, v] of Object.entries(doc.status ?? {})) unknownKeys(`status[${k}]`, v, STATUS_KEYS, out);
  return out;
}

function isRange(v: unknown): v is NumberRange {
  return isObj(v) && ('min' in v || 'max' in v);
}

/** Whether an actual value meets a number expectation (exact within 1e-6, null, or a range). */
export function numberMatches(expected: NumberExpect, actual: unknown): boolean {
  if (expected === null) return actual === null || actual === undefined;
  if (typeof actual !== 'number') return false;
  if (isRange(expected)) {
    return (expected.min === undefined || actual >= expected.min - 1e-6) && (expected.max === undefined || actual <= expected.max + 1e-6);
  }
  return Math.abs(actual - expected) <= 1e-6 * Math.max(1, Math.abs(expected));
}

function show(v: unknown): string {
  return JSON.stringify(v);
}

/** "ns/name" → TrainingJob; "Kind ns/name" → that kind. */
export function parseWorkloadKey(key: string): { kind: string; namespace: string; name: string } {
  const [kindPart, rest] = key.includes(' ') ? key.split(' ', 2) : ['TrainingJob', key];
  const [namespace, name] = rest.split('/');
  return { kind: kindPart, namespace, name };
}

function checkWorkloads(exp: ScenarioExpect, report: Obj, out: string[]): void {
  const rows: Obj[] = Array.isArray(report.workloads) ? report.workloads : [];
  for (const [key, want] of Object.entries(exp.workloads ?? {})) {
    const id = parseWorkloadKey(key);
    const row = rows.find((w) => w.kind === id.kind && w.namespace === id.namespace && w.name === id.name);
    if (!row) {
      out.push(`workload ${key}: not in the report (report has: ${rows.map((w) => `${w.kind} ${w.namespace}/${w.name}`).join(', ')})`);
      continue;
    }
    for (const [field, value] of Object.entries(want)) {
      const actual = row[field];
      if (field === 'serving') {
        checkNumbers(`workload ${key}: serving`, value as Record<string, NumberExpect>, actual, out);
      } else if (field === 'nodes') {
        if (show(actual) !== show(value)) out.push(`workload ${key}: nodes expected ${show(value)}, got ${show(actual)}`);
      } else if (typeof value === 'string') {
        if (actual !== value) out.push(`workload ${key}: ${field} expected ${show(value)}, got ${show(actual)}`);
      } else if (!numberMatches(value as NumberExpect, actual)) {
        out.push(`workload ${key}: ${field} expected ${show(value)}, got ${show(actual)}`);
      }
    }
  }
}

function eventMatches(want: EventExpect, ev: Obj): boolean {
  if (ev.reason !== want.reason) return false;
  if (want.object !== undefined && ev.object !== want.object) return false;
  if (want.objectContains !== undefined && !String(ev.object ?? '').includes(want.objectContains)) return false;
  if (want.t !== undefined && !numberMatches(want.t, ev.t)) return false;
  const needles = want.messageContains === undefined ? [] : [want.messageContains].flat();
  return needles.every((s) => String(ev.message ?? '').includes(s));
}

function describeEvents(events: Obj[], reason: string): string {
  const same = events.filter((e) => e.reason === reason);
  if (same.length === 0) return `no ${reason} events at all`;
  return `${reason} events were: ${same.slice(0, 8).map((e) => `t=${e.t} ${e.object} "${e.message}"`).join('; ')}${same.length > 8 ? ` (+${same.length - 8} more)` : ''}`;
}

function checkEvents(exp: ScenarioExpect, report: Obj, out: string[]): void {
  const events: Obj[] = Array.isArray(report.events) ? report.events : [];
  for (const want of exp.events ?? []) {
    const n = events.filter((e) => eventMatches(want, e)).length;
    const { count, ...rest } = want;
    if (count !== undefined ? n !== count : n === 0) {
      out.push(`event ${show(rest)}: expected ${count ?? '≥ 1'} matching, got ${n}; ${describeEvents(events, want.reason)}`);
    }
  }
}

function checkNumbers(where: string, want: Record<string, NumberExpect>, row: Obj | undefined, out: string[]): void {
  if (!row) {
    out.push(`${where}: not in the report`);
    return;
  }
  for (const [field, value] of Object.entries(want)) {
    if (!numberMatches(value, row[field])) out.push(`${where}: ${field} expected ${show(value)}, got ${show(row[field])}`);
  }
}

/** Every way the report differs from the expectations (empty when it meets them). */
export function checkReport(exp: ScenarioExpect, report: Obj): string[] {
  const out: string[] = [];
  if (exp.endTime !== undefined && !numberMatches(exp.endTime, report.endTime)) {
    out.push(`endTime expected ${show(exp.endTime)}, got ${show(report.endTime)}`);
  }
  checkWorkloads(exp, report, out);
  checkEvents(exp, report, out);
  const queues: Obj[] = Array.isArray(report.queues) ? report.queues : [];
  for (const [name, want] of Object.entries(exp.queues ?? {})) checkNumbers(`queue ${name}`, want, queues.find((q) => q.name === name), out);
  if (exp.metrics) checkNumbers('metrics', exp.metrics, report.metrics, out);
  return out;
}

/** The final objects' status against `status:`; `epochMs` is the virtual time of t=0. */
export function checkStatus(exp: ScenarioExpect, objects: Obj[], epochMs: number): string[] {
  const out: string[] = [];
  for (const [key, want] of Object.entries(exp.status ?? {})) {
    const id = parseWorkloadKey(key);
    const obj = objects.find((o) => o.kind === id.kind && (o.metadata?.namespace ?? '') === (id.namespace ?? '') && o.metadata?.name === id.name);
    if (!obj) {
      out.push(`status ${key}: no such object at the end of the run`);
      continue;
    }
    const status: Obj = obj.status ?? {};
    if (want.phase !== undefined && status.phase !== want.phase) out.push(`status ${key}: phase expected ${show(want.phase)}, got ${show(status.phase)}`);
    if (want.queuePosition !== undefined && (status.queuePosition ?? null) !== want.queuePosition) {
      out.push(`status ${key}: queuePosition expected ${show(want.queuePosition)}, got ${show(status.queuePosition)}`);
    }
    for (const s of want.pendingReasonContains === undefined ? [] : [want.pendingReasonContains].flat()) {
      if (!String(status.pendingReason ?? '').includes(s)) out.push(`status ${key}: pendingReason should contain ${show(s)}, got ${show(status.pendingReason)}`);
    }
    if (want.estimatedStartAt !== undefined) {
      const at = typeof status.estimatedStartTime === 'string' ? (Date.parse(status.estimatedStartTime) - epochMs) / 1000 : null;
      if (!numberMatches(want.estimatedStartAt, at)) {
        out.push(`status ${key}: estimatedStartTime expected t=${show(want.estimatedStartAt)}, got ${show(status.estimatedStartTime)} (t=${show(at)})`);
      }
    }
  }
  return out;
}
