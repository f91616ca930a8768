import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { CliError, EXIT_FAILURE, EXIT_USAGE, errorLines } from '../errors.js';
import { lines } from '../ndjson.js';
import { serverMainPath } from '../repo-paths.js';
import type { CommandContext, CommandModule } from './context.js';
import { runDemo } from './up-demo.js';

interface UpOptions {
  dataDir?: string;
  port?: string;
  gatewayPort?: string;
  hpaSyncPeriod?: string;
  gatewayRateWindow?: string;
  host?: string;
  virtualGpus?: string;
  logLevel?: string;
  demo?: boolean;
}

/** The one line the server prints on stdout when it is ready (see the server/CLI contract). */
export const READY_LINE = /^Quartermaster listening on (\S+) \(data: (.*), config: (.*)\)$/;

/** GPUs `qm up --demo` pretends to have on a machine without any, so the example jobs (4 GPUs in all) can run. */
export const DEMO_VIRTUAL_GPUS = 4;

/**
 * The server's command-line flags for `qm up`'s options (validated: bad numbers are usage errors).
 * `--demo` on a host without GPUs adds DEMO_VIRTUAL_GPUS virtual ones unless `--virtual-gpus` says otherwise.
 */
export function serverArgs(opts: UpOptions, host: { hasGpus: boolean } = { hasGpus: true }): string[] {
  const args: string[] = [];
  if (opts.demo && opts.virtualGpus === undefined && !host.hasGpus) args.push('--virtual-gpus', String(DEMO_VIRTUAL_GPUS));
  if (opts.dataDir) args.push('--data-dir', opts.dataDir);
  if (opts.port !== undefined) args.push('--port', wholeNumber('--port', opts.port, 65535));
  if (opts.gatewayPort !== undefined) args.push('--gateway-port', wholeNumber('--gateway-port', opts.gatewayPort, 65535));
  if (opts.hpaSyncPeriod !== undefined) args.push('--hpa-sync-period', opts.hpaSyncPeriod);
  if (opts.gatewayRateWindow !== undefined) args.push('--gateway-rate-window', opts.gatewayRateWindow);
  if (opts.host) args.push('--host', opts.host);
  if (opts.virtualGpus !== undefined) args.push('--virtual-gpus', wholeNumber('--virtual-gpus', opts.virtualGpus, 1024));
  if (opts.logLevel) args.push('--log-level', opts.logLevel);
  return args;
}

function wholeNumber(flag: string, value: string, max: number): string {
  if (!/^\d+$/.test(value) || Number(value) > max) throw new CliError(`${flag} must be a whole number from 0 to ${max}, got "${value}"`, EXIT_USAGE);
  return String(Number(value));
}

function nextSteps(url: string): string {
  return [
    '',
    `Quartermaster is up at ${url}. Next steps, in another terminal from the repository root:`,
    '  ./qm get nodes              # this machine, registered as a node',
    '  ./qm apply -f examples/     # submit the example namespaces, queues and jobs',
    '  ./qm get tj -A -w           # watch training jobs go Pending → Admitted → Running → Succeeded',
    '  ./qm describe tj NAME -n NS # why a job waits, its conditions and events',
    'Press Ctrl-C to stop.',
    '',
  ].join('\n') + '\n';
}

/**
 * Runs the platform in the foreground: the server as a child process (its own process group,
 * so one Ctrl-C reaches it exactly once, forwarded from here), its stderr inherited, its ready
 * line relayed. Resolves with the server's exit code.
 */
async function runUp(ctx: CommandContext, opts: UpOptions): Promise<number> {
  const args = serverArgs(opts, { hasGpus: hostHasNvidiaSmi(ctx.io.env) });
  const main = serverMainPath();
  if (!existsSync(main)) {
    throw new CliError(`the server is not built (${main} is missing); run \`npx tsc -b\`, or use ./qm, which builds first`, EXIT_FAILURE);
  }
  const child = spawn(process.execPath, [main, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...ctx.io.env } as NodeJS.ProcessEnv,
    detached: true,
  });
  const exited = new Promise<number>((resolve) => {
    child.on('error', (err) => {
      ctx.io.stderr.write(`error: cannot start the server: ${err.message}\n`);
      resolve(EXIT_FAILURE);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + signalNumber(signal) : EXIT_FAILURE)));
  });
  const stopDemo = new AbortController();
  const forward = () => killChild(child, typeof ctx.io.signal.reason === 'string' ? ctx.io.signal.reason as NodeJS.Signals : 'SIGTERM');
  ctx.io.signal.addEventListener('abort', forward, { once: true });
  // If this process dies (a second Ctrl-C exits at once), take the server down with it.
  const onExit = () => killChild(child, 'SIGKILL');
  process.once('exit', onExit);

  let ready = false;
  let demo: Promise<void> | undefined;
  const relay = (async () => {
    for await (const line of lines(child.stdout!)) {
      ctx.io.stdout.write(`${line}\n`);
      const match = ready ? null : READY_LINE.exec(line);
      if (!match) continue;
      ready = true;
      ctx.io.stdout.write(nextSteps(match[1]));
      if (opts.demo) {
        const signal = AbortSignal.any([ctx.io.signal, stopDemo.signal]);
        demo = runDemo(ctx, { server: match[1], configPath: match[3], signal }).catch((err) => {
          if (!signal.aborted) ctx.io.stderr.write(`error: demo: ${errorLines(err).join('\n')}\n`);
        });
      }
    }
  })();

  const code = await exited;
  stopDemo.abort();
  await relay.catch(() => undefined);
  await demo;
  ctx.io.signal.removeEventListener('abort', forward);
  process.removeListener('exit', onExit);
  if (!ready && code !== 0) ctx.io.stderr.write(`error: the server exited with code ${code} before it was ready (its messages are above)\n`);
  return code;
}

/** Whether `nvidia-smi` is on PATH (the server reads the GPUs from it; without it the host has none). */
function hostHasNvidiaSmi(env: Record<string, string | undefined>): boolean {
  return (env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, 'nvidia-smi')));
}

function killChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

export const upCommand: CommandModule = {
  name: 'up',
  register(program, ctx) {
    program
      .command('up')
      .description('Run the platform on this machine in the foreground (API server, scheduler, local executor)')
      .option('--data-dir <dir>', 'where the SQLite store lives (default $QM_HOME/data)')
      .option('--port <n>', 'HTTP port (default 7070; 0 picks a free one)')
      .option('--gateway-port <n>', 'serving gateway port (default 0: a free one, shown in the logs)')
      .option('--hpa-sync-period <duration>', 'how often HorizontalPodAutoscalers are evaluated (default 15s, as Kubernetes)')
      .option('--gateway-rate-window <duration>', "the window behind the gateway's requests/s, which the HPA reads (default 30s; shorter reacts faster)")
      .option('--host <host>', 'address to listen on (default 127.0.0.1)')
      .option('--virtual-gpus <n>', 'pretend this machine has N GPUs (to try scheduling without GPUs)')
      .option('--log-level <level>', 'server log level (debug, info, warn, error)')
      .option('--demo', `after start, apply examples/cluster/, examples/training/ and examples/serving/ and show jobs moving through their phases (without GPUs: ${DEMO_VIRTUAL_GPUS} virtual ones)`)
      .addHelpText('after', '\nExamples:\n  qm up\n  qm up --virtual-gpus 8 --demo')
      .action(async (opts: UpOptions) => {
        ctx.fail(await runUp(ctx, opts));
      });
  },
};
