/**
 * How the workers of an attempt ended, as an AttemptClass. A stop the controller asked for
 * decides the class (a preempted rank that exits 143 is still Preempted); otherwise the first
 * failing rank does: non-zero exit → UserError, killed by a signal / lost / failed to start →
 * InfraFault; every rank exiting 0 → Succeeded.
 *
 * Example: `classifyWorkers([{ rank: 0, phase: 'Exited', exitCode: 1, … }])` → `{ attemptClass: 'UserError', message: 'rank 0 exited with code 1' }`
 */
import type { AttemptClass, ObservedAttempt, ObservedWorker } from '../../ports/executor.js';

export interface WorkerVerdict {
  attemptClass: AttemptClass;
  message: string;
}

/** The first failure among the workers (ranks in order), or undefined while none failed. */
export function firstFailure(workers: readonly ObservedWorker[]): WorkerVerdict | undefined {
  for (const w of [...workers].sort((a, b) => a.rank - b.rank)) {
    if (w.phase === 'Lost') {
      return { attemptClass: 'InfraFault', message: `rank ${w.rank} on ${w.node} was lost${w.error ? `: ${w.error}` : ''}` };
    }
    if (w.phase !== 'Exited') continue;
    if (w.signal) return { attemptClass: 'InfraFault', message: `rank ${w.rank} was killed by ${w.signal}` };
    if (w.exitCode !== undefined && w.exitCode !== 0) {
      return { attemptClass: 'UserError', message: `rank ${w.rank} exited with code ${w.exitCode}` };
    }
    if (w.exitCode === undefined) {
      return { attemptClass: 'InfraFault', message: `rank ${w.rank} exited and its exit status is unknown` };
    }
  }
  return undefined;
}

/** The class of an attempt whose workers have all ended. */
export function classifyEndedAttempt(observed: ObservedAttempt): WorkerVerdict {
  if (observed.stop) {
    return { attemptClass: observed.stop.stopClass, message: observed.stop.message ?? `stopped (${observed.stop.stopClass})` };
  }
  return firstFailure(observed.workers) ?? { attemptClass: 'Succeeded', message: `all ${observed.workers.length} ranks exited with code 0` };
}

/** Classes that use up maxRestarts (and back off). Preemptions and interruptions never do. */
export function countsAsFailure(attemptClass: AttemptClass | undefined): boolean {
  return attemptClass === 'UserError' || attemptClass === 'InfraFault';
}
