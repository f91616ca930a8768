import { findKind, type ApiObject, type KindInfo } from '@qm/api';
import type { QmClient } from '../client.js';
import { describeText } from '../describe-format.js';
import { CliError, EXIT_USAGE } from '../errors.js';
import { resolveKind, splitKindAndName } from '../kinds.js';
import type { CommandModule } from './context.js';

/**
 * The events about one object: `events` in its namespace (every namespace for a cluster-scoped
 * object) with fieldSelector `involvedObject.name=NAME,involvedObject.kind=KIND`, filtered here
 * too in case the server ignores a selector.
 */
export async function eventsFor(client: QmClient, obj: ApiObject): Promise<ApiObject[]> {
  const eventInfo = findKind('Event')!;
  const { name, namespace } = obj.metadata;
  const list = await client.list(eventInfo, namespace, {
    fieldSelector: `involvedObject.name=${name},involvedObject.kind=${obj.kind}`,
  });
  return list.items.filter((ev) => {
    const ref = ev.involvedObject as { name?: string; kind?: string; namespace?: string } | undefined;
    return ref?.name === name && ref.kind === obj.kind && (!namespace || !ref.namespace || ref.namespace === namespace);
  });
}

async function describeOne(client: QmClient, info: KindInfo, namespace: string | undefined, name: string, nowMs: number): Promise<string> {
  const obj = await client.get(info, namespace, name);
  obj.kind ??= info.kind;
  let events: ApiObject[] | Error;
  try {
    events = await eventsFor(client, obj);
  } catch (err) {
    events = err instanceof Error ? err : new Error(String(err));
  }
  return describeText(obj, events, nowMs);
}

export const describeCommand: CommandModule = {
  name: 'describe',
  register(program, ctx) {
    program
      .command('describe')
      .description('Show one object in detail, with its conditions and events')
      .argument('<kind>', 'kind (tj, md, q, no…) or KIND/NAME')
      .argument('[names...]', 'object names')
      .option('-n, --namespace <ns>', 'namespace (default "default")')
      .addHelpText('after', '\nExamples:\n  qm describe tj bert -n team-nlp\n  qm describe node my-host')
      .action(async (kindArg: string, names: string[], opts: { namespace?: string }) => {
        const split = splitKindAndName(kindArg);
        const info = resolveKind(split.kind);
        const all = [...(split.name ? [split.name] : []), ...names];
        if (all.length === 0) throw new CliError(`name the ${info.singular} to describe, e.g. \`qm describe ${info.shortNames[0] ?? info.plural} NAME\``, EXIT_USAGE);
        const namespace = info.namespaced ? opts.namespace || 'default' : undefined;
        const client = ctx.client();
        for (const [i, name] of all.entries()) {
          if (i > 0) ctx.io.stdout.write('\n\n');
          try {
            ctx.io.stdout.write(await describeOne(client, info, namespace, name, ctx.io.now()));
          } catch (err) {
            ctx.reportError(err);
          }
        }
      });
  },
};
