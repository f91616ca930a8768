import { QmError, type FieldCause } from '@qm/api';

/**
 * One clause of a Kubernetes label selector. `key=v` parses to `In [v]` and `key!=v`
 * to `NotIn [v]`, so four operators cover both the text and the object forms.
 *
 * Example:
 * ```ts
 * const reqs = parseLabelSelector('app=web,tier in (a,b),!legacy');
 * matchesLabelSelector(reqs, { app: 'web', tier: 'a' }) === true;
 * ```
 */
export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** Non-empty for In/NotIn, empty for Exists/DoesNotExist. */
  values: string[];
}

export type LabelOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

/** The object form used in specs (PodDisruptionBudget, Queue flavors, ...). */
export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

const NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a valid label key (`[prefix/]name`), or undefined when it is. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined) {
    if (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix)) {
      return `label key "${key}": prefix must be a DNS subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)`;
    }
  }
  if (name.length === 0 || name.length > 63 || !NAME_PART.test(name)) {
    return `label key "${key}": name must be 1-63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Why `value` is not a valid label value, or undefined when it is (the empty string is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !NAME_PART.test(value)) {
    return `label value "${value}": must be at most 63 characters of letters, digits, '-', '_' or '.', starting and ending with a letter or digit`;
  }
  return undefined;
}

type Token =
  | { kind: 'ident'; text: string; pos: number }
  | { kind: 'op'; text: '!' | '=' | '==' | '!=' | '(' | ')' | ','; pos: number };

// Kubernetes' lexer: identifiers run until whitespace or one of these symbols.
const SPECIAL = new Set(['!', '=', '(', ')', ',', '<', '>']);

function lex(text: string, fail: (msg: string) => never): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (/\s/.test(ch)) { i++; continue; }
    if (ch === '=' || ch === '!') {
      if (text[i + 1] === '=') { tokens.push({ kind: 'op', text: ch === '=' ? '==' : '!=', pos: i }); i += 2; continue; }
      tokens.push({ kind: 'op', text: ch, pos: i }); i++; continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') { tokens.push({ kind: 'op', text: ch, pos: i }); i++; continue; }
    if (ch === '<' || ch === '>') fail(`operator "${ch}" at position ${i} is not supported`);
    const start = i;
    while (i < text.length && !SPECIAL.has(text[i]) && !/\s/.test(text[i])) i++;
    tokens.push({ kind: 'ident', text: text.slice(start, i), pos: start });
  }
  return tokens;
}

function describe(tok: Token | undefined): string {
  return tok === undefined ? 'end of input' : `"${tok.text}" at position ${tok.pos}`;
}

/**
 * Parses Kubernetes label selector text: `=`, `==`, `!=`, `in (..)`, `notin (..)`, `key`
 * (exists) and `!key` (does not exist), comma = and. The empty string selects everything.
 * Throws QmError('BadRequest') naming the position of the problem.
 *
 * Example: `parseLabelSelector('env notin (dev),gpu')` →
 * `[{key:'env',operator:'NotIn',values:['dev']},{key:'gpu',operator:'Exists',values:[]}]`
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const fail = (msg: string): never => {
    throw new QmError('BadRequest', `invalid label selector "${text}": ${msg}`, {
      causes: [{ field: 'labelSelector', message: msg, reason: 'FieldValueInvalid' }],
    });
  };
  const tokens = lex(text, fail);
  const reqs: LabelRequirement[] = [];
  let i = 0;
  const peek = (): Token | undefined => tokens[i];
  const expectKey = (): string => {
    const tok = tokens[i];
    if (tok?.kind !== 'ident') return fail(`expected a label key, found ${describe(tok)}`);
    i++;
    const problem = labelKeyProblem(tok.text);
    if (problem) fail(problem);
    return tok.text;
  };
  const checkValue = (value: string): string => {
    const problem = labelValueProblem(value);
    if (problem) fail(problem);
    return value;
  };
  if (tokens.length === 0) return reqs;
  for (;;) {
    const first = peek();
    if (first?.kind === 'op' && first.text === '!') {
      i++;
      reqs.push({ key: expectKey(), operator: 'DoesNotExist', values: [] });
    } else {
      const key = expectKey();
      const op = peek();
      if (op === undefined || (op.kind === 'op' && op.text === ',')) {
        reqs.push({ key, operator: 'Exists', values: [] });
      } else if (op.kind === 'op' && (op.text === '=' || op.text === '==' || op.text === '!=')) {
        i++;
        const valueTok = peek();
        let value = '';
        if (valueTok?.kind === 'ident') { value = valueTok.text; i++; }
        else if (valueTok !== undefined && !(valueTok.kind === 'op' && valueTok.text === ',')) {
          fail(`expected a label value after "${op.text}", found ${describe(valueTok)}`);
        }
        reqs.push({ key, operator: op.text === '!=' ? 'NotIn' : 'In', values: [checkValue(value)] });
      } else if (op.kind === 'ident' && (op.text === 'in' || op.text === 'notin')) {
        i++;
        const open = peek();
        if (!(open?.kind === 'op' && open.text === '(')) fail(`expected "(" after "${op.text}", found ${describe(open)}`);
        i++;
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v?.kind === 'ident') { values.push(checkValue(v.text)); i++; }
          else if (v?.kind === 'op' && (v.text === ',' || v.text === ')')) values.push('');
          else fail(`expected a value or ")" in the set after "${op.text}", found ${describe(v)}`);
          const sep = peek();
          if (sep?.kind === 'op' && sep.text === ',') { i++; continue; }
          if (sep?.kind === 'op' && sep.text === ')') { i++; break; }
          fail(`expected "," or ")" in the set after "${op.text}", found ${describe(sep)}`);
        }
        // `in ()` lexes as one empty value; Kubernetes refuses an empty set.
        if (values.length === 1 && values[0] === '' && tokens[i - 2]?.text === '(') {
          fail(`the set after "${op.text}" must not be empty`);
        }
        reqs.push({ key, operator: op.text === 'in' ? 'In' : 'NotIn', values });
      } else {
        fail(`expected "=", "==", "!=", "in", "notin", "," or end after key "${key}", found ${describe(op)}`);
      }
    }
    const sep = peek();
    if (sep === undefined) return reqs;
    if (sep.kind === 'op' && sep.text === ',') {
      i++;
      if (peek() === undefined) fail('expected a requirement after the trailing ","');
      continue;
    }
    fail(`expected "," or end of input, found ${describe(sep)}`);
  }
}

/** Whether `labels` satisfy every requirement (an empty list matches everything). */
export function matchesLabelSelector(reqs: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const req of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, req.key);
    switch (req.operator) {
      case 'In': if (!has || !req.values.includes(labels![req.key])) return false; break;
      case 'NotIn': if (has && req.values.includes(labels![req.key])) return false; break;
      case 'Exists': if (!has) return false; break;
      case 'DoesNotExist': if (has) return false; break;
    }
  }
  return true;
}

/** The canonical text of a selector; `parseLabelSelector(formatLabelSelector(r))` gives `r` back. */
export function formatLabelSelector(reqs: readonly LabelRequirement[]): string {
  return reqs.map((r) => {
    switch (r.operator) {
      case 'Exists': return r.key;
      case 'DoesNotExist': return `!${r.key}`;
      case 'In': return r.values.length === 1 ? `${r.key}=${r.values[0]}` : `${r.key} in (${r.values.join(',')})`;
      case 'NotIn': return r.values.length === 1 ? `${r.key}!=${r.values[0]}` : `${r.key} notin (${r.values.join(',')})`;
    }
  }).join(',');
}

const OBJECT_OPERATORS: readonly LabelOperator[] = ['In', 'NotIn', 'Exists', 'DoesNotExist'];

/**
 * Converts the object form (`matchLabels`, `matchExpressions`) to requirements.
 * Throws QmError('Invalid') with one cause per bad field, paths under `fieldPath`.
 *
 * Example: `labelSelectorFromObject({matchLabels: {app: 'web'}}, 'spec.selector')`
 */
export function labelSelectorFromObject(selector: LabelSelectorObject, fieldPath = 'selector'): LabelRequirement[] {
  const causes: FieldCause[] = [];
  const bad = (field: string, message: string, reason = 'FieldValueInvalid'): void => {
    causes.push({ field: `${fieldPath}.${field}`, message, reason });
  };
  const reqs: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    const keyProblem = labelKeyProblem(key);
    if (keyProblem) { bad(`matchLabels`, keyProblem); continue; }
    if (typeof value !== 'string') { bad(`matchLabels.${key}`, 'must be a string'); continue; }
    const valueProblem = labelValueProblem(value);
    if (valueProblem) { bad(`matchLabels.${key}`, valueProblem); continue; }
    reqs.push({ key, operator: 'In', values: [value] });
  }
  (selector.matchExpressions ?? []).forEach((expr, idx) => {
    const at = `matchExpressions[${idx}]`;
    const keyProblem = typeof expr.key === 'string' ? labelKeyProblem(expr.key) : 'must be a string';
    if (keyProblem) { bad(`${at}.key`, keyProblem, expr.key === undefined ? 'FieldValueRequired' : 'FieldValueInvalid'); return; }
    const operator = expr.operator as LabelOperator;
    if (!OBJECT_OPERATORS.includes(operator)) {
      bad(`${at}.operator`, `must be one of ${OBJECT_OPERATORS.join(', ')}, got "${String(expr.operator)}"`, 'FieldValueNotSupported');
      return;
    }
    const values = expr.values ?? [];
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'string')) { bad(`${at}.values`, 'must be a list of strings'); return; }
    if ((operator === 'In' || operator === 'NotIn') && values.length === 0) {
      bad(`${at}.values`, `must be non-empty when operator is ${operator}`, 'FieldValueRequired'); return;
    }
    if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) {
      bad(`${at}.values`, `must be empty when operator is ${operator}`); return;
    }
    for (const v of values) {
      const problem = labelValueProblem(v);
      if (problem) { bad(`${at}.values`, problem); return; }
    }
    reqs.push({ key: expr.key, operator, values: [...values] });
  });
  if (causes.length > 0) {
    throw new QmError('Invalid', `invalid label selector at ${fieldPath}: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`, { causes });
  }
  return reqs;
}
