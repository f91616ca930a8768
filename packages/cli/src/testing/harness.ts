import { runCli } from '../cli.js';
import { bufferIo, type BufferIo } from '../io.js';

export interface QmRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `qm ARGS` in-process against `server` with `token`, with QM_HOME pointing nowhere
 * (so no real config file leaks in).
 *
 * Example: `const { code, stdout } = await runQm(api.url, 't', ['get', 'queues']);`
 */
export async function runQm(server: string, token: string | undefined, args: string[], opts: { stdin?: string; cwd?: string; now?: () => number; io?: BufferIo } = {}): Promise<QmRun> {
  const io = opts.io ?? bufferIo({
    env: { QM_SERVER: server, QM_TOKEN: token, QM_HOME: '/nonexistent/qm-home' },
    stdin: opts.stdin, cwd: opts.cwd, now: opts.now,
  });
  const code = await runCli(args, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

/** A URL on which nothing listens (a port that was free a moment ago), for connection-refused tests. */
export async function unreachableUrl(): Promise<string> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
