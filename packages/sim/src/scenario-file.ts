/**
 * Reading a scenario file: one YAML (or JSON) document, validated with @qm/api's
 * validateScenario, plus the checks only a whole scenario can make (two objects with one
 * name). Every problem becomes a ScenarioFileError naming the file, the document path and
 * what is wrong, before anything runs.
 *
 * Example:
 * ```ts
 * try { const scenario = await loadScenarioFile('s.yaml'); }
 * catch (err) {
 *   if (err instanceof ScenarioFileError) console.error(err.lines().join('\n'));
 *   // error: s.yaml: spec.submissions[3].object.spec.workers: must be ≥ 1
 * }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { parseAllDocuments } from 'yaml';
import { findKind, validateScenario, DEFAULT_NAMESPACE, type FieldCause, type Scenario } from '@qm/api';

export class ScenarioFileError extends Error {
  constructor(readonly file: string, readonly causes: FieldCause[]) {
    super(`${file}: ${causes.map((c) => causeText(c)).join('; ')}`);
    this.name = 'ScenarioFileError';
  }

  /** One `error: FILE: path: what is wrong` line per cause. */
  lines(): string[] {
    return this.causes.map((c) => `error: ${this.file}: ${causeText(c)}`);
  }
}

function causeText(c: FieldCause): string {
  return c.field ? `${c.field}: ${c.message}` : c.message;
}

/** The YAML parser's message, on one line: "… at line 2, column 1". */
function yamlMessage(message: string): string {
  return message.split('\n')[0].replace(/:$/, '');
}

/** Parses scenario text (one document) into the decoded Scenario, or throws ScenarioFileError. */
export function parseScenarioText(file: string, text: string): Scenario {
  const docs = parseAllDocuments(text, { prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [docs];
  const syntax = list.flatMap((d) => d.errors).map((e) => ({ field: '', reason: 'BadRequest', message: `YAML syntax error: ${yamlMessage(e.message)}` }));
  if (syntax.length > 0) throw new ScenarioFileError(file, syntax);
  if (list.length === 0 || (list.length === 1 && list[0].contents === null)) {
    throw new ScenarioFileError(file, [{ field: '', reason: 'FieldValueRequired', message: 'the file is empty: expected one Scenario document' }]);
  }
  if (list.length > 1) {
    throw new ScenarioFileError(file, [{
      field: '', reason: 'FieldValueInvalid',
      message: `holds ${list.length} YAML documents; a scenario file holds exactly one Scenario (put objects under spec.objects)`,
    }]);
  }
  const result = validateScenario(list[0].toJS({ maxAliasCount: 10_000 }));
  if (!result.ok) throw new ScenarioFileError(file, result.causes);
  const duplicates = duplicateNames(result.scenario);
  if (duplicates.length > 0) throw new ScenarioFileError(file, duplicates);
  return result.scenario;
}

/** Reads and parses a scenario file; a missing or unreadable file is a ScenarioFileError too. */
export async function loadScenarioFile(file: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, not a scenario file' : (err as Error).message;
    throw new ScenarioFileError(file, [{ field: '', reason: 'NotFound', message: `cannot read the scenario: ${why}` }]);
  }
  return parseScenarioText(file, text);
}

/**
 * Objects and submissions that would create an object that already exists: the second one
 * would fail at run time, so it is refused up front.
 */
export function duplicateNames(scenario: Scenario): FieldCause[] {
  const seen = new Map<string, string>();
  const causes: FieldCause[] = [];
  const visit = (obj: { kind?: string; metadata?: { name?: string; namespace?: string } }, path: string) => {
    const info = findKind(obj.kind ?? '');
    const ns = info?.namespaced ? (obj.metadata?.namespace || DEFAULT_NAMESPACE) : '';
    const key = `${obj.kind}/${ns}/${obj.metadata?.name}`;
    const first = seen.get(key);
    if (first !== undefined) {
      causes.push({ field: `${path}.metadata.name`, reason: 'FieldValueDuplicate', message: `${obj.kind} ${ns ? `${ns}/` : ''}${obj.metadata?.name} is already created by ${first}` });
    } else {
      seen.set(key, path);
    }
  };
  (scenario.spec.objects ?? []).forEach((o, i) => visit(o, `spec.objects[${i}]`));
  (scenario.spec.submissions ?? []).forEach((sub, i) => visit(sub.object, `spec.submissions[${i}].object`));
  return causes;
}
