import { isQmError, type ApiObject, type KindInfo } from '@qm/api';
import type { QmClient } from '../client.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { sleep, type CliIo } from '../io.js';
import { knownKindsLines, objectKey, resolveKind, splitKindAndName } from '../kinds.js';
import { formatObjects, formatWatchedObject, parseOutputFormat, type OutputFormat } from '../output.js';
import { columnWidths, formatRow, renderTable } from '../table.js';
import { buildTable } from '../table-defs.js';
import type { CommandModule } from './context.js';

export interface GetOptions {
  namespace?: string;
  allNamespaces?: boolean;
  selector?: string;
  fieldSelector?: string;
  output?: string;
  watch?: boolean;
}

/** What to fetch: one kind, optional names, a namespace (or all), selectors. */
export interface GetQuery {
  info: KindInfo;
  names: string[];
  /** The namespace to list in; undefined = all namespaces or a cluster-scoped kind. */
  namespace: string | undefined;
  allNamespaces: boolean;
  labelSelector?: string;
  fieldSelector?: string;
}

/** Objects named by the query (GET each name) or listed (following pages), plus the list's resourceVersion. */
export async function fetchObjects(client: QmClient, q: GetQuery): Promise<{ objects: ApiObject[]; resourceVersion: string }> {
  if (q.names.length > 0) {
    const objects: ApiObject[] = [];
    for (const name of q.names) objects.push(await client.get(q.info, q.namespace, name));
    return { objects, resourceVersion: '' };
  }
  const list = await client.list(q.info, q.namespace, { labelSelector: q.labelSelector, fieldSelector: q.fieldSelector });
  return { objects: list.items, resourceVersion: list.metadata.resourceVersion };
}

/** The table for `objects` with its notes, as `qm get` prints it (also used by `qm up --demo`). */
export function tableText(info: KindInfo, objects: ApiObject[], opts: { wide: boolean; allNamespaces: boolean; nowMs: number }): string {
  const view = buildTable(info, objects, opts);
  return renderTable(view.headers, view.rows) + view.notes.map((n) => `${n}\n`).join('');
}

/** `No resources found in team-a namespace.` (or without the namespace across namespaces / for cluster kinds). */
export function noResourcesMessage(q: Pick<GetQuery, 'info' | 'namespace'>): string {
  return q.info.namespaced && q.namespace ? `No resources found in ${q.namespace} namespace.` : 'No resources found';
}

export function buildQuery(args: string[], opts: GetOptions): GetQuery {
  if (args.length === 0) throw new CliError('you must name the kind to get, e.g. `qm get trainingjobs`', EXIT_USAGE, knownKindsLines());
  const [first, ...rest] = args;
  const split = splitKindAndName(first);
  const info = resolveKind(split.kind);
  const names = [...(split.name ? [split.name] : []), ...rest];
  if (opts.allNamespaces && opts.namespace) throw new CliError('use either -n NAMESPACE or -A, not both', EXIT_USAGE);
  if (opts.allNamespaces && names.length > 0) throw new CliError('-A lists every namespace; it cannot be combined with names', EXIT_USAGE);
  const allNamespaces = !!opts.allNamespaces;
  const namespace = info.namespaced && !allNamespaces ? opts.namespace || 'default' : undefined;
  return { info, names, namespace, allNamespaces, labelSelector: opts.selector, fieldSelector: opts.fieldSelector };
}

async function runGet(io: CliIo, client: QmClient, args: string[], opts: GetOptions): Promise<void> {
  const format = parseOutputFormat(opts.output);
  const q = buildQuery(args, opts);
  const { objects, resourceVersion } = await fetchObjects(client, q);
  if (opts.watch) return watchAndPrint(io, client, q, format, objects, resourceVersion);
  if (format === 'table' || format === 'wide') {
    if (objects.length === 0) {
      io.stderr.write(`${noResourcesMessage(q)}\n`);
      return;
    }
    io.stdout.write(tableText(q.info, objects, { wide: format === 'wide', allNamespaces: q.allNamespaces, nowMs: io.now() }));
    return;
  }
  io.stdout.write(formatObjects(objects, format, { single: q.names.length === 1, info: q.info }));
}

/**
 * `get -w`: prints the current objects, then one row per change from the list's
 * resourceVersion on, until Ctrl-C. A 410 (version too old) relists and prints what changed.
 */
async function watchAndPrint(io: CliIo, client: QmClient, q: GetQuery, format: OutputFormat, initial: ApiObject[], listVersion: string): Promise<void> {
  const tableMode = format === 'table' || format === 'wide';
  const tableOpts = { wide: format === 'wide', allNamespaces: q.allNamespaces, nowMs: 0 };
  let widths: number[] | undefined;
  const seen = new Map<string, string | undefined>();
  const print = (objs: ApiObject[]) => {
    if (objs.length === 0) return;
    for (const o of objs) seen.set(objectKey(o), o.metadata?.resourceVersion);
    if (!tableMode) {
      for (const o of objs) io.stdout.write(formatWatchedObject(o, format, q.info));
      return;
    }
    const view = buildTable(q.info, objs, { ...tableOpts, nowMs: io.now() });
    const lines = widths ? view.rows : [view.headers, ...view.rows];
    widths = columnWidths([...(widths ? [widths.map((w) => ' '.repeat(w))] : []), ...lines]);
    for (const row of lines) io.stdout.write(`${formatRow(row, widths)}\n`);
  };

  if (initial.length === 0 && q.names.length === 0) io.stderr.write(`${noResourcesMessage(q)}\n`);
  print(initial);

  const wanted = new Set(q.names);
  const fieldSelector = q.fieldSelector ?? (q.names.length === 1 ? `metadata.name=${q.names[0]}` : undefined);
  let version = listVersion || (await client.list(q.info, q.namespace, { labelSelector: q.labelSelector, fieldSelector })).metadata.resourceVersion;
  while (!io.signal.aborted) {
    try {
      for await (const event of client.watch(q.info, q.namespace, version, { labelSelector: q.labelSelector, fieldSelector })) {
        version = event.object.metadata?.resourceVersion ?? version;
        if (wanted.size > 0 && !wanted.has(event.object.metadata?.name)) continue;
        print([event.object]);
      }
    } catch (err) {
      if (io.signal.aborted) return;
      if (!isQmError(err, 'Gone')) throw err;
      // Too far behind: relist, print only what changed since we last printed, watch from the new list.
      const list = await client.list(q.info, q.namespace, { labelSelector: q.labelSelector, fieldSelector });
      version = list.metadata.resourceVersion;
      print(list.items.filter((o) => (wanted.size === 0 || wanted.has(o.metadata.name)) && seen.get(objectKey(o)) !== o.metadata.resourceVersion));
      continue;
    }
    // The server closed the stream (e.g. a timeout): reconnect from the last version seen.
    await sleep(200, io.signal);
  }
}

export const getCommand: CommandModule = {
  name: 'get',
  register(program, ctx) {
    program
      .command('get')
      .description('List objects of a kind, or show named ones')
      .argument('[kind]', 'plural, singular, short name or Kind (tj, md, q, pc, no, ns, ev…); also KIND/NAME')
      .argument('[names...]', 'objects to show (all when omitted)')
      .option('-n, --namespace <ns>', 'namespace (default "default")')
      .option('-A, --all-namespaces', 'list across all namespaces')
      .option('-l, --selector <selector>', 'label selector, e.g. team=nlp,tier!=dev')
      .option('--field-selector <selector>', 'field selector, e.g. status.phase=Running')
      .option('-o, --output <format>', 'table | wide | yaml | json | name', 'table')
      .option('-w, --watch', 'after listing, print a row per change until Ctrl-C')
      .addHelpText('after', '\nExamples:\n  qm get nodes\n  qm get tj -A\n  qm get tj bert -n team-nlp -o yaml\n  qm get tj -n team-nlp -w')
      .action(async (kind: string | undefined, names: string[], opts: GetOptions) => {
        await runGet(ctx.io, ctx.client(), kind === undefined ? [] : [kind, ...names], opts);
      });
  },
};
