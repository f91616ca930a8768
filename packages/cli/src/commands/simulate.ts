import { resolve } from 'node:path';
import { runOfflineProgram } from '../offline-program.js';
import { simMainPath } from '../repo-paths.js';
import type { CommandContext, CommandModule } from './context.js';

interface SimulateOptions {
  output?: string;
  until?: string;
  /** Print the run's CostReport by this grouping instead of the report (`qm cost --scenario`). */
  costBy?: string;
}

/**
 * `qm simulate FILE [-o json|table] [--until DURATION]`: runs the simulator's program
 * (packages/sim/dist/main.js) as a child process — the CLI imports only @qm/api — and relays
 * its stdout, stderr and exit code (0 report printed, 2 bad file or flags, 1 internal failure).
 *
 * Example:
 * ```sh
 * qm simulate examples/scenarios/borrow-then-reclaim.yaml -o json --until 3h
 * ```
 */
export function runSimulate(ctx: CommandContext, file: string, opts: SimulateOptions): Promise<number> {
  const absolute = resolve(ctx.io.cwd, file);
  const args = [absolute];
  if (opts.output !== undefined) args.push('-o', opts.output);
  if (opts.until !== undefined) args.push('--until', opts.until);
  if (opts.costBy !== undefined) args.push('--cost-by', opts.costBy);
  // Error lines should name the file as the user typed it, not the absolute path passed down.
  return runOfflineProgram(ctx, simMainPath(), args, 'the simulator', (lines) => lines.split(absolute).join(file));
}

export const simulateCommand: CommandModule = {
  name: 'simulate',
  register(program, ctx) {
    program
      .command('simulate')
      .description('Run a scenario file in virtual time with the real scheduler and print what happened')
      .argument('<file>', 'the Scenario file (YAML)')
      .option('-o, --output <format>', 'json or table (default table)')
      .option('--until <duration>', 'stop at this scenario time (90s, 15m, 6h, 2d), overriding spec.until')
      .addHelpText('after', '\nExamples:\n  qm simulate examples/scenarios/borrow-then-reclaim.yaml\n  qm simulate s.yaml -o json --until 3h > report.json')
      .action(async (file: string, opts: SimulateOptions) => {
        ctx.fail(await runSimulate(ctx, file, opts));
      });
  },
};
