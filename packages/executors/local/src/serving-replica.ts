/**
 * One serving replica as an OS process group on this host: started with PORT set to its own
 * free port, probed (readiness decides traffic, liveness restarts it), restarted with back-off
 * whenever it exits (Kubernetes restartPolicy Always), and stopped with SIGTERM, then SIGKILL
 * after the grace period. Its output goes to `replica.log`, its pid to `replica.json` (so a
 * crashed platform's leftovers can be found and killed).
 *
 * Example:
 * ```ts
 * const replica = new ServingReplica(spec, { dir, port: 41234, clock, onChange });
 * replica.start();
 * replica.observe();  // { phase: 'Starting', ready: false, port: 41234, restarts: 0, … }
 * await replica.stop(); // resolves once the process group is gone
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Probe } from '@qm/api';
import type { Clock } from '@qm/core';
import { ProbeTracker, probeOnce } from './serving-probes.js';

export interface ServingReplicaSpec {
  deployment: { namespace: string; name: string; uid: string };
  /** The replica's name (also its gateway route id). */
  name: string;
  revision: string;
  command: string[];
  args: string[];
  workingDir?: string;
  /** spec.env, resolved; PORT and the QM_* variables are added on top. */
  env: Record<string, string>;
  node: string;
  gpus: number[];
  /** spec.port: probes naming it mean the replica's PORT. */
  containerPort?: number;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  gracePeriodMs: number;
}

export type ServingProcessPhase = 'Starting' | 'Running' | 'Failed' | 'Terminating' | 'Exited';

export interface ServingReplicaObservation {
  name: string;
  revision: string;
  phase: ServingProcessPhase;
  ready: boolean;
  port: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  pid?: number;
  startedAtMs?: number;
  readyTransitionMs?: number;
  restarts: number;
  /** Why it is not ready or last failed, without timings. */
  message?: string;
}

export interface ServingReplicaOptions {
  /** Where replica.log and replica.json go (created). */
  dir: string;
  port: number;
  clock: Clock;
  baseEnv: Record<string, string>;
  /** Called on every change of phase, readiness or restarts. */
  onChange: () => void;
  /** First restart delay; doubles per consecutive failure up to maxBackoffMs. Default 1000 / 30 000. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Without a readiness probe a replica is ready once its PORT accepts connections. */
const IMPLICIT_READINESS: Probe = { tcpSocket: {}, periodSeconds: 1, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 1 };
/** A replica ready this long counts as healthy again: the back-off starts over. */
const BACKOFF_RESET_MS = 60_000;

export class ServingReplica {
  private child?: ChildProcess;
  private pid?: number;
  private phase: ServingProcessPhase = 'Starting';
  private ready = false;
  private everReady = false;
  private startedAtMs?: number;
  private readyTransitionMs?: number;
  private restarts = 0;
  private consecutiveFailures = 0;
  private message?: string;
  private stopping?: Promise<void>;
  private timers = new Set<NodeJS.Timeout>();
  private readonly readiness: ProbeTracker;
  private readonly liveness?: ProbeTracker;
  private generation = 0;

  constructor(readonly spec: ServingReplicaSpec, private readonly opts: ServingReplicaOptions) {
    this.readiness = new ProbeTracker(spec.readinessProbe ?? IMPLICIT_READINESS);
    if (spec.livenessProbe) this.liveness = new ProbeTracker(spec.livenessProbe);
    mkdirSync(opts.dir, { recursive: true });
  }

  get port(): number {
    return this.opts.port;
  }

  /** The process group id while a process runs. */
  get processGroup(): number | undefined {
    return this.child ? this.pid : undefined;
  }

  observe(): ServingReplicaObservation {
    return {
      name: this.spec.name, revision: this.spec.revision, phase: this.phase, ready: this.ready, port: this.opts.port,
      url: `http://127.0.0.1:${this.opts.port}`, restarts: this.restarts,
      ...(this.pid !== undefined && this.child ? { pid: this.pid } : {}),
      ...(this.startedAtMs !== undefined ? { startedAtMs: this.startedAtMs } : {}),
      ...(this.readyTransitionMs !== undefined ? { readyTransitionMs: this.readyTransitionMs } : {}),
      ...(this.message ? { message: this.message } : {}),
    };
  }

  /** Starts the process (once; restarts happen by themselves). */
  start(): void {
    if (this.child || this.stopping) return;
    this.spawnProcess();
  }

  /**
   * SIGTERM to the group, SIGKILL after the grace period; resolves once the process is gone.
   * The replica stays stopped (phase Exited).
   */
  stop(gracePeriodMs = this.spec.gracePeriodMs): Promise<void> {
    if (this.stopping) return this.stopping;
    // Assigned before anything runs: listeners called below may call stop() again.
    let begin!: () => void;
    const started = new Promise<void>((resolve) => { begin = resolve; });
    this.stopping = started.then(async () => {
      this.clearTimers();
      this.generation++;
      this.setReady(false, 'stopping');
      this.phase = 'Terminating';
      this.opts.onChange();
      const child = this.child;
      const deadline = Date.now() + gracePeriodMs;
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        signalGroup(this.pid, 'SIGTERM');
        const kill = setTimeout(() => signalGroup(this.pid, 'SIGKILL'), gracePeriodMs);
        await exited;
        clearTimeout(kill);
      }
      // A launcher (e.g. a pyenv shim) may lead the group and exit before the server it started:
      // the rest of the group gets the remaining grace, then SIGKILL.
      while (groupAlive(this.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      signalGroup(this.pid, 'SIGKILL');
      this.child = undefined;
      this.phase = 'Exited';
      this.writeState(undefined);
      this.opts.onChange();
    });
    begin();
    return this.stopping;
  }

  // ── internals ──

  private spawnProcess(): void {
    const gen = ++this.generation;
    const s = this.spec;
    const env: Record<string, string> = {
      ...this.opts.baseEnv, ...s.env,
      PORT: String(this.opts.port),
      QM_REPLICA_NAME: s.name,
      QM_DEPLOYMENT: s.deployment.name,
      QM_NAMESPACE: s.deployment.namespace,
      QM_REVISION: s.revision,
      CUDA_VISIBLE_DEVICES: s.gpus.join(','),
      PYTHONUNBUFFERED: '1',
    };
    const logFd = openSync(join(this.opts.dir, 'replica.log'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(s.command[0], [...s.command.slice(1), ...s.args], {
        cwd: s.workingDir || undefined, env, detached: true, stdio: ['ignore', logFd, logFd],
      });
    } catch (err) {
      closeSync(logFd);
      this.onExit(gen, `could not start ${s.command[0]}: ${(err as Error).message}`);
      return;
    }
    closeSync(logFd);
    this.child = child;
    this.pid = child.pid;
    this.startedAtMs = this.opts.clock.now();
    this.phase = this.everReady ? 'Running' : 'Starting';
    this.readiness.reset();
    this.liveness?.reset();
    this.writeState(child.pid);
    child.once('error', (err) => this.onExit(gen, `could not start ${s.command[0]}: ${err.message}`));
    child.once('exit', (code, signal) => this.onExit(gen, signal ? `exited on ${signal}` : `exited with code ${code}`));
    this.opts.onChange();
    this.schedule(gen, 'readiness', s.readinessProbe ?? IMPLICIT_READINESS);
    if (s.livenessProbe) this.schedule(gen, 'liveness', s.livenessProbe);
  }

  private schedule(gen: number, kind: 'readiness' | 'liveness', probe: Probe, first = true): void {
    const delayMs = first ? (probe.initialDelaySeconds ?? 0) * 1000 : (probe.periodSeconds ?? 10) * 1000;
    // Until the first readiness success, probe sooner (≤ 500 ms) so a replica joins traffic quickly.
    const wait = kind === 'readiness' && !first && this.readiness.passing !== true ? Math.min(delayMs, 500) : delayMs;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (gen !== this.generation) return;
      void probeOnce(probe, { port: this.opts.port, containerPort: this.spec.containerPort, env: this.spec.env, cwd: this.spec.workingDir }).then((result) => {
        if (gen !== this.generation) return;
        if (kind === 'readiness') this.onReadiness(result.ok, result.message);
        else this.onLiveness(gen, result.ok, result.message);
        if (gen === this.generation) this.schedule(gen, kind, probe, false);
      });
    }, wait);
    timer.unref();
    this.timers.add(timer);
  }

  private onReadiness(ok: boolean, message: string): void {
    const flip = this.readiness.record(ok);
    if (flip === 'succeeded') this.setReady(true);
    else if (flip === 'failed' || (!ok && !this.ready)) this.setReady(false, `readiness probe failed: ${message}`);
  }

  private onLiveness(gen: number, ok: boolean, message: string): void {
    if (this.liveness?.record(ok) !== 'failed') return;
    // Kubernetes kills the container and restarts it; the restart counts.
    this.message = `liveness probe failed ${this.liveness.failureCount} times: ${message}; restarting`;
    this.generation++;
    this.setReady(false, this.message);
    signalGroup(this.pid, 'SIGTERM');
    const pid = this.pid;
    const kill = setTimeout(() => signalGroup(pid, 'SIGKILL'), this.spec.gracePeriodMs);
    kill.unref();
    this.child?.once('exit', () => {
      clearTimeout(kill);
      this.onExit(this.generation, this.message ?? 'liveness probe failed', true);
    });
    void gen;
  }

  private setReady(ready: boolean, why?: string): void {
    const before = this.message;
    if (ready) this.message = undefined;
    else if (why) this.message = why;
    if (ready === this.ready) {
      if (this.message !== before) this.opts.onChange();
      return;
    }
    this.ready = ready;
    this.readyTransitionMs = this.opts.clock.now();
    if (ready) {
      this.everReady = true;
      this.phase = 'Running';
      this.armBackoffReset();
    }
    this.opts.onChange();
  }

  private armBackoffReset(): void {
    const gen = this.generation;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (gen === this.generation && this.ready) this.consecutiveFailures = 0;
    }, BACKOFF_RESET_MS);
    timer.unref();
    this.timers.add(timer);
  }

  /** The process ended (or never started): unless stopping, wait out the back-off and start again. */
  private onExit(gen: number, why: string, fromLiveness = false): void {
    if (this.stopping || (gen !== this.generation && !fromLiveness)) return;
    signalGroup(this.pid, 'SIGKILL');
    this.child = undefined;
    this.clearTimers();
    this.generation++;
    this.consecutiveFailures++;
    this.restarts++;
    const backoffMs = Math.min(this.opts.maxBackoffMs ?? 30_000, (this.opts.backoffMs ?? 1000) * 2 ** (this.consecutiveFailures - 1));
    this.phase = 'Failed';
    this.ready = false;
    this.readyTransitionMs = this.opts.clock.now();
    this.message = fromLiveness ? why : `${why}; restarting (back-off ${Math.round(backoffMs / 1000)}s)`;
    this.writeState(undefined);
    this.opts.onChange();
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopping) this.spawnProcess();
    }, backoffMs);
    timer.unref();
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private writeState(pid: number | undefined): void {
    const file = join(this.opts.dir, 'replica.json');
    const state = {
      deployment: this.spec.deployment, name: this.spec.name, revision: this.spec.revision, port: this.opts.port,
      ...(pid ? { pid } : {}), updatedAtMs: this.opts.clock.now(),
    };
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify(state));
      renameSync(`${file}.tmp`, file);
    } catch {
      // The state file only helps clean up after a crash; the replica runs without it.
    }
  }
}

function groupAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH' && (err as NodeJS.ErrnoException).code !== 'EPERM') throw err;
  }
}
