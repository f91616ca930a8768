import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CliError, EXIT_FAILURE, EXIT_INTERRUPTED } from './errors.js';
import type { CommandContext } from './commands/context.js';

/**
 * Runs one of the repository's offline programs (the simulator, the planner) as a child process
 * — the CLI imports only @qm/api — relaying its stdout and stderr and resolving with its exit
 * code. Ctrl-C is forwarded. `stderrRewrite` may edit complete stderr lines (e.g. to name a file
 * as the user typed it).
 *
 * Example: `await runOfflineProgram(ctx, planMainPath(), ['training', '--params', '7e9'], 'the planner')`
 */
export async function runOfflineProgram(
  ctx: CommandContext, mainPath: string, args: readonly string[], what: string, stderrRewrite: (lines: string) => string = (l) => l,
): Promise<number> {
  if (!existsSync(mainPath)) {
    throw new CliError(`${what} is not built (${mainPath} is missing); run \`npx tsc -b\`, or use ./qm, which builds first`, EXIT_FAILURE);
  }
  const child = spawn(process.execPath, [mainPath, ...args], { cwd: ctx.io.cwd, env: { ...ctx.io.env } as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => ctx.io.stdout.write(chunk));
  // Whole lines only, so a rewrite never sees half a path.
  let errTail = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    const text = errTail + chunk;
    const cut = text.lastIndexOf('\n') + 1;
    errTail = text.slice(cut);
    if (cut > 0) ctx.io.stderr.write(stderrRewrite(text.slice(0, cut)));
  });
  const stop = () => child.kill('SIGTERM');
  ctx.io.signal.addEventListener('abort', stop, { once: true });
  try {
    return await new Promise<number>((done) => {
      child.on('error', (err) => {
        ctx.io.stderr.write(`error: cannot start ${what}: ${err.message}\n`);
        done(EXIT_FAILURE);
      });
      child.on('close', (code, signal) => {
        if (errTail) ctx.io.stderr.write(stderrRewrite(errTail));
        done(code ?? (signal && ctx.io.signal.aborted ? EXIT_INTERRUPTED : EXIT_FAILURE));
      });
    });
  } finally {
    ctx.io.signal.removeEventListener('abort', stop);
  }
}
