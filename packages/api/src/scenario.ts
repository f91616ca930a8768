/**
 * Validates a scenario document (SCENARIOS.md) in one pass: the document's own fields, every
 * embedded object (with `validateObject`, causes prefixed by where the object sits, e.g.
 * `spec.submissions[3].object.spec.workers`) and each event's fields for its action.
 *
 * Example:
 * ```ts
 * const r = validateScenario(yaml.parse(text));
 * if (r.ok) r.scenario.spec.until === 21600; // "6h", in seconds
 * ```
 */
import type { FieldCause } from './errors.js';
import { parseDurationSeconds } from './duration.js';
import { checkSchema, joinFieldPath, prefixCauses, showValue } from './schema-check.js';
import { ScenarioSchema, type Scenario, type ScenarioAction } from './kinds/scenario.js';
import { validateObject } from './validate.js';

export type ScenarioValidationResult = { ok: true; scenario: Scenario } | { ok: false; causes: FieldCause[] };

type Obj = Record<string, any>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Which event fields each action needs, and which it accepts (besides `at` and `action`). */
const EVENT_FIELDS: Record<ScenarioAction, { required: string[]; allowed: string[] }> = {
  spotInterrupt: { required: ['node'], allowed: ['node', 'noticeSeconds'] },
  removeNode: { required: ['node'], allowed: ['node'] },
  cordonNode: { required: ['node'], allowed: ['node'] },
  uncordonNode: { required: ['node'], allowed: ['node'] },
  delete: { required: ['target'], allowed: ['target'] },
  load: { required: ['target', 'rps'], allowed: ['target', 'rps'] },
  addNode: { required: [], allowed: ['object', 'nodePool', 'count'] },
};

/** The default warning time of a spotInterrupt event, in seconds. */
export const DEFAULT_SPOT_NOTICE_SECONDS = 120;

function checkEmbedded(obj: unknown, path: string, out: FieldCause[], expectKind?: string): void {
  if (expectKind && isObj(obj) && obj.kind !== expectKind) {
    out.push({ field: `${path}.kind`, reason: 'FieldValueNotSupported', message: `must be ${JSON.stringify(expectKind)}, got ${showValue(obj.kind)}` });
    return;
  }
  const r = validateObject(obj);
  if (!r.ok) out.push(...prefixCauses(path, r.causes));
}

function checkEvent(ev: Obj, path: string, out: FieldCause[]): void {
  const rules = EVENT_FIELDS[ev.action as ScenarioAction];
  if (!rules) return; // the schema already named a bad action
  for (const field of rules.required) {
    if (ev[field] === undefined) out.push({ field: joinFieldPath(path, field), reason: 'FieldValueRequired', message: `is required for action ${ev.action}` });
  }
  for (const field of ['node', 'noticeSeconds', 'target', 'rps', 'object', 'nodePool', 'count']) {
    if (ev[field] !== undefined && !rules.allowed.includes(field)) {
      out.push({ field: joinFieldPath(path, field), reason: 'FieldValueForbidden', message: `does not apply to action ${ev.action}` });
    }
  }
  if (ev.action === 'delete' && isObj(ev.target) && ev.target.kind === undefined) {
    out.push({ field: `${path}.target.kind`, reason: 'FieldValueRequired', message: 'is required for action delete' });
  }
  if (ev.action === 'addNode') {
    if ((ev.object === undefined) === (ev.nodePool === undefined)) {
      out.push({ field: `${path}.object`, reason: 'FieldValueRequired', message: 'addNode needs either object (a Node) or nodePool, not both' });
    }
    if (ev.count !== undefined && ev.nodePool === undefined) {
      out.push({ field: `${path}.count`, reason: 'FieldValueForbidden', message: 'applies only with nodePool' });
    }
    if (ev.object !== undefined) checkEmbedded(ev.object, `${path}.object`, out, 'Node');
  }
}

function seconds(v: unknown): number {
  return parseDurationSeconds(v as string | number);
}

/** The validated document with durations in seconds and `seed` defaulted to 0. */
function decode(doc: Obj): Scenario {
  const out = structuredClone(doc);
  const spec = out.spec;
  spec.seed ??= 0;
  if (spec.until !== undefined) spec.until = seconds(spec.until);
  for (const s of spec.submissions ?? []) {
    s.at = seconds(s.at);
    if (s.work !== undefined) s.work = seconds(s.work);
  }
  for (const e of spec.events ?? []) e.at = seconds(e.at);
  return out as Scenario;
}

/** Checks a whole scenario document and returns every cause at once, or the decoded scenario. */
export function validateScenario(doc: unknown): ScenarioValidationResult {
  if (!isObj(doc)) {
    return { ok: false, causes: [{ field: '', reason: 'FieldValueTypeInvalid', message: `must be a Scenario document (an object), got ${showValue(doc)}` }] };
  }
  const causes: FieldCause[] = [];
  checkSchema(ScenarioSchema, doc, '', causes);
  const spec = doc.spec;
  if (isObj(spec)) {
    if (Array.isArray(spec.objects)) {
      spec.objects.forEach((o: unknown, i: number) => checkEmbedded(o, `spec.objects[${i}]`, causes));
    }
    if (Array.isArray(spec.submissions)) {
      spec.submissions.forEach((s: unknown, i: number) => {
        if (!isObj(s)) return;
        const path = `spec.submissions[${i}]`;
        if (s.object !== undefined) checkEmbedded(s.object, `${path}.object`, causes);
        if (s.work !== undefined && isObj(s.object) && s.object.kind !== 'TrainingJob') {
          causes.push({ field: `${path}.work`, reason: 'FieldValueForbidden', message: `applies only to TrainingJob submissions, not ${showValue(s.object.kind)}` });
        }
      });
    }
    if (Array.isArray(spec.events)) {
      spec.events.forEach((e: unknown, i: number) => isObj(e) && checkEvent(e, `spec.events[${i}]`, causes));
    }
  }
  return causes.length ? { ok: false, causes } : { ok: true, scenario: decode(doc) };
}
