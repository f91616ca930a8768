#!/usr/bin/env node
/**
 * The `qm` executable: wires the real process (argv, streams, env, signals) to `runCli`.
 * The first Ctrl-C/SIGTERM asks the running command to stop cleanly (watches end, `qm up`
 * forwards it to the server); a second one exits at once.
 */
import { runCli } from './cli.js';
import { EXIT_INTERRUPTED } from './errors.js';
import type { CliIo } from './io.js';

const controller = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (controller.signal.aborted) process.exit(EXIT_INTERRUPTED);
    controller.abort(signal);
  });
}
// A closed pipe (`qm get tj | head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const io: CliIo = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
  signal: controller.signal,
  now: () => Date.now(),
};

const code = await runCli(process.argv.slice(2), io);
process.exitCode = code;
// Let stdout drain, then leave even if a stream (a watch) left a handle open.
process.stdout.write('', () => process.exit(code));
