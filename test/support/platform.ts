/**
 * Starts the REAL Quartermaster server (`node packages/server/dist/main.js`) for integration and
 * end-to-end tests, on a free port with a throw-away data dir and QM_HOME, and waits for its
 * ready line. Reuse it from any test under test/.
 *
 * Example:
 * ```ts
 * import { after, before, test } from 'node:test';
 * import { startTestPlatform, type TestPlatform } from './support/platform.js';
 *
 * let platform: TestPlatform;
 * before(async () => { platform = await startTestPlatform({ virtualGpus: 4 }); });
 * after(() => platform.cleanup());
 *
 * test('lists nodes', async () => {
 *   const res = await fetch(`${platform.url}/apis/ml.quartermaster.dev/v1alpha1/nodes`,
 *     { headers: { Authorization: `Bearer ${platform.token}` } });
 * });
 * ```
 *
 * - `url`, `token` (read from the `<qmHome>/config.json` the server writes), `qmHome`,
 *   `dataDir`, `configPath`: what a client needs. Point the CLI at it with `QM_HOME=qmHome`
 *   (see ./qm-cli.ts) or `--server url --token token`.
 * - `stop()`: SIGTERM, waits for a clean exit (SIGKILL after `stopTimeoutMs`), returns the exit code.
 * - `kill9()`: SIGKILL, as a crash would; the data dir stays for `restart()`.
 * - `restart()`: starts again on the same data dir, QM_HOME and port (so URLs stay valid);
 *   `url` and `token` are refreshed.
 * - `cleanup()`: stops the server, kills any training worker or serving replica it left, and
 *   deletes the temp dirs this helper created.
 * - `logs()`: everything the server wrote to stderr (set QM_TEST_SERVER_LOGS=1 to also stream it).
 * Servers still running when the test process exits are SIGKILLed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file compiles to test/dist/support/). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const SERVER_MAIN = join(REPO_ROOT, 'packages', 'server', 'dist', 'main.js');
export const CLI_MAIN = join(REPO_ROOT, 'packages', 'cli', 'dist', 'main.js');

/** The server's one stdout line when ready (see the server/CLI contract). */
export const READY_LINE = /^Quartermaster listening on (\S+) \(data: (.*), config: (.*)\)$/;

export interface StartPlatformOptions {
  /** Data dir to use (kept on cleanup); default: a fresh temp dir (deleted on cleanup). */
  dataDir?: string;
  /** QM_HOME to use (kept on cleanup); default: a fresh temp dir (deleted on cleanup). */
  qmHome?: string;
  /** `--port`; default 0 (a free port). */
  port?: number;
  /** `--virtual-gpus N`. */
  virtualGpus?: number;
  /** `--log-level`; default `warn` to keep test output quiet. */
  logLevel?: string;
  /** More server flags, appended as given. */
  extraArgs?: string[];
  /** Extra environment for the server process. */
  env?: Record<string, string>;
  /** How long to wait for the ready line; default 30 s. */
  readyTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 10 s. */
  stopTimeoutMs?: number;
}

export interface TestPlatform {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  /** The admin token from `<qmHome>/config.json`. */
  readonly token: string;
  readonly qmHome: string;
  readonly dataDir: string;
  readonly configPath: string;
  /** The running server process (undefined after stop/kill9 until restart). */
  readonly process: ChildProcess | undefined;
  /** Everything the server printed to stderr so far, across restarts. */
  logs(): string;
  /** Environment for a CLI child process: inherited env with QM_HOME set and QM_SERVER/QM_TOKEN removed. */
  cliEnv(): Record<string, string>;
  /**
   * One API call with the admin token: the parsed JSON body (undefined when empty); a non-2xx
   * answer throws an Error carrying `status` and `body`.
   */
  api(method: string, path: string, body?: unknown): Promise<any>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
  restart(): Promise<void>;
  cleanup(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function startTestPlatform(opts: StartPlatformOptions = {}): Promise<TestPlatform> {
  if (!existsSync(SERVER_MAIN)) {
    throw new Error(`the server is not built (${SERVER_MAIN} is missing): run \`npx tsc -b\` first`);
  }
  const ownDirs: string[] = [];
  const dataDir = opts.dataDir ?? own(mkdtempSync(join(tmpdir(), 'qm-test-data-')));
  const qmHome = opts.qmHome ?? own(mkdtempSync(join(tmpdir(), 'qm-test-home-')));
  function own(dir: string): string {
    ownDirs.push(dir);
    return dir;
  }

  let stderr = '';
  let child: ChildProcess | undefined;
  let url = '';
  let token = '';
  let configPath = join(qmHome, 'config.json');
  let port = opts.port ?? 0;

  async function launch(): Promise<void> {
    const args = [SERVER_MAIN, '--port', String(port), '--data-dir', dataDir, '--qm-home', qmHome, '--log-level', opts.logLevel ?? 'warn'];
    if (opts.virtualGpus !== undefined) args.push('--virtual-gpus', String(opts.virtualGpus));
    args.push(...(opts.extraArgs ?? []));
    const env: Record<string, string> = { ...(process.env as Record<string, string>), QM_HOME: qmHome, ...opts.env };
    delete env.QM_SERVER;
    delete env.QM_TOKEN;
    const proc = spawn(process.execPath, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    proc.on('exit', () => live.delete(proc));
    proc.stderr!.setEncoding('utf8');
    proc.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > 2_000_000) stderr = stderr.slice(-1_000_000);
      if (process.env.QM_TEST_SERVER_LOGS) process.stderr.write(chunk);
    });
    const ready = await waitForReady(proc, opts.readyTimeoutMs ?? 30_000, () => stderr);
    url = ready.url;
    configPath = ready.configPath;
    port = Number(new URL(url).port);
    token = readToken(configPath);
  }

  async function stopWith(signal: NodeJS.Signals): Promise<number | null> {
    const proc = child;
    if (!proc) return null;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), signal === 'SIGKILL' ? 0 : opts.stopTimeoutMs ?? 10_000);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  }

  await launch();

  return {
    get url() { return url; },
    get token() { return token; },
    qmHome,
    dataDir,
    get configPath() { return configPath; },
    get process() { return child; },
    logs: () => stderr,
    cliEnv() {
      const env: Record<string, string> = { ...(process.env as Record<string, string>), QM_HOME: qmHome };
      delete env.QM_SERVER;
      delete env.QM_TOKEN;
      return env;
    },
    stop: () => stopWith('SIGTERM'),
    async kill9() {
      await stopWith('SIGKILL');
    },
    async api(method: string, path: string, body?: unknown) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      if (!res.ok) throw Object.assign(new Error(`${method} ${path} → ${res.status}: ${text}`), { status: res.status, body: text });
      return text ? JSON.parse(text) : undefined;
    },
    async restart() {
      await stopWith('SIGTERM');
      await launch();
    },
    async cleanup() {
      await stopWith('SIGTERM');
      // Training workers outlive the server by design (a restarted platform re-adopts them);
      // a finished test must not leave any behind.
      killWorkerGroups(dataDir);
      // Serving replicas stop with the server, but not after a kill9: kill whatever is recorded.
      killServingReplicaGroups(dataDir);
      for (const dir of ownDirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every pid recorded in a file named `fileName` under `root` (read by `pidsOf`), recursively. */
function recordedPids(root: string, fileName: string, pidsOf: (state: any) => Array<number | undefined>): number[] {
  const pids: number[] = [];
  const walk = (dir: string): void => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === fileName) {
        try {
          for (const pid of pidsOf(JSON.parse(readFileSync(path, 'utf8')))) if (pid) pids.push(pid);
        } catch { /* torn or unreadable: nothing to kill */ }
      }
    }
  };
  walk(root);
  return pids;
}

function killGroups(pids: number[]): void {
  for (const pid of pids) try { process.kill(-pid, 'SIGKILL'); } catch { /* already gone */ }
}

/** SIGKILLs the process group of every worker the local executor recorded under `dataDir/training`. */
export function killWorkerGroups(dataDir: string): void {
  killGroups(recordedPids(join(dataDir, 'training'), 'attempt.json', (s: { workers?: Array<{ pid?: number }> }) => (s.workers ?? []).map((w) => w.pid)));
}

/** SIGKILLs the process group of every serving replica recorded under `dataDir/serving` (replica.json with a pid). */
export function killServingReplicaGroups(dataDir: string): void {
  killGroups(recordedPids(join(dataDir, 'serving'), 'replica.json', (s: { pid?: number }) => [s.pid]));
}

/** Resolves with the URL and config path from the ready line; rejects on exit or timeout with the server's stderr. */
function waitForReady(proc: ChildProcess, timeoutMs: number, stderr: () => string): Promise<{ url: string; configPath: string }> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const fail = (why: string) => {
      cleanup();
      proc.kill('SIGKILL');
      reject(new Error(`${why}\n--- server stderr (last 4000 chars) ---\n${stderr().slice(-4000)}`));
    };
    const onData = (chunk: string) => {
      buffered += chunk;
      for (const line of buffered.split('\n').slice(0, -1)) {
        const m = READY_LINE.exec(line.trim());
        if (m) {
          cleanup();
          // Keep draining stdout so the server never blocks on a full pipe.
          proc.stdout!.resume();
          return resolve({ url: m[1], configPath: m[3] });
        }
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1);
    };
    const onExit = (code: number | null, signal: string | null) => fail(`the server exited (code ${code}, signal ${signal}) before printing its ready line`);
    const timer = setTimeout(() => fail(`the server printed no ready line within ${timeoutMs} ms`), timeoutMs);
    function cleanup() {
      clearTimeout(timer);
      proc.stdout!.off('data', onData);
      proc.off('exit', onExit);
    }
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', onData);
    proc.once('exit', onExit);
  });
}

function readToken(configPath: string): string {
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as { token?: string };
  if (!config.token) throw new Error(`${configPath} has no token`);
  return config.token;
}
