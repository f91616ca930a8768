import { findKind, restPathFor } from '@qm/api';
import { CliError, EXIT_USAGE } from '../errors.js';
import { resolveKind, splitKindAndName } from '../kinds.js';
import type { CommandModule } from './context.js';

interface LogsOptions {
  namespace?: string;
  rank?: string;
  attempt?: string;
  follow?: boolean;
}

/** The log path of a TrainingJob with its query: `…/trainingjobs/NAME/log?rank=N&attempt=K&follow=true`. */
export function logRequest(jobArg: string, opts: LogsOptions): { path: string; query: Record<string, string | undefined> } {
  const split = splitKindAndName(jobArg);
  const name = split.name ?? split.kind;
  if (split.name !== undefined && resolveKind(split.kind).kind !== 'TrainingJob') {
    throw new CliError(`qm logs reads TrainingJob logs; "${split.kind}" is another kind`, EXIT_USAGE);
  }
  const info = findKind('TrainingJob')!;
  return {
    path: `${restPathFor(info, opts.namespace || 'default', name)}/log`,
    query: {
      rank: nonNegative('--rank', opts.rank),
      attempt: nonNegative('--attempt', opts.attempt),
      follow: opts.follow ? 'true' : undefined,
    },
  };
}

function nonNegative(flag: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} must be a whole number ≥ 0, got "${value}"`, EXIT_USAGE);
  return String(Number(value));
}

export const logsCommand: CommandModule = {
  name: 'logs',
  register(program, ctx) {
    program
      .command('logs')
      .description("Print a training job's logs (one rank, one attempt)")
      .argument('<job>', 'the TrainingJob name (or tj/NAME)')
      .option('-n, --namespace <ns>', 'namespace (default "default")')
      .option('--rank <n>', 'which worker (default: the server picks rank 0)')
      .option('--attempt <k>', 'which attempt after restarts or preemptions (default: the latest)')
      .option('-f, --follow', 'keep printing new lines until the job ends or Ctrl-C')
      .addHelpText('after', '\nExamples:\n  qm logs bert -n team-nlp\n  qm logs bert -n team-nlp --rank 1 -f')
      .action(async (job: string, opts: LogsOptions) => {
        const { path, query } = logRequest(job, opts);
        const res = await ctx.client().open('GET', path, { query, streaming: true });
        if (!res.body) return;
        const decoder = new TextDecoder();
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) ctx.io.stdout.write(decoder.decode(chunk, { stream: true }));
        } catch (err) {
          if (!ctx.io.signal.aborted) throw err;
        }
        const tail = decoder.decode();
        if (tail) ctx.io.stdout.write(tail);
      });
  },
};
