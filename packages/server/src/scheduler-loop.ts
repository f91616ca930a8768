import type { FastifyBaseLogger } from 'fastify';
import { Counter, Histogram, type Registry } from 'prom-client';
import { createScheduler, seededRng, type Clock, type Scheduler, type Recorder, type SchedulerConfig, type Store, type WatchHandle } from '@qm/core';
import type { PlatformLoop } from './platform-loop.js';

/** Kinds whose changes can change a scheduling decision; anything else (Events, tokens) is ignored. */
const SCHEDULING_KINDS = new Set([
  'TrainingJob', 'ModelDeployment', 'Node', 'Queue', 'PriorityClass', 'ResourceQuota', 'LimitRange',
  'PodDisruptionBudget', 'Namespace',
]);

export interface SchedulerLoopOptions {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  logger?: FastifyBaseLogger;
  /** Where the loop's Prometheus metrics go (absent = not exported). */
  registry?: Registry;
  /**
   * A pass also runs this often with no change seen (default 2 s): decisions that depend on
   * time alone — a retry's backoff ending, the starvation bound, a reclaim delay — need one.
   */
  resyncIntervalMs?: number;
  /** After a pass throws, wait this long before the next (default 1 s), so a persistent fault does not spin. */
  errorBackoffMs?: number;
  config?: Partial<SchedulerConfig>;
  /** The decision maker (default: core's createScheduler over the same store); tests pass a fake. */
  scheduler?: Scheduler;
}

export interface SchedulerLoop extends PlatformLoop {
  /** Asks for a pass soon (coalesced with other requests). */
  kick(): void;
  /** Resolves after the next pass that starts after this call has finished. */
  settled(): Promise<void>;
}

/**
 * Runs the core scheduler live: a pass right after any change to an object that matters
 * (coalesced, so a burst of `qm apply` writes costs one or two passes), and a periodic
 * resync. Passes never overlap; a change seen during a pass schedules exactly one more.
 *
 * Example:
 * ```ts
 * const loop = startSchedulerLoop({ store, clock, recorder, logger });
 * loops.push(loop);
 * ```
 */
export async function startSchedulerLoop(opts: SchedulerLoopOptions): Promise<SchedulerLoop> {
  // Live decisions need no replayability, but a fixed seed keeps tie-breaks stable across restarts.
  const scheduler = opts.scheduler ?? createScheduler({ store: opts.store, recorder: opts.recorder, clock: opts.clock, rng: seededRng(1), ...(opts.config ? { config: opts.config } : {}) });
  const metrics = opts.registry ? schedulerMetrics(opts.registry) : undefined;
  const resyncMs = opts.resyncIntervalMs ?? 2000;
  const errorBackoffMs = opts.errorBackoffMs ?? 1000;

  let stopped = false;
  let running: Promise<void> | undefined;
  let wanted = false;
  let waiters: Array<() => void> = [];
  let timer: NodeJS.Timeout | undefined;

  const arm = (delayMs: number): void => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => { timer = undefined; kick(); }, delayMs);
    timer.unref();
  };

  const runOnce = async (): Promise<void> => {
    const startedMs = performance.now();
    const satisfied = waiters;
    waiters = [];
    let delayMs = resyncMs;
    try {
      const result = await scheduler.runPass();
      metrics?.passSeconds.observe((performance.now() - startedMs) / 1000);
      metrics?.admissions.inc(result.admitted.length);
      for (const p of result.preempted) metrics?.preemptions.inc({ rule: p.rule });
      if (result.admitted.length || result.preempted.length) {
        opts.logger?.info({ admitted: result.admitted.length, preempted: result.preempted.length, pending: result.pending, writes: result.writes }, 'scheduling pass');
      }
    } catch (err) {
      metrics?.failures.inc();
      opts.logger?.error({ err }, 'scheduling pass failed; retrying');
      delayMs = errorBackoffMs;
    } finally {
      for (const resolve of satisfied) resolve();
    }
    arm(delayMs);
  };

  function kick(): void {
    if (stopped) return;
    if (running) {
      wanted = true;
      return;
    }
    running = (async () => {
      // Let the writes of one burst (a multi-document apply) land before looking.
      await new Promise<void>((resolve) => setImmediate(resolve));
      do {
        wanted = false;
        await runOnce();
      } while (wanted && !stopped);
      running = undefined;
    })();
  }

  let watch: WatchHandle | undefined = await opts.store.watch({}, (event) => {
    if (SCHEDULING_KINDS.has(event.object.kind)) kick();
  });
  kick();

  return {
    name: 'scheduler',
    kick,
    settled(): Promise<void> {
      if (stopped) return Promise.resolve();
      const done = new Promise<void>((resolve) => waiters.push(resolve));
      kick();
      return done;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearTimeout(timer);
      watch?.close();
      watch = undefined;
      await running;
      for (const resolve of waiters) resolve();
      waiters = [];
      scheduler.close();
    },
  };
}

function schedulerMetrics(registry: Registry) {
  return {
    passSeconds: new Histogram({
      name: 'qm_scheduler_pass_duration_seconds',
      help: 'Wall time of one live scheduling pass (read mirror, decide, persist).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    admissions: new Counter({ name: 'qm_scheduler_admissions_total', help: 'Workloads admitted.', registers: [registry] }),
    preemptions: new Counter({ name: 'qm_scheduler_preemptions_total', help: 'Workloads preempted, by rule.', labelNames: ['rule'] as const, registers: [registry] }),
    failures: new Counter({ name: 'qm_scheduler_pass_failures_total', help: 'Passes that threw (logged; retried after a backoff).', registers: [registry] }),
  };
}
