import { findKind, restPathFor } from '@qm/api';
import { CliError, EXIT_USAGE } from '../errors.js';
import { resolveKind, splitKindAndName } from '../kinds.js';
import type { CommandModule } from './context.js';

export interface LogsOptions {
  namespace?: string;
  rank?: string;
  attempt?: string;
  replica?: string;
  follow?: boolean;
}

const LOG_KINDS = ['TrainingJob', 'ModelDeployment'];

/**
 * The log path and query of a TrainingJob (`NAME`, `tj/NAME`: `…/trainingjobs/NAME/log?rank=N&attempt=K`)
 * or a ModelDeployment replica (`md/NAME`: `…/modeldeployments/NAME/log?replica=R`), plus `follow=true`.
 *
 * Example: `logRequest('md/sentiment', { namespace: 'team-nlp', replica: '1' })`
 *   → `{ path: '/apis/ml.quartermaster.dev/v1alpha1/namespaces/team-nlp/modeldeployments/sentiment/log', query: { replica: '1', … } }`
 */
export function logRequest(target: string, opts: LogsOptions): { path: string; query: Record<string, string | undefined> } {
  const split = splitKindAndName(target);
  const name = split.name ?? split.kind;
  const kind = split.name === undefined ? 'TrainingJob' : resolveKind(split.kind).kind;
  if (!LOG_KINDS.includes(kind)) {
    throw new CliError(`qm logs reads TrainingJob (tj/NAME) and ModelDeployment (md/NAME) logs; "${split.kind}" is another kind`, EXIT_USAGE);
  }
  const info = findKind(kind)!;
  const path = `${restPathFor(info, opts.namespace || 'default', name)}/log`;
  const follow = opts.follow ? 'true' : undefined;
  if (kind === 'ModelDeployment') {
    if (opts.rank !== undefined || opts.attempt !== undefined) {
      throw new CliError('--rank and --attempt are for TrainingJobs; pick a ModelDeployment replica with --replica', EXIT_USAGE);
    }
    return { path, query: { replica: replicaFlag(opts.replica), follow } };
  }
  if (opts.replica !== undefined) throw new CliError('--replica is for ModelDeployments (md/NAME); pick a TrainingJob worker with --rank', EXIT_USAGE);
  return {
    path,
    query: { rank: nonNegative('--rank', opts.rank), attempt: nonNegative('--attempt', opts.attempt), follow },
  };
}

/** A replica index (0, 1, …) or a replica name as `qm get md NAME -o yaml` lists them. */
function replicaFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^(\d+|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.test(value)) {
    throw new CliError(`--replica must be a replica index (0, 1, …) or a replica name, got "${value}"`, EXIT_USAGE);
  }
  return /^\d+$/.test(value) ? String(Number(value)) : value;
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
      .description("Print a training job's logs (one rank, one attempt) or a model deployment replica's logs")
      .argument('<target>', 'a TrainingJob (NAME or tj/NAME) or a ModelDeployment (md/NAME)')
      .option('-n, --namespace <ns>', 'namespace (default "default")')
      .option('--rank <n>', 'TrainingJob: which worker (default: rank 0)')
      .option('--attempt <k>', 'TrainingJob: which attempt after restarts or preemptions (default: the latest)')
      .option('--replica <r>', 'ModelDeployment: replica index (in name order) or name (default: the first ready one)')
      .option('-f, --follow', 'keep printing new lines until the job or replica ends, or Ctrl-C')
      .addHelpText('after', '\nExamples:\n  qm logs bert -n team-nlp\n  qm logs bert -n team-nlp --rank 1 -f\n  qm logs md/sentiment -n team-nlp --replica 1 -f')
      .action(async (target: string, opts: LogsOptions) => {
        const { path, query } = logRequest(target, opts);
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
