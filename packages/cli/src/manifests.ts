import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseAllDocuments, type YAMLError } from 'yaml';
import type { ApiObject } from '@qm/api';
import { CliError, EXIT_USAGE } from './errors.js';

/** One object from a manifest file, or the reason that document cannot be one. */
export interface ManifestDoc {
  /** The file as the user named it (`examples/jobs.yaml`), or `<stdin>`. */
  source: string;
  /** `<source>#<n>`: n counts documents from 1, empty ones included; `#2.items[0]` inside a List. */
  label: string;
  object?: ApiObject;
  /** Set when the document is not an object (a scalar, a list); the object is absent then. */
  problem?: string;
}

/** The documents read from every `-f`, plus the files that could not be parsed at all. */
export interface ManifestSet {
  docs: ManifestDoc[];
  /** One per file with a YAML syntax error (none of its documents are in `docs`). */
  fileErrors: CliError[];
}

export const STDIN_SOURCE = '<stdin>';
const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];

/**
 * Reads every `-f` argument: a file, a directory (its *.yaml, *.yml, *.json files, recursively,
 * in sorted path order) or `-` for stdin. A path that cannot be read is a usage error thrown
 * before anything is applied; a file with a YAML syntax error lands in `fileErrors`.
 *
 * Example:
 * ```ts
 * const { docs } = await readManifests(['examples/'], { cwd, stdin });
 * docs[0].label; // 'examples/namespace.yaml#1'
 * ```
 */
export async function readManifests(args: string[], io: { cwd: string; stdin: AsyncIterable<Uint8Array | string> }): Promise<ManifestSet> {
  if (args.length === 0) throw new CliError('no manifests given: use -f FILE, -f DIR or -f -', EXIT_USAGE);
  const sources: { name: string; read: () => Promise<string> }[] = [];
  let stdinUsed = false;
  for (const arg of args) {
    if (arg === '-') {
      if (stdinUsed) throw new CliError('-f - (stdin) may be given only once', EXIT_USAGE);
      stdinUsed = true;
      sources.push({ name: STDIN_SOURCE, read: () => readAll(io.stdin) });
      continue;
    }
    for (const file of await expandPath(arg, io.cwd)) {
      sources.push({ name: file, read: () => readText(file, io.cwd) });
    }
  }
  const set: ManifestSet = { docs: [], fileErrors: [] };
  for (const source of sources) {
    const text = await source.read();
    try {
      set.docs.push(...parseManifestText(text, source.name));
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      set.fileErrors.push(err);
    }
  }
  return set;
}

/**
 * Splits one file into documents (`---`), skipping empty ones and expanding `kind: List`.
 * A syntax error anywhere throws a CliError naming `source:line:column`, so nothing from
 * the file is used.
 */
export function parseManifestText(text: string, source: string): ManifestDoc[] {
  const documents = parseAllDocuments(text, { prettyErrors: true });
  const all = Array.isArray(documents) ? documents : [];
  for (const doc of all) {
    if (doc.errors.length > 0) throw syntaxError(source, doc.errors[0]);
  }
  const out: ManifestDoc[] = [];
  all.forEach((doc, i) => {
    const label = `${source}#${i + 1}`;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw new CliError(`${label}: ${(err as Error).message}`, EXIT_USAGE);
    }
    // Empty or comment-only documents (`---\n---`) parse as null: nothing to apply.
    if (value === null || value === undefined) return;
    out.push(...expandDocument(value, source, label));
  });
  return out;
}

function expandDocument(value: unknown, source: string, label: string): ManifestDoc[] {
  if (!isRecord(value)) {
    return [{ source, label, problem: `the document is ${describeValue(value)}, not an object with apiVersion, kind and metadata` }];
  }
  const kind = value.kind;
  if (typeof kind === 'string' && (kind === 'List' || kind.endsWith('List')) && Array.isArray(value.items)) {
    return value.items.flatMap((item, j) => expandDocument(item, source, `${label}.items[${j}]`));
  }
  return [{ source, label, object: value as ApiObject }];
}

function syntaxError(source: string, err: YAMLError): CliError {
  const pos = err.linePos?.[0];
  const where = pos ? `${source}:${pos.line}:${pos.col}` : source;
  // yaml appends " at line L, column C:" and a code excerpt; the position is already in `where`.
  const message = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return new CliError(`${where}: invalid YAML: ${message}`, EXIT_USAGE);
}

/** A file stays as given; a directory becomes its manifest files, recursively, sorted by path. */
async function expandPath(arg: string, cwd: string): Promise<string[]> {
  const abs = resolve(cwd, arg);
  let info;
  try {
    info = await stat(abs);
  } catch (err) {
    throw new CliError(`cannot read ${arg}: ${reason(err)}`, EXIT_USAGE);
  }
  if (!info.isDirectory()) return [arg];
  const files = (await walk(abs)).sort();
  if (files.length === 0) throw new CliError(`${arg} holds no *.yaml, *.yml or *.json files`, EXIT_USAGE);
  return files.map((rel) => join(arg, rel));
}

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...(await walk(join(dir, entry.name), rel)));
    else if (MANIFEST_EXTENSIONS.some((ext) => entry.name.endsWith(ext))) out.push(rel);
  }
  return out;
}

async function readText(file: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${reason(err)}`, EXIT_USAGE);
  }
}

async function readAll(stream: AsyncIterable<Uint8Array | string>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  return (err as Error).message;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'null';
  return `a ${typeof v}`;
}
