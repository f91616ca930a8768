import { QmError } from '@qm/api';

/**
 * One clause of a field selector: a dotted path into the object and a value it must
 * (or must not) equal. Missing fields compare as the empty string, as in Kubernetes.
 *
 * Example:
 * ```ts
 * const reqs = parseFieldSelector('metadata.namespace=team-a,status.phase!=Succeeded');
 * matchesFieldSelector(reqs, job) === true;
 * ```
 */
export interface FieldRequirement {
  /** Dotted path, e.g. `metadata.name`, `status.phase`. */
  field: string;
  operator: 'Equals' | 'NotEquals';
  value: string;
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
// At each position Kubernetes tries these operators in this order.
const OPERATORS = ['!=', '==', '='] as const;

/** Splits on unescaped commas; `\,`, `\=` and `\\` stay escaped for the term parser. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) { current += ch + text[i + 1]; i++; continue; }
    if (ch === ',') { terms.push(current); current = ''; continue; }
    current += ch;
  }
  terms.push(current);
  return terms;
}

function unescapeValue(raw: string, fail: (msg: string) => never): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next === '\\' || next === ',' || next === '=') { out += next; i++; continue; }
      fail(`invalid escape "\\${next ?? ''}" in value "${raw}" (only \\\\, \\, and \\= are allowed)`);
    }
    if (ch === ',' || ch === '=') fail(`value "${raw}" has an unescaped "${ch}"`);
    out += ch;
  }
  return out;
}

/**
 * Parses `path=value`, `path==value`, `path!=value` terms joined by commas.
 * Throws QmError('BadRequest') naming the bad term. The empty string selects everything.
 *
 * Example: `parseFieldSelector('status.phase=Running')` →
 * `[{field: 'status.phase', operator: 'Equals', value: 'Running'}]`
 */
export function parseFieldSelector(text: string): FieldRequirement[] {
  const fail = (msg: string): never => {
    throw new QmError('BadRequest', `invalid field selector "${text}": ${msg}`, {
      causes: [{ field: 'fieldSelector', message: msg, reason: 'FieldValueInvalid' }],
    });
  };
  if (text.trim() === '') return [];
  return splitTerms(text).map((term) => {
    for (let i = 0; i < term.length; i++) {
      if (term[i] === '\\') { i++; continue; }
      const op = OPERATORS.find((o) => term.startsWith(o, i));
      if (op === undefined) continue;
      const field = term.slice(0, i).trim();
      if (!PATH.test(field)) fail(`"${field}" in term "${term}" is not a dotted field path like status.phase`);
      return { field, operator: op === '!=' ? 'NotEquals' : 'Equals', value: unescapeValue(term.slice(i + op.length), fail) };
    }
    return fail(`term "${term}" has no operator; expected field=value, field==value or field!=value`);
  });
}

/** The value at a dotted path as a string: '' when missing or null, JSON for objects. */
export function fieldValueAt(obj: unknown, path: string): string {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[part];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return JSON.stringify(cur);
}

/** Whether `obj` satisfies every requirement (an empty list matches everything). */
export function matchesFieldSelector(reqs: readonly FieldRequirement[], obj: unknown): boolean {
  for (const req of reqs) {
    const equal = fieldValueAt(obj, req.field) === req.value;
    if (equal !== (req.operator === 'Equals')) return false;
  }
  return true;
}
