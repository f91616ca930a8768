import { stringify } from 'yaml';
import type { ApiObject, Condition } from '@qm/api';
import { formatAge } from './age.js';
import { renderTable } from './table.js';
import { eventTime, sortEvents } from './table-defs.js';

const NONE = '<none>';
/** Status fields with a section of their own; the rest are dumped as YAML. */
const STATUS_FIELDS = ['phase', 'pendingReason', 'queuePosition', 'estimatedStartTime', 'estimatedStart', 'conditions', 'workers', 'attempts'];
const ENVELOPE = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

/**
 * Renders `qm describe`: Name, Namespace, Labels, Annotations, Created, the spec as indented
 * YAML, the status (phase, pending reason, queue position, estimated start, conditions and
 * workers as tables, the rest as YAML) and the object's events — or `<unable to list…>`
 * when `events` is an Error.
 *
 * Example: `describeText(job, events, Date.now())` → `'Name:         bert\nNamespace:    team-nlp\n…'`
 */
export function describeText(obj: ApiObject, events: ApiObject[] | Error, nowMs: number): string {
  const out: string[] = [];
  const meta = obj.metadata ?? { name: '' };
  out.push(field('Name', meta.name));
  if (meta.namespace) out.push(field('Namespace', meta.namespace));
  out.push(...mapField('Labels', meta.labels));
  out.push(...mapField('Annotations', meta.annotations));
  out.push(field('Created', meta.creationTimestamp ? `${meta.creationTimestamp} (${formatAge(meta.creationTimestamp, nowMs)} ago)` : NONE));
  if (meta.deletionTimestamp) out.push(field('Deleting', `since ${meta.deletionTimestamp}`));

  for (const key of Object.keys(obj).filter((k) => !ENVELOPE.includes(k))) out.push(...valueField(capitalize(key), obj[key], ''));
  if (obj.spec !== undefined) {
    if (isEmpty(obj.spec)) out.push(field('Spec', NONE));
    else out.push('Spec:', ...yamlLines(obj.spec, '  '));
  }
  if (obj.status !== undefined && obj.status !== null) out.push(...statusLines(obj.status, nowMs));

  out.push(...eventLines(events, nowMs));
  return out.join('\n') + '\n';
}

function statusLines(status: Record<string, any>, nowMs: number): string[] {
  const out = ['Status:'];
  if (status.phase !== undefined) out.push(field('  Phase', String(status.phase), 20));
  if (status.pendingReason) out.push(field('  Pending Reason', String(status.pendingReason), 20));
  if (status.queuePosition !== undefined) out.push(field('  Queue Position', String(status.queuePosition), 20));
  const estimated = status.estimatedStartTime ?? status.estimatedStart;
  if (estimated !== undefined) out.push(field('  Estimated Start', String(estimated), 20));

  const conditions = (status.conditions ?? []) as Condition[];
  if (conditions.length > 0) {
    out.push('  Conditions:');
    const rows = conditions.map((c) => [c.type, c.status, c.reason ?? '', oneLine(c.message ?? ''), c.lastTransitionTime ? formatAge(c.lastTransitionTime, nowMs) : '']);
    out.push(...indent(renderTable(['TYPE', 'STATUS', 'REASON', 'MESSAGE', 'AGE'], rows), '    '));
  }
  const workers = (status.workers ?? []) as Record<string, unknown>[];
  if (workers.length > 0) {
    out.push('  Workers:');
    const rows = workers.map((w) => [
      cell(w.rank), cell(w.node), Array.isArray(w.gpus) ? w.gpus.join(',') || NONE : cell(w.gpus), cell(w.phase), cell(w.exitCode), cell(w.restarts ?? 0),
    ]);
    out.push(...indent(renderTable(['RANK', 'NODE', 'GPUS', 'PHASE', 'EXIT CODE', 'RESTARTS'], rows), '    '));
  }
  if (status.attempts !== undefined) {
    out.push('  Attempts:');
    out.push(...yamlLines(status.attempts, '    '));
  }
  const rest = Object.fromEntries(Object.entries(status).filter(([k]) => !STATUS_FIELDS.includes(k)));
  if (Object.keys(rest).length > 0) out.push(...yamlLines(rest, '  '));
  return out.length > 1 ? out : ['Status:       <none>'];
}

function eventLines(events: ApiObject[] | Error, nowMs: number): string[] {
  if (events instanceof Error) return [field('Events', `<unable to list events: ${events.message}>`)];
  if (events.length === 0) return [field('Events', NONE)];
  const rows = sortEvents(events).map((ev) => [
    cell(ev.type), cell(ev.reason), eventAge(ev, nowMs), eventSource(ev), oneLine(String(ev.message ?? '')),
  ]);
  return ['Events:', ...indent(renderTable(['TYPE', 'REASON', 'AGE', 'FROM', 'MESSAGE'], rows), '  ')];
}

/** `5m`, or `5m (x3 over 20m)` for an event seen several times. */
export function eventAge(ev: ApiObject, nowMs: number): string {
  const last = formatAge(eventTime(ev), nowMs);
  const count = Number(ev.count ?? 1);
  if (count > 1 && typeof ev.firstTimestamp === 'string') return `${last} (x${count} over ${formatAge(ev.firstTimestamp, nowMs)})`;
  return count > 1 ? `${last} (x${count})` : last;
}

function eventSource(ev: ApiObject): string {
  const source = ev.source as { component?: string; host?: string } | undefined;
  const parts = [source?.component, source?.host].filter((p): p is string => !!p);
  return parts.length ? parts.join(', ') : NONE;
}

function field(label: string, value: string, width = 14): string {
  const head = `${label}:`;
  return `${head}${' '.repeat(Math.max(1, width - head.length))}${value}`;
}

function mapField(label: string, map: Record<string, string> | undefined): string[] {
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return [field(label, NONE)];
  return entries.map(([k, v], i) => (i === 0 ? field(label, `${k}=${v}`) : `${' '.repeat(14)}${k}=${v}`));
}

/** A top-level field of a kind without spec (PriorityClass's `value`, a Role's `rules`). */
function valueField(label: string, value: unknown, prefix: string): string[] {
  if (value === null || typeof value !== 'object') return [field(`${prefix}${label}`, String(value))];
  return [`${prefix}${label}:`, ...yamlLines(value, `${prefix}  `)];
}

function yamlLines(value: unknown, prefix: string): string[] {
  return indent(stringify(value, { lineWidth: 0 }), prefix);
}

function indent(text: string, prefix: string): string[] {
  return text.replace(/\n$/, '').split('\n').map((l) => (l ? prefix + l : l));
}

function isEmpty(v: unknown): boolean {
  return v === null || (typeof v === 'object' && Object.keys(v as object).length === 0);
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function cell(v: unknown): string {
  return v === undefined || v === null || v === '' ? NONE : String(v);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}
