import { Command, CommanderError } from 'commander';
import { QmClient } from './client.js';
import { resolveConfig, type ResolvedConfig } from './config.js';
import { COMMANDS } from './commands/index.js';
import type { CommandContext } from './commands/context.js';
import { EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, errorLines, exitCodeFor } from './errors.js';
import type { CliIo } from './io.js';

interface GlobalOptions {
  server?: string;
  token?: string;
  verbose?: boolean;
}

/**
 * Runs one `qm` invocation in-process and resolves with its exit code: 0 success,
 * 1 a request failed, 2 bad usage or input (incl. a 400/422 from the server), 130 Ctrl-C.
 *
 * Example:
 * ```ts
 * const code = await runCli(['get', 'nodes'], processIo());
 * ```
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let exitCode = EXIT_OK;
  const program = new Command('qm');
  let config: ResolvedConfig | undefined;
  const globals = () => program.opts<GlobalOptions>();

  const ctx: CommandContext = {
    io,
    config() {
      config ??= resolveConfig({ flags: globals(), env: io.env });
      return config;
    },
    client(override) {
      const cfg = override ? undefined : ctx.config();
      return new QmClient({
        server: override?.server ?? cfg!.server,
        token: override ? override.token : cfg!.token,
        signal: io.signal,
        verbose: globals().verbose ? (line) => io.stderr.write(`${line}\n`) : undefined,
        missingTokenHint: cfg ? `no token found: pass --token, set QM_TOKEN, or run \`qm up\`, which writes ${cfg.configPath}` : undefined,
      });
    },
    reportError(err, prefix = '') {
      const [first, ...rest] = errorLines(err);
      io.stderr.write(`error: ${prefix}${[first, ...rest].join('\n')}\n`);
      exitCode = Math.max(exitCode, exitCodeFor(err));
    },
    fail(code) {
      exitCode = Math.max(exitCode, code);
    },
  };

  program
    .description('Quartermaster: GPU queues, training and serving for ML teams')
    .option('--server <url>', 'API server URL (default: $QM_SERVER, then $QM_HOME/config.json, then http://127.0.0.1:7070)')
    .option('--token <token>', 'bearer token (default: $QM_TOKEN, then $QM_HOME/config.json)')
    .option('-v, --verbose', 'print each HTTP request and response status to stderr')
    .exitOverride()
    .showHelpAfterError('(run qm --help for usage)')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  for (const command of COMMANDS) command.register(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version requests are successes; everything else commander rejects is bad usage.
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? EXIT_OK : EXIT_USAGE;
    }
    if (io.signal.aborted && (err as Error)?.name === 'AbortError') return Math.max(exitCode, EXIT_INTERRUPTED);
    ctx.reportError(err);
  }
  return exitCode;
}
