import { isQmError, type KindInfo } from '@qm/api';
import type { QmClient } from '../client.js';
import { applyOrder, desiredObject } from '../apply-plan.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, errorLines, exitCodeFor } from '../errors.js';
import { qualifiedKind, resolveKind, resolveManifestKind, splitKindAndName } from '../kinds.js';
import { readManifests } from '../manifests.js';
import { collect, namespaceOption, type CommandContext, type CommandModule } from './context.js';

interface DeleteOptions {
  filename: string[];
  namespace?: string;
  ignoreNotFound?: boolean;
}

/**
 * Deletes one object and prints `trainingjob.ml.quartermaster.dev "bert" deleted`.
 * NotFound is an error (exit 1) unless `ignoreNotFound`; other failures are reported as they come.
 */
async function deleteOne(ctx: CommandContext, client: QmClient, info: KindInfo, namespace: string | undefined, name: string, opts: DeleteOptions, label = ''): Promise<'go-on' | 'stop'> {
  try {
    await client.delete(info, namespace, name);
    ctx.io.stdout.write(`${qualifiedKind(info)} "${name}" deleted\n`);
  } catch (err) {
    if (isQmError(err, 'NotFound')) {
      if (opts.ignoreNotFound) return 'go-on';
      const where = namespace ? ` in namespace "${namespace}"` : '';
      ctx.reportError(new CliError(`${label}${qualifiedKind(info)} "${name}" not found${where}`, EXIT_FAILURE));
      return 'go-on';
    }
    ctx.reportError(err, label);
    // An unreachable server fails every other object the same way: say it once.
    if (err instanceof CliError) return 'stop';
  }
  return 'go-on';
}

async function deleteFromFiles(ctx: CommandContext, opts: DeleteOptions): Promise<void> {
  const set = await readManifests(opts.filename, ctx.io);
  for (const err of set.fileErrors) ctx.reportError(err);
  const client = ctx.client();
  // Workloads before the namespaces and queues they live in: the apply order, reversed.
  for (const doc of applyOrder(set.docs).reverse()) {
    if (!doc.object) {
      ctx.reportError(new CliError(`${doc.label}: ${doc.problem}`, EXIT_USAGE));
      continue;
    }
    try {
      const info = resolveManifestKind(doc.object.apiVersion, doc.object.kind);
      const obj = desiredObject(doc.object, info, namespaceOption(opts));
      if (await deleteOne(ctx, client, info, obj.metadata.namespace, obj.metadata.name, opts, `${doc.label}: `) === 'stop') return;
    } catch (err) {
      const [first, ...rest] = errorLines(err);
      ctx.reportError(new CliError(`${doc.label}: ${first}`, exitCodeFor(err), rest));
    }
  }
}

export const deleteCommand: CommandModule = {
  name: 'delete',
  register(program, ctx) {
    program
      .command('delete')
      .description('Delete objects by kind and name, or those described by manifests')
      .argument('[kind]', 'kind (tj, md, q…) or KIND/NAME')
      .argument('[names...]', 'object names')
      .option('-f, --filename <path>', 'delete the objects in these manifests (file, directory or -); repeatable', collect, [])
      .option('-n, --namespace <ns>', 'namespace (default "default")')
      .option('--ignore-not-found', 'treat objects that do not exist as deleted (exit 0)')
      .addHelpText('after', '\nExamples:\n  qm delete tj bert -n team-nlp\n  qm delete -f examples/')
      .action(async (kindArg: string | undefined, names: string[], opts: DeleteOptions) => {
        if (opts.filename.length > 0) {
          if (kindArg !== undefined) throw new CliError('give either KIND NAME or -f FILE, not both', EXIT_USAGE);
          return deleteFromFiles(ctx, opts);
        }
        if (kindArg === undefined) throw new CliError('name what to delete: `qm delete KIND NAME` or `qm delete -f FILE`', EXIT_USAGE);
        const split = splitKindAndName(kindArg);
        const info = resolveKind(split.kind);
        const all = [...(split.name ? [split.name] : []), ...names];
        if (all.length === 0) throw new CliError(`name the ${info.singular} to delete, e.g. \`qm delete ${info.shortNames[0] ?? info.plural} NAME\``, EXIT_USAGE);
        const namespace = info.namespaced ? opts.namespace || 'default' : undefined;
        const client = ctx.client();
        for (const name of all) {
          if (await deleteOne(ctx, client, info, namespace, name, opts) === 'stop') return;
        }
      });
  },
};
