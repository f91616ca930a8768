import { isQmError, QmError, type ApiObject, type KindInfo } from '@qm/api';
import type { QmClient } from '../client.js';
import { applyOrder, desiredObject, isUnchanged, mergeForUpdate } from '../apply-plan.js';
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, errorLines, exitCodeFor } from '../errors.js';
import { qualifiedName, resolveManifestKind } from '../kinds.js';
import { readManifests, type ManifestDoc, type ManifestSet } from '../manifests.js';
import { collect, namespaceOption, type CommandModule } from './context.js';
import type { TextSink } from '../io.js';

export type ApplyResult = 'created' | 'configured' | 'unchanged';

/** Metadata the server owns; dropped when creating from, say, the output of `get -o yaml`. */
const SERVER_SET_METADATA = ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp'] as const;

/**
 * Creates or updates one object: GET it; absent → POST; present and already as desired →
 * nothing; otherwise PUT the merge with the fetched resourceVersion. A 409 (someone wrote in
 * between) is retried once from a fresh GET.
 *
 * Example: `await applyObject(client, findKind('Queue')!, queue) // 'created'`
 */
export async function applyObject(client: QmClient, info: KindInfo, desired: ApiObject): Promise<ApplyResult> {
  const { namespace, name } = desired.metadata;
  for (let attempt = 1; ; attempt++) {
    try {
      const stored = await getIfExists(client, info, namespace, name);
      if (!stored) {
        await create(client, info, desired);
        return 'created';
      }
      if (isUnchanged(stored, desired)) return 'unchanged';
      await client.update(info, mergeForUpdate(stored, desired));
      return 'configured';
    } catch (err) {
      if (attempt < 2 && (isQmError(err, 'Conflict') || isQmError(err, 'AlreadyExists'))) continue;
      throw err;
    }
  }
}

async function getIfExists(client: QmClient, info: KindInfo, namespace: string | undefined, name: string): Promise<ApiObject | undefined> {
  try {
    return await client.get(info, namespace, name);
  } catch (err) {
    if (isQmError(err, 'NotFound')) return undefined;
    throw err;
  }
}

async function create(client: QmClient, info: KindInfo, desired: ApiObject): Promise<void> {
  const metadata = { ...desired.metadata };
  for (const key of SERVER_SET_METADATA) delete metadata[key];
  try {
    await client.create(info, { ...desired, metadata });
  } catch (err) {
    // A create that 404s almost always means the namespace is missing; say so if the server did not.
    if (isQmError(err, 'NotFound') && info.namespaced && !/namespace/i.test(err.message)) {
      throw new QmError('NotFound', `${err.message} (does namespace "${metadata.namespace}" exist? create it first)`, err.details);
    }
    throw err;
  }
}

export interface ApplyOutput {
  stdout: TextSink;
  stderr: TextSink;
}

/**
 * Applies every document of a manifest set, Namespaces and policy kinds first, printing one
 * line per document (`trainingjob.ml.quartermaster.dev/bert created`, or an `error:` line with
 * one indented line per bad field). Returns the exit code: 0, or the highest of the failures
 * (2 for invalid documents and YAML errors, 1 for failed requests).
 */
export async function applyManifestSet(client: QmClient, set: ManifestSet, namespace: { value: string; explicit: boolean }, out: ApplyOutput): Promise<number> {
  let exitCode = EXIT_OK;
  const fail = (lines: string[], code: number) => {
    out.stderr.write(`error: ${lines.join('\n')}\n`);
    exitCode = Math.max(exitCode, code);
  };
  for (const err of set.fileErrors) fail(errorLines(err), exitCodeFor(err));
  for (const doc of applyOrder(set.docs)) {
    if (!doc.object) {
      fail([`${doc.label}: ${doc.problem}`], EXIT_USAGE);
      continue;
    }
    try {
      const info = resolveManifestKind(doc.object.apiVersion, doc.object.kind);
      const desired = desiredObject(doc.object, info, namespace);
      const result = await applyObject(client, info, desired);
      out.stdout.write(`${qualifiedName(info, desired.metadata.name)} ${result}\n`);
    } catch (err) {
      const [first, ...rest] = errorLines(err);
      fail([`${doc.label} ${describeDoc(doc)}: ${first}`, ...rest], exitCodeFor(err));
      // An unreachable server fails every remaining document the same way: say it once.
      if (err instanceof CliError && err.exitCode === EXIT_FAILURE) break;
    }
  }
  return exitCode;
}

function describeDoc(doc: ManifestDoc): string {
  const kind = typeof doc.object?.kind === 'string' && doc.object.kind ? doc.object.kind : '<no kind>';
  const name = typeof doc.object?.metadata?.name === 'string' && doc.object.metadata.name ? doc.object.metadata.name : '<no name>';
  return `${kind}/${name}`;
}

export const applyCommand: CommandModule = {
  name: 'apply',
  register(program, ctx) {
    program
      .command('apply')
      .description('Create or update objects from manifests (YAML or JSON; several documents per file)')
      .option('-f, --filename <path>', 'a file, a directory (recursively) or - for stdin; repeatable', collect, [])
      .option('-n, --namespace <ns>', 'namespace for documents that name none (default "default")')
      .addHelpText('after', '\nExamples:\n  qm apply -f examples/\n  qm apply -f job.yaml -n team-nlp\n  cat job.yaml | qm apply -f -')
      .action(async (opts: { filename: string[]; namespace?: string }) => {
        const set = await readManifests(opts.filename, ctx.io);
        const code = await applyManifestSet(ctx.client(), set, namespaceOption(opts), ctx.io);
        ctx.fail(code);
      });
  },
};
