import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED } from '../errors.js';
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
export async function runSimulate(ctx: CommandContext, file: string, opts: SimulateOptions): Promise<number> {
  const main = simMainPath();
  if (!existsSync(main)) {
    throw new CliError(`the simulator is not built (${main} is missing); run \`npx tsc -b\`, or use ./qm, which builds first`, EXIT_FAILURE);
  }
  const args = [main, resolve(ctx.io.cwd, file)];
  if (opts.output !== undefined) args.push('-o', opts.output);
  if (opts.until !== undefined) args.push('--until', opts.until);
  if (opts.costBy !== undefined) args.push('--cost-by', opts.costBy);
  const child = spawn(process.execPath, args, { cwd: ctx.io.cwd, env: { ...ctx.io.env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  // Error lines should name the file as the user typed it, not the absolute path passed down.
  const absolute = resolve(ctx.io.cwd, file);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ctx.io.stdout.write(chunk));
  let errTail = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const text = errTail + chunk;
    const cut = text.lastIndexOf('\n') + 1;
    errTail = text.slice(cut);
    if (cut > 0) ctx.io.stderr.write(text.slice(0, cut).split(absolute).join(file));
  });
  const stop = () => child.kill('SIGTERM');
  ctx.io.signal.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<number>((done) => {
      child.on('error', (err) => {
        ctx.io.stderr.write(`error: cannot start the simulator: ${err.message}\n`);
        done(EXIT_FAILURE);
      });
      child.on('close', (code, signal) => {
        if (errTail) ctx.io.stderr.write(errTail.split(absolute).join(file));
        done(code ?? (signal && ctx.io.signal.aborted ? EXIT_INTERRUPTED : EXIT_FAILURE));
      });
    });
  } finally {
    ctx.io.signal.removeEventListener('abort', stop);
  }
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
