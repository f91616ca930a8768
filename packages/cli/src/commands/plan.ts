import { runOfflineProgram } from '../offline-program.js';
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
export function runPlan(ctx: CommandContext, args: string[]): Promise<number> {
  return runOfflineProgram(ctx, planMainPath(), args, 'the planner');
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
