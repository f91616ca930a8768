import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED } from '../errors.js';
import { planMainPath } from '../repo-paths.js';
import type { CommandContext, CommandModule } from './context.js';

/**
 * `qm plan training|serving …`: estimates offline, no server needed. Runs the planner's program
 * (packages/sim/dist/plan-main.js) as a child process — the CLI imports only @qm/api — passing
 * the arguments through unchanged and relaying stdout, stderr and the exit code (0 plan printed,
 * 2 bad input, 1 internal failure). The program owns the flags and `qm plan --help`.
 *
 * Example:
 * ```sh
 * qm plan training --params 7e9 --tokens 2e12 --gpu A100-80GB --gpus 32 --mfu 0.4 -o json
 * qm plan serving --peak-qps 1000 --latency-ms 50 --concurrency 4
 * ```
 */
export async function runPlan(ctx: CommandContext, args: string[]): Promise<number> {
  const main = planMainPath();
  if (!existsSync(main)) {
    throw new CliError(`the planner is not built (${main} is missing); run \`npx tsc -b\`, or use ./qm, which builds first`, EXIT_FAILURE);
  }
  const child = spawn(process.execPath, [main, ...args], { cwd: ctx.io.cwd, env: { ...ctx.io.env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ctx.io.stdout.write(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => ctx.io.stderr.write(chunk));
  const stop = () => child.kill('SIGTERM');
  ctx.io.signal.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<number>((done) => {
      child.on('error', (err) => {
        ctx.io.stderr.write(`error: cannot start the planner: ${err.message}\n`);
        done(EXIT_FAILURE);
      });
      child.on('close', (code, signal) => done(code ?? (signal && ctx.io.signal.aborted ? EXIT_INTERRUPTED : EXIT_FAILURE)));
    });
  } finally {
    ctx.io.signal.removeEventListener('abort', stop);
  }
}

export const planCommand: CommandModule = {
  name: 'plan',
  register(program, ctx) {
    program
      .command('plan')
      .description('Estimate a training run (GPU-hours, days, cost, memory) or serving capacity (replicas, cost per month), offline')
      .argument('[args...]', 'training … | serving … (qm plan --help lists the flags)')
      // The planner program parses its own flags, so every option passes through untouched.
      .allowUnknownOption()
      .allowExcessArguments()
      .helpOption(false)
      .addHelpText('after', '\nExamples:\n  qm plan training --params 7e9 --tokens 2e12 --gpu A100-80GB --gpus 32 --mfu 0.4\n  qm plan serving --peak-qps 1000 --latency-ms 50 -o json')
      .action(async (args: string[]) => {
        ctx.fail(await runPlan(ctx, args));
      });
  },
};
