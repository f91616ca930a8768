/**
 * The local Executor: every worker is an OS process group on this host (a small wrapper leads
 * the group and records how the command ended). GPUs go to workers via CUDA_VISIBLE_DEVICES and
 * are never handed to two live workers. State lives in files under the data dir, so a restarted
 * platform finds its still-running workers again — or marks them Lost — and never starts a
 * second copy of a rank while the first may be alive.
 *
 * Example:
 * ```ts
 * const executor = await LocalExecutor.open({ dataDir: '/var/lib/qm', clock });
 * await executor.start(spec);
 * await executor.stop(spec.job, { stopClass: 'Preempted', gracePeriodMs: 30_000 });
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { QmError } from '@qm/api';
import type { AttemptSpec, Clock, Executor, JobKey, ObservedAttempt, ObservedWorker, StopRequest } from '@qm/core';
import { attemptEnded } from '@qm/core';
import {
  attemptDir, ensureDir, files, listAttemptDirs, readJson, writeAttemptFile, type AttemptFile,
} from './attempt-files.js';
import { baseProcessEnv, rankEnv } from './worker-env.js';

export const WORKER_WRAPPER = fileURLToPath(new URL('./worker-wrapper.js', import.meta.url));

export interface ExecutorLogger {
  warn(obj: object, msg: string): void;
  info?(obj: object, msg: string): void;
}

export interface LocalExecutorOptions {
  dataDir: string;
  clock: Clock;
  logger?: ExecutorLogger;
  /** How often reattached workers are checked for exit. Default 250 ms. */
  pollIntervalMs?: number;
  /** The env every worker starts from (default: the platform's own, minus QM_* settings). */
  baseEnv?: Record<string, string>;
}

interface ExitRecord {
  exitCode: number | null;
  signal: string | null;
  error?: string;
  exitedAtMs?: number;
}

interface LiveAttempt {
  dir: string;
  state: AttemptFile;
  /** Wrappers this process spawned (absent for workers found again after a restart). */
  children: Map<number, ChildProcess>;
  killTimer?: NodeJS.Timeout;
  /** Serializes attempt.json writes. */
  saving: Promise<void>;
}

const keyOf = (job: JobKey) => `${job.namespace}/${job.name}/${job.uid}`;
const ended = (w: ObservedWorker) => w.phase === 'Exited' || w.phase === 'Lost';

export class LocalExecutor implements Executor {
  private readonly attempts = new Map<string, LiveAttempt>();
  private readonly listeners = new Set<(job: JobKey) => void>();
  private poller?: NodeJS.Timeout;
  private readonly baseEnv: Record<string, string>;

  private constructor(private readonly opts: LocalExecutorOptions) {
    this.baseEnv = opts.baseEnv ?? baseProcessEnv(process.env);
  }

  /** Opens the executor and finds the workers a previous platform process left running. */
  static async open(opts: LocalExecutorOptions): Promise<LocalExecutor> {
    const executor = new LocalExecutor(opts);
    await executor.recover();
    executor.poller = setInterval(() => executor.poll(), opts.pollIntervalMs ?? 250);
    executor.poller.unref();
    return executor;
  }

  async start(spec: AttemptSpec): Promise<void> {
    const key = keyOf(spec.job);
    const existing = this.attempts.get(key);
    if (existing) {
      throw new QmError('Conflict', `${spec.job.namespace}/${spec.job.name} still has attempt ${existing.state.attempt} on this host; it must end and be released first`);
    }
    if (spec.command.length === 0) throw new QmError('Invalid', 'spec.command is empty: the local executor runs processes');
    const busy = this.busyGpus();
    for (const w of spec.workers) {
      for (const gpu of w.gpus) {
        const holder = busy.get(w.node)?.get(gpu);
        if (holder) throw new QmError('Conflict', `GPU ${gpu} on ${w.node} is still held by ${holder}`);
      }
    }
    const dir = attemptDir(this.opts.dataDir, spec.job, spec.attempt);
    if (existsSync(files.state(dir))) {
      throw new QmError('Conflict', `attempt ${spec.attempt} of ${spec.job.namespace}/${spec.job.name} already ran (${dir})`);
    }
    await ensureDir(dir);
    const nowMs = this.opts.clock.now();
    const live: LiveAttempt = {
      dir, children: new Map(), saving: Promise.resolve(),
      state: {
        job: spec.job, attempt: spec.attempt, startedAtMs: nowMs,
        workers: spec.workers.map((w) => ({ ...w, phase: 'Starting' as const })),
        ...(spec.resumeFrom ? { resumeFrom: spec.resumeFrom } : {}),
      },
    };
    this.attempts.set(key, live);
    await this.save(live);

    const badDir = spec.workingDir && !isDirectory(spec.workingDir) ? `workingDir ${spec.workingDir} is not a directory` : undefined;
    const masterPort = await freePort();
    for (const worker of live.state.workers) {
      if (badDir) {
        Object.assign(worker, { phase: 'Lost', error: badDir, exitedAtMs: nowMs });
        continue;
      }
      const env = { ...this.baseEnv, ...rankEnv(spec, worker, { masterPort, preemptFile: files.preempt(dir), progressFile: files.progress(dir) }) };
      const logFd = openSync(files.log(dir, worker.rank), 'a');
      try {
        const child = spawn(process.execPath, [WORKER_WRAPPER, files.exit(dir, worker.rank), ...spec.command, ...spec.args], {
          cwd: spec.workingDir || undefined, env, detached: true, stdio: ['ignore', logFd, logFd],
        });
        child.unref();
        worker.pid = child.pid;
        worker.startedAtMs = nowMs;
        worker.phase = child.pid ? 'Running' : 'Starting';
        live.children.set(worker.rank, child);
        child.on('error', (err) => this.markLost(key, spec.attempt, worker.rank, `could not start the worker: ${err.message}`));
        child.on('exit', (code, signal) => this.onWrapperExit(key, spec.attempt, worker.rank, code, signal));
      } catch (err) {
        Object.assign(worker, { phase: 'Lost', error: `could not start the worker: ${(err as Error).message}`, exitedAtMs: nowMs });
      } finally {
        closeSync(logFd);
      }
    }
    await this.save(live);
    this.emit(spec.job);
  }

  async stop(job: JobKey, request: StopRequest): Promise<void> {
    const live = this.attempts.get(keyOf(job));
    if (!live || live.state.stop || attemptEnded(live.state)) return;
    const nowMs = this.opts.clock.now();
    live.state.stop = { ...request, requestedAtMs: nowMs };
    // Notice first (the file), then SIGTERM to every rank at once.
    await writeFile(files.preempt(live.dir), `${JSON.stringify({
      deadline: new Date(nowMs + request.gracePeriodMs).toISOString(), reason: request.stopClass, message: request.message ?? '',
    })}\n`);
    for (const w of live.state.workers) {
      if (ended(w)) continue;
      w.phase = 'Terminating';
      signalGroup(w.pid, 'SIGTERM');
    }
    this.scheduleKill(live);
    await this.save(live);
    this.emit(job);
  }

  observe(job: JobKey): ObservedAttempt | undefined {
    const live = this.attempts.get(keyOf(job));
    return live ? snapshot(live.state) : undefined;
  }

  list(): ObservedAttempt[] {
    return [...this.attempts.values()].map((l) => snapshot(l.state));
  }

  async release(job: JobKey, attempt: number): Promise<void> {
    const key = keyOf(job);
    const live = this.attempts.get(key);
    if (!live || live.state.attempt !== attempt || !attemptEnded(live.state)) return;
    live.state.released = true;
    await this.save(live);
    this.attempts.delete(key);
    if (live.killTimer) clearTimeout(live.killTimer);
    this.emit(job);
  }

  busyGpus(): Map<string, Map<number, string>> {
    const busy = new Map<string, Map<number, string>>();
    for (const live of this.attempts.values()) {
      const holder = `${live.state.job.namespace}/${live.state.job.name}`;
      for (const w of live.state.workers) {
        if (ended(w)) continue;
        const node = busy.get(w.node) ?? new Map<number, string>();
        for (const gpu of w.gpus) node.set(gpu, holder);
        busy.set(w.node, node);
      }
    }
    return busy;
  }

  onChange(listener: (job: JobKey) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The attempt dir of the job's current attempt (for the checkpoint catalog and progress). */
  attemptDirOf(job: JobKey): string | undefined {
    return this.attempts.get(keyOf(job))?.dir;
  }

  /** Stops watching; the workers keep running (a restarted platform finds them again). */
  async close(): Promise<void> {
    if (this.poller) clearInterval(this.poller);
    for (const live of this.attempts.values()) {
      if (live.killTimer) clearTimeout(live.killTimer);
      // This executor is done: a later one (the restarted platform) owns what happens next.
      for (const child of live.children.values()) child.removeAllListeners('exit').removeAllListeners('error').on('error', () => undefined);
      await live.saving;
    }
  }

  // ── internals ──────────────────────────────────────────────────────────

  private emit(job: JobKey): void {
    for (const listener of this.listeners) {
      try {
        listener(job);
      } catch (err) {
        this.opts.logger?.warn({ err }, 'executor change listener threw');
      }
    }
  }

  private save(live: LiveAttempt): Promise<void> {
    const state = snapshot(live.state) as AttemptFile;
    if (live.state.released) state.released = true;
    live.saving = live.saving.then(() => writeAttemptFile(live.dir, state)).catch((err) => {
      this.opts.logger?.warn({ err, dir: live.dir }, 'could not write attempt.json');
    });
    return live.saving;
  }

  private worker(key: string, attempt: number, rank: number): { live: LiveAttempt; worker: ObservedWorker } | undefined {
    const live = this.attempts.get(key);
    if (!live || live.state.attempt !== attempt) return undefined;
    const worker = live.state.workers.find((w) => w.rank === rank);
    return worker ? { live, worker } : undefined;
  }

  private markLost(key: string, attempt: number, rank: number, error: string): void {
    const found = this.worker(key, attempt, rank);
    if (!found || ended(found.worker)) return;
    Object.assign(found.worker, { phase: 'Lost', error, exitedAtMs: this.opts.clock.now() });
    this.afterWorkerEnded(found.live);
  }

  private onWrapperExit(key: string, attempt: number, rank: number, code: number | null, signal: NodeJS.Signals | null): void {
    const found = this.worker(key, attempt, rank);
    if (!found || ended(found.worker)) return;
    this.applyExit(found.live, found.worker, readExit(found.live.dir, rank), signal ?? (code === null ? 'SIGKILL' : null));
  }

  /** Records how a worker ended: from its exit file, else (wrapper killed) from the signal. */
  private applyExit(live: LiveAttempt, worker: ObservedWorker, exit: ExitRecord | undefined, wrapperSignal: string | null): void {
    const nowMs = this.opts.clock.now();
    if (exit?.error) {
      Object.assign(worker, { phase: 'Lost', error: exit.error, exitedAtMs: exit.exitedAtMs ?? nowMs });
    } else if (exit) {
      worker.phase = 'Exited';
      worker.exitedAtMs = exit.exitedAtMs ?? nowMs;
      if (exit.exitCode !== null) worker.exitCode = exit.exitCode;
      if (exit.signal) worker.signal = exit.signal;
    } else {
      worker.phase = 'Exited';
      worker.exitedAtMs = nowMs;
      worker.signal = wrapperSignal ?? 'SIGKILL';
    }
    this.afterWorkerEnded(live);
  }

  private afterWorkerEnded(live: LiveAttempt): void {
    if (attemptEnded(live.state)) {
      // Children the command left behind in its group must not outlive the attempt.
      for (const w of live.state.workers) signalGroup(groupOf(live, w), 'SIGKILL');
      if (live.killTimer) clearTimeout(live.killTimer);
      live.killTimer = undefined;
    }
    void this.save(live);
    this.emit(live.state.job);
  }

  private scheduleKill(live: LiveAttempt): void {
    const stop = live.state.stop;
    if (!stop) return;
    if (live.killTimer) clearTimeout(live.killTimer);
    const delayMs = Math.max(0, stop.requestedAtMs + stop.gracePeriodMs - this.opts.clock.now());
    live.killTimer = setTimeout(() => {
      live.killTimer = undefined;
      for (const w of live.state.workers) if (!ended(w)) signalGroup(w.pid, 'SIGKILL');
    }, delayMs);
    live.killTimer.unref();
  }

  /** Workers found again after a restart have no child handle: watch their pid and exit file. */
  private poll(): void {
    for (const live of this.attempts.values()) {
      for (const w of live.state.workers) {
        if (ended(w) || live.children.has(w.rank)) continue;
        const exit = readExit(live.dir, w.rank);
        if (exit) this.applyExit(live, w, exit, null);
        else if (!isAlive(w.pid, files.exit(live.dir, w.rank))) {
          const again = readExit(live.dir, w.rank);
          if (again) this.applyExit(live, w, again, null);
          else if (live.state.stop) this.applyExit(live, w, undefined, 'SIGKILL');
          else {
            Object.assign(w, { phase: 'Lost', error: 'the worker process disappeared without an exit record', exitedAtMs: this.opts.clock.now() });
            this.afterWorkerEnded(live);
          }
        }
      }
    }
  }

  private async recover(): Promise<void> {
    const found = new Map<string, LiveAttempt>();
    for (const dir of await listAttemptDirs(this.opts.dataDir)) {
      const state = await readJson<AttemptFile>(files.state(dir));
      if (!state || state.released) continue;
      const live: LiveAttempt = { dir, state, children: new Map(), saving: Promise.resolve() };
      const nowMs = this.opts.clock.now();
      for (const w of state.workers) {
        if (ended(w)) continue;
        const exit = readExit(dir, w.rank);
        if (exit) this.applyExitQuiet(w, exit, nowMs);
        else if (!isAlive(w.pid, files.exit(dir, w.rank))) {
          if (state.stop) Object.assign(w, { phase: 'Exited', signal: 'SIGKILL', exitedAtMs: nowMs });
          else Object.assign(w, { phase: 'Lost', error: 'the worker was gone when the platform restarted', exitedAtMs: nowMs });
        }
      }
      const key = keyOf(state.job);
      const other = found.get(key);
      if (other && other.state.attempt > state.attempt) continue;
      found.set(key, live);
    }
    for (const [key, live] of found) {
      this.attempts.set(key, live);
      if (live.state.stop && !attemptEnded(live.state)) this.scheduleKill(live);
      await this.save(live);
      this.opts.logger?.info?.({ job: key, attempt: live.state.attempt, live: !attemptEnded(live.state) }, 'found a training attempt from before the restart');
    }
  }

  private applyExitQuiet(w: ObservedWorker, exit: ExitRecord, nowMs: number): void {
    if (exit.error) Object.assign(w, { phase: 'Lost', error: exit.error, exitedAtMs: exit.exitedAtMs ?? nowMs });
    else {
      Object.assign(w, { phase: 'Exited', exitedAtMs: exit.exitedAtMs ?? nowMs });
      if (exit.exitCode !== null) w.exitCode = exit.exitCode;
      if (exit.signal) w.signal = exit.signal;
    }
  }
}

function snapshot(state: ObservedAttempt): ObservedAttempt {
  return structuredClone(state);
}

/** The worker's process group (the wrapper's pid, kept after it exits so stragglers can be killed). */
function groupOf(live: LiveAttempt, w: ObservedWorker): number | undefined {
  return w.pid ?? live.children.get(w.rank)?.pid;
}

function readExit(dir: string, rank: number): ExitRecord | undefined {
  try {
    return JSON.parse(readFileSync(files.exit(dir, rank), 'utf8')) as ExitRecord;
  } catch {
    return undefined;
  }
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/** Alive and still our wrapper (not a recycled pid, not a zombie). */
function isAlive(pid: number | undefined, exitFile: string): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return false;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes(exitFile);
  } catch {
    return true; // no /proc (macOS): trust kill(pid, 0)
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A TCP port nobody listens on right now (MASTER_PORT for one attempt). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
