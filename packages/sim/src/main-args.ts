/**
 * The simulator entry's command line: `FILE [-o json|table] [--until DURATION]`.
 * Bad flags are values (a usage error with one message), never exceptions.
 *
 * Example:
 * ```ts
 * parseMainArgs(['s.yaml', '-o', 'json', '--until', '6h']);
 * // { ok: true, args: { file: 's.yaml', output: 'json', untilSeconds: 21600 } }
 * ```
 */
import { parseArgs } from 'node:util';
import { parseDurationSeconds } from '@qm/api';

export interface MainArgs {
  file: string;
  output: 'json' | 'table';
  untilSeconds?: number;
  /** `--cost-by G`: print only the run's CostReport document (what `qm cost --scenario` shows). */
  costBy?: 'namespace' | 'queue' | 'job' | 'node';
}

export type MainArgsResult = { ok: true; args: MainArgs } | { ok: true; help: true } | { ok: false; message: string };

export const USAGE = 'usage: qm simulate FILE [-o json|table] [--until DURATION]\n'
  + '  Runs a scenario file (see docs: SCENARIOS) in virtual time and prints what happened.\n'
  + '  -o, --output json|table   output format (default table)\n'
  + '  --until DURATION          stop at this scenario time (e.g. 90s, 15m, 6h, 2d), overriding spec.until\n'
  + '  --cost-by G               print the run\'s cost report (JSON) by namespace|queue|job|node instead\n';

export function parseMainArgs(argv: string[]): MainArgsResult {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        output: { type: 'string', short: 'o' },
        until: { type: 'string' },
        'cost-by': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    return { ok: false, message: (err as Error).message.split('\n')[0] };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: true, help: true };
  if (positionals.length !== 1) {
    return { ok: false, message: positionals.length === 0 ? 'missing the scenario FILE' : `expected one scenario FILE, got ${positionals.length}: ${positionals.join(' ')}` };
  }
  const output = values.output ?? 'table';
  if (output !== 'json' && output !== 'table') return { ok: false, message: `-o must be json or table, got "${output}"` };
  let untilSeconds: number | undefined;
  if (values.until !== undefined) {
    try {
      untilSeconds = parseDurationSeconds(values.until);
    } catch (err) {
      return { ok: false, message: `--until: ${(err as Error).message}` };
    }
  }
  const costBy = values['cost-by'];
  if (costBy !== undefined && !['namespace', 'queue', 'job', 'node'].includes(costBy)) {
    return { ok: false, message: `--cost-by must be namespace, queue, job or node, got "${costBy}"` };
  }
  return { ok: true, args: { file: positionals[0], output, untilSeconds, ...(costBy ? { costBy: costBy as MainArgs['costBy'] } : {}) } };
}
