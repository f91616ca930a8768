// The training controller's public surface (helpers such as setCondition stay internal so they
// cannot clash with other controllers' exports from @qm/core).
export * from './types.js';
export { restartBackoffMs, DEFAULT_BACKOFF_BASE_MS, DEFAULT_BACKOFF_MAX_MS } from './backoff.js';
export { checkpointsToDelete, newestCheckpoint, type CatalogedCheckpoint } from './checkpoint-retention.js';
export { classifyEndedAttempt, countsAsFailure, firstFailure, type WorkerVerdict } from './attempt-class.js';
export { lostWorkSeconds, crashLoopStep } from './attempt-records.js';
export { reconcileTrainingJob } from './reconcile.js';
