/**
 * createScheduler / runSchedulingPass: the live entry points (temporary skeleton; filled in below).
 */
import type { Scheduler, SchedulerDeps, SchedulingPassResult } from './types.js';

export function createScheduler(deps: SchedulerDeps): Scheduler {
  void deps;
  return {
    async runPass(): Promise<SchedulingPassResult> {
      return { admitted: [], preempted: [], pending: 0, writes: 0 };
    },
    close(): void {},
  };
}

/** Convenience for tests: one pass from a fresh list. */
export async function runSchedulingPass(deps: SchedulerDeps): Promise<SchedulingPassResult> {
  const s = createScheduler(deps);
  try {
    return await s.runPass();
  } finally {
    s.close();
  }
}
