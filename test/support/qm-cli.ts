/**
 * Runs the REAL `qm` CLI (`node packages/cli/dist/main.js`) as a child process, for end-to-end
 * tests. Pair it with ./platform.ts: `runQm(platform, ['get', 'nodes'])` sets QM_HOME to the
 * platform's, so the CLI finds server and token in the config.json the server wrote.
 *
 * Example:
 * ```ts
 * const { code, stdout, stderr } = await runQm(platform, ['apply', '-f', 'examples/']);
 * const watch = spawnQm(platform, ['get', 'tj', '-A', '-w']);
 * await watch.waitForStdout(/bert/);
 * await watch.stop();
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_MAIN, REPO_ROOT, type TestPlatform } from './platform.js';

export interface QmResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface QmRunOptions {
  /** Written to stdin (e.g. for `apply -f -`). */
  input?: string;
  /** Extra environment, applied over the platform's CLI env. */
  env?: Record<string, string>;
  cwd?: string;
  /** Kill the CLI after this long (default 30 s) — a hung command fails the test instead of hanging it. */
  timeoutMs?: number;
}

type EnvSource = Pick<TestPlatform, 'cliEnv'> | { cliEnv(): Record<string, string> };

export function runQm(platform: EnvSource, args: string[], opts: QmRunOptions = {}): Promise<QmResult> {
  const proc = spawnCli(platform, args, opts);
  let stdout = '';
  let stderr = '';
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
  const timer = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve) => {
    proc.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? -1 : null), stdout, stderr });
    });
  });
}

export interface RunningQm {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout matches (rejects after timeoutMs, default 15 s, with what was printed). */
  waitForStdout(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Sends SIGINT (Ctrl-C) and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts a long-running CLI command (`get -w`, `logs -f`, `up`) and lets the test read its output as it comes. */
export function spawnQm(platform: EnvSource, args: string[], opts: QmRunOptions = {}): RunningQm {
  const proc = spawnCli(platform, args, opts);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  proc.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; for (const w of waiters) w(); });
  proc.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const closed = new Promise<number | null>((resolve) => proc.on('close', (code) => resolve(code)));
  return {
    process: proc,
    stdout: () => out,
    stderr: () => err,
    waitForStdout(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(out)) return;
          done();
          resolve();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern} in qm ${args.join(' ')}\n--- stdout ---\n${out}\n--- stderr ---\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGINT') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      try {
        return await closed;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

function spawnCli(platform: EnvSource, args: string[], opts: QmRunOptions): ChildProcess {
  const proc = spawn(process.execPath, [CLI_MAIN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...platform.cliEnv(), ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  proc.stdin!.end(opts.input ?? '');
  return proc;
}
