import { findKind, type ApiObject, type KindInfo } from '@qm/api';
import type { QmClient } from '../client.js';
import { applyOrder, desiredObject } from '../apply-plan.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, errorLines, exitCodeFor } from '../errors.js';
import { qualifiedName, resolveKind, resolveManifestKind } from '../kinds.js';
import { readManifests } from '../manifests.js';
import { collect, namespaceOption, type CommandContext, type CommandModule } from './context.js';

interface CreateOptions {
  filename: string[];
  namespace?: string;
}

/** Server-set metadata is dropped, so the output of `get -o yaml` can be created elsewhere. */
function forCreate(obj: ApiObject): ApiObject {
  const { uid: _uid, resourceVersion: _rv, generation: _gen, creationTimestamp: _ct, deletionTimestamp: _dt, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

async function createOne(ctx: CommandContext, client: QmClient, info: KindInfo, obj: ApiObject, label = ''): Promise<'go-on' | 'stop'> {
  try {
    await client.create(info, forCreate(obj));
    ctx.io.stdout.write(`${qualifiedName(info, obj.metadata.name)} created\n`);
  } catch (err) {
    const [first, ...rest] = errorLines(err);
    ctx.reportError(new CliError(`${label}${first}`, exitCodeFor(err), rest));
    if (err instanceof CliError && err.exitCode === EXIT_FAILURE) return 'stop';
  }
  return 'go-on';
}

/**
 * `qm create namespace NAME` and `qm create -f FILE`: create only — an object that already
 * exists is an error (use `qm apply` to create or update).
 */
export const createCommand: CommandModule = {
  name: 'create',
  register(program, ctx) {
    program
      .command('create')
      .description('Create objects that must not exist yet: `create namespace NAME`, or from manifests with -f')
      .argument('[kind]', 'namespace (ns) — the kind that can be created from a name alone')
      .argument('[name]', 'the new object\'s name')
      .option('-f, --filename <path>', 'create the objects in these manifests (file, directory or -); repeatable', collect, [])
      .option('-n, --namespace <ns>', 'namespace for documents that name none (default "default")')
      .addHelpText('after', '\nExamples:\n  qm create namespace team-nlp\n  qm create -f job.yaml')
      .action(async (kindArg: string | undefined, name: string | undefined, opts: CreateOptions) => {
        const client = () => ctx.client();
        if (opts.filename.length > 0) {
          if (kindArg !== undefined) throw new CliError('give either KIND NAME or -f FILE, not both', EXIT_USAGE);
          const set = await readManifests(opts.filename, ctx.io);
          for (const err of set.fileErrors) ctx.reportError(err);
          const c = client();
          for (const doc of applyOrder(set.docs)) {
            try {
              if (!doc.object) throw new CliError(doc.problem ?? 'not an object', EXIT_USAGE);
              const info = resolveManifestKind(doc.object.apiVersion, doc.object.kind);
              if (await createOne(ctx, c, info, desiredObject(doc.object, info, namespaceOption(opts)), `${doc.label}: `) === 'stop') return;
            } catch (err) {
              const [first, ...rest] = errorLines(err);
              ctx.reportError(new CliError(`${doc.label}: ${first}`, exitCodeFor(err), rest));
            }
          }
          return;
        }
        if (kindArg === undefined) throw new CliError('name what to create: `qm create namespace NAME` or `qm create -f FILE`', EXIT_USAGE);
        const info = resolveKind(kindArg);
        if (info.kind !== 'Namespace') {
          throw new CliError(`${info.plural} need a manifest: write one and run \`qm apply -f FILE\` (or \`qm create -f FILE\`)`, EXIT_USAGE);
        }
        if (!name) throw new CliError('name the namespace to create, e.g. `qm create namespace team-nlp`', EXIT_USAGE);
        const ns = findKind('Namespace')!;
        await createOne(ctx, client(), ns, { apiVersion: ns.apiVersion, kind: ns.kind, metadata: { name } });
      });
  },
};
