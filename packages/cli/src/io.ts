/**
 * Where a CLI run reads and writes. `main.ts` passes the real process streams; tests pass
 * string buffers, so every command can run in-process against a fake server.
 *
 * Example:
 * ```ts
 * const io = bufferIo({ env: { QM_SERVER: url, QM_TOKEN: 't' } });
 * const code = await runCli(['get', 'queues'], io);
 * io.stdoutText(); // the table
 * ```
 */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /** Read only by `apply -f -` and `delete -f -`. */
  stdin: AsyncIterable<Uint8Array | string>;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Aborted on Ctrl-C / SIGTERM; long-running commands (watch, up, demo) stop cleanly on it. The reason is the signal's name. */
  signal: AbortSignal;
  /** Epoch milliseconds; ages in tables are computed against it. */
  now(): number;
}

export interface TextSink {
  write(text: string): unknown;
}

/** An in-memory CliIo for tests and embedding. */
export interface BufferIo extends CliIo {
  stdoutText(): string;
  stderrText(): string;
  /** Simulates Ctrl-C. */
  interrupt(): void;
}

export function bufferIo(opts: { env?: Record<string, string | undefined>; stdin?: string; cwd?: string; now?: () => number } = {}): BufferIo {
  let out = '';
  let err = '';
  const controller = new AbortController();
  const input = opts.stdin ?? '';
  return {
    stdout: { write: (t: string) => { out += t; return true; } },
    stderr: { write: (t: string) => { err += t; return true; } },
    stdin: (async function* () { if (input) yield input; })(),
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    signal: controller.signal,
    now: opts.now ?? (() => Date.now()),
    stdoutText: () => out,
    stderrText: () => err,
    interrupt: () => controller.abort('SIGINT'),
  };
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
