/**
 * A pass that runs every `intervalMs` (and on demand with `tick()`), never two at once: a tick
 * while a pass runs joins it. `stop()` cancels the timer and waits for the pass in flight. The
 * HPA, budget and idle-GPU loops are this with their own pass.
 *
 * Example:
 * ```ts
 * const loop = startPeriodicLoop({ name: 'budgets', intervalMs: 60_000, runAtStart: true, pass: evaluate, onError: (err) => log.error({ err }) });
 * await loop.tick(); // one pass now (tests)
 * await loop.stop();
 * ```
 */
import type { PlatformLoop } from './platform-loop.js';

export interface PeriodicLoop extends PlatformLoop {
  /** Runs a pass now, or joins the one running; resolves when it is done. */
  tick(): Promise<void>;
}

export interface PeriodicLoopOptions {
  name: string;
  /** 0 = no timer (only tick() runs passes). */
  intervalMs: number;
  /** Run a pass at once, not only after the first interval. */
  runAtStart: boolean;
  /** One pass; a long one may check `stopping()` between steps so stop() need not wait for all of it. */
  pass: (stopping: () => boolean) => Promise<void>;
  /** A failed pass is reported here; the next one runs on schedule. */
  onError: (err: unknown) => void;
}

export function startPeriodicLoop(o: PeriodicLoopOptions): PeriodicLoop {
  let stopped = false;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const tick = (): Promise<void> => {
    if (stopped) return Promise.resolve();
    running ??= o.pass(() => stopped).catch(o.onError).finally(() => { running = undefined; });
    return running;
  };
  const arm = (): void => {
    if (stopped || o.intervalMs <= 0) return;
    timer = setTimeout(() => { void tick().finally(arm); }, o.intervalMs);
    timer.unref();
  };
  if (o.intervalMs > 0) {
    if (o.runAtStart) void tick();
    arm();
  }
  return {
    name: o.name,
    tick,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
