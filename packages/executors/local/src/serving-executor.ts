/**
 * Runs ModelDeployment replicas as local process groups (one ServingReplica each), each on its
 * own free PORT, with their real cpu use measured from /proc. Unlike training workers, serving
 * replicas do not outlive the platform: close() stops them, and open() kills any a crashed
 * platform left behind (found through `<dataDir>/serving/**\/replica.json`).
 *
 * Example:
 * ```ts
 * const executor = await LocalServingExecutor.open({ dataDir, clock });
 * await executor.start({ deployment, name: 'chat-1a2b3c4d-0', revision: '1a2b3c4d', command: ['python3', 'serve.py'], args: [], env: {}, node: 'host', gpus: [], gracePeriodMs: 30_000 });
 * executor.observe('ml/chat/chat-1a2b3c4d-0'); // { phase: 'Running', ready: true, url: 'http://127.0.0.1:41234', … }
 * await executor.stop('ml/chat/chat-1a2b3c4d-0');
 * await executor.close();
 * ```
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '@qm/core';
import { freePort, type ExecutorLogger } from './local-executor.js';
import { GroupCpuMeter } from './serving-cpu.js';
import { ServingReplica, signalGroup, type ServingReplicaObservation, type ServingReplicaSpec } from './serving-replica.js';
import { baseProcessEnv } from './worker-env.js';

export interface LocalServingExecutorOptions {
  dataDir: string;
  clock: Clock;
  logger?: ExecutorLogger;
  baseEnv?: Record<string, string>;
  /** How often cpu use is sampled. Default 1000 ms. */
  cpuSampleIntervalMs?: number;
  /** The window cpu millicores are averaged over. Default 15 000 ms. */
  cpuWindowMs?: number;
  /** Restart back-off after a replica exits: first delay and cap. Default 1000 / 30 000 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Longest grace a replica gets when the platform shuts down. Default 5000 ms. */
  shutdownGraceMs?: number;
}

export interface ServingReplicaState extends ServingReplicaObservation {
  /** `namespace/deployment/replica`. */
  key: string;
  spec: ServingReplicaSpec;
  /** Real cpu use over the last window (millicores); undefined until measured. */
  cpuMillis?: number;
}

/** `namespace/deployment/replica`: how the executor names a replica. */
export function servingReplicaKey(namespace: string, deployment: string, replica: string): string {
  return `${namespace}/${deployment}/${replica}`;
}

export class LocalServingExecutor {
  private readonly replicas = new Map<string, ServingReplica>();
  private readonly stopping = new Map<string, Promise<void>>();
  private readonly listeners = new Set<(key: string) => void>();
  private readonly meter: GroupCpuMeter;
  private readonly baseEnv: Record<string, string>;
  private sampler?: NodeJS.Timeout;
  private closed = false;

  private constructor(private readonly opts: LocalServingExecutorOptions) {
    this.baseEnv = opts.baseEnv ?? baseProcessEnv(process.env);
    this.meter = new GroupCpuMeter({ windowMs: opts.cpuWindowMs ?? 15_000 });
  }

  static async open(opts: LocalServingExecutorOptions): Promise<LocalServingExecutor> {
    const executor = new LocalServingExecutor(opts);
    const killed = killLeftoverReplicas(opts.dataDir);
    if (killed > 0) opts.logger?.warn({ killed }, 'killed serving replicas a previous platform process left running');
    executor.sampler = setInterval(() => executor.sampleCpu(), opts.cpuSampleIntervalMs ?? 1000);
    executor.sampler.unref();
    return executor;
  }

  /** Starts a replica on a fresh free port. A second start of the same replica is a no-op. */
  async start(spec: ServingReplicaSpec): Promise<void> {
    if (this.closed) throw new Error('the serving executor is closed');
    const key = servingReplicaKey(spec.deployment.namespace, spec.deployment.name, spec.name);
    if (this.replicas.has(key)) return;
    if (spec.command.length === 0) throw new Error(`replica ${spec.name}: spec.command is empty (the local runtime runs processes)`);
    const port = await freePort();
    if (this.replicas.has(key) || this.closed) return;
    const replica = new ServingReplica(spec, {
      dir: join(this.opts.dataDir, 'serving', spec.deployment.namespace, spec.deployment.name, spec.name),
      port, clock: this.opts.clock, baseEnv: this.baseEnv, onChange: () => this.emit(key),
      ...(this.opts.backoffMs !== undefined ? { backoffMs: this.opts.backoffMs } : {}),
      ...(this.opts.maxBackoffMs !== undefined ? { maxBackoffMs: this.opts.maxBackoffMs } : {}),
    });
    this.replicas.set(key, replica);
    replica.start();
  }

  /** Stops a replica (SIGTERM, SIGKILL after its grace) and forgets it once gone. */
  stop(key: string, gracePeriodMs?: number): Promise<void> {
    const replica = this.replicas.get(key);
    if (!replica) return this.stopping.get(key) ?? Promise.resolve();
    let done = this.stopping.get(key);
    if (!done) {
      done = replica.stop(gracePeriodMs).finally(() => {
        this.replicas.delete(key);
        this.stopping.delete(key);
        if (replica.processGroup) this.meter.forget(replica.processGroup);
        this.emit(key);
      });
      this.stopping.set(key, done);
    }
    return done;
  }

  observe(key: string): ServingReplicaState | undefined {
    const replica = this.replicas.get(key);
    if (!replica) return undefined;
    const pgid = replica.processGroup;
    const cpuMillis = pgid ? this.meter.millicores(pgid) : undefined;
    return { key, spec: replica.spec, ...replica.observe(), ...(cpuMillis !== undefined ? { cpuMillis } : {}) };
  }

  list(): ServingReplicaState[] {
    return [...this.replicas.keys()].map((k) => this.observe(k)!).filter(Boolean);
  }

  onChange(listener: (key: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops every replica (grace capped at shutdownGraceMs): serving replicas end with the platform. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.sampler) clearInterval(this.sampler);
    const capMs = this.opts.shutdownGraceMs ?? 5000;
    await Promise.all([...this.replicas.entries()].map(([key, r]) => this.stop(key, Math.min(capMs, r.spec.gracePeriodMs))));
    this.listeners.clear();
  }

  private emit(key: string): void {
    for (const listener of this.listeners) {
      try {
        listener(key);
      } catch (err) {
        this.opts.logger?.warn({ err }, 'serving executor listener threw');
      }
    }
  }

  private sampleCpu(): void {
    const pgids: number[] = [];
    for (const r of this.replicas.values()) if (r.processGroup) pgids.push(r.processGroup);
    this.meter.sample(pgids, this.opts.clock.now());
  }
}

/**
 * SIGKILLs the process group of every replica recorded under `<dataDir>/serving` whose process
 * still is that replica (its environment names it, so a recycled pid is left alone). Returns how many.
 */
export function killLeftoverReplicas(dataDir: string): number {
  let killed = 0;
  const walk = (dir: string): void => {
    let entries;
    try { entries = readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === 'replica.json') {
        try {
          const state = JSON.parse(readFileSync(path, 'utf8')) as { pid?: number; name?: string };
          if (state.pid && isReplicaProcess(state.pid, state.name ?? '')) {
            signalGroup(state.pid, 'SIGKILL');
            killed++;
          }
        } catch { /* torn or unreadable: nothing to kill */ }
      }
    }
  };
  walk(join(dataDir, 'serving'));
  return killed;
}

function isReplicaProcess(pid: number, name: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`QM_REPLICA_NAME=${name}`);
  } catch {
    // No /proc (macOS) or no such process: only trust a live pid where /proc does not exist.
    if (existsSync('/proc/self')) return false;
    try { process.kill(pid, 0); return true; } catch { return false; }
  }
}
