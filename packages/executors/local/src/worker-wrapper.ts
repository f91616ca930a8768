/**
 * The process each worker runs under: `node worker-wrapper.js EXIT_FILE COMMAND [ARGS…]`.
 *
 * It leads the worker's process group, ignores the group-wide SIGTERM (so the notice reaches
 * the real command, not this wrapper), waits for the command and writes how it ended to
 * EXIT_FILE ({exitCode, signal, error, exitedAtMs}) before exiting itself. That file is what
 * lets a restarted platform learn how a worker it did not spawn ended. SIGKILL of the group
 * kills both; then no file is written and the executor knows it killed them.
 */
import { spawn } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';

const [exitFile, command, ...args] = process.argv.slice(2);

function report(result: { exitCode: number | null; signal: string | null; error?: string }): void {
  const tmp = `${exitFile}.tmp`;
  writeFileSync(tmp, JSON.stringify({ ...result, exitedAtMs: Date.now() }));
  renameSync(tmp, exitFile);
}

if (!exitFile || !command) {
  process.stderr.write('usage: worker-wrapper EXIT_FILE COMMAND [ARGS...]\n');
  process.exit(2);
}

// The notice is for the worker; this wrapper stays until the worker is gone.
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => undefined);

const child = spawn(command, args, { stdio: 'inherit' });
child.on('error', (err) => {
  report({ exitCode: null, signal: null, error: `could not start ${command}: ${err.message}` });
  process.exit(127);
});
child.on('exit', (code, signal) => {
  report({ exitCode: code, signal });
  process.exit(code ?? 128);
});
