/**
 * Which committed checkpoints to delete: keep the newest `keep`, and never the one an attempt
 * is resuming from (it may still be reading it).
 *
 * Example:
 * ```ts
 * checkpointsToDelete([{ step: 10 }, { step: 20 }, { step: 30 }, { step: 40 }], 2, 10)
 * // → [{ step: 20 }]   (40 and 30 are the newest two; 10 is being resumed from)
 * ```
 */
export interface CatalogedCheckpoint {
  step: number;
  path?: string;
  timeMs?: number;
  sizeBytes?: number;
}

export function checkpointsToDelete<T extends CatalogedCheckpoint>(committed: readonly T[], keep: number, protectedStep?: number): T[] {
  const keepCount = Math.max(1, Math.floor(keep));
  const newestFirst = [...committed].sort((a, b) => b.step - a.step);
  return newestFirst.slice(keepCount).filter((c) => c.step !== protectedStep);
}

/** The newest committed checkpoint, or undefined. */
export function newestCheckpoint<T extends CatalogedCheckpoint>(committed: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const c of committed) if (!best || c.step > best.step) best = c;
  return best;
}
