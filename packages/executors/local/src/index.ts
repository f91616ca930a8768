export { LocalExecutor, WORKER_WRAPPER, freePort, type LocalExecutorOptions, type ExecutorLogger } from './local-executor.js';
export { LocalLogSource, followFile, type LogRequest, type LocalLogSourceOptions } from './log-source.js';
export { scanCheckpoints, pruneCheckpoints, COMMITTED_MARKER, type CommittedCheckpoint } from './checkpoint-catalog.js';
export { jobEnv, rankEnv, baseProcessEnv } from './worker-env.js';
export { attemptDir, jobRoot } from './attempt-files.js';
export {
  startTrainingRuntime, checkpointDirOf, interruptionOf, type TrainingRuntime, type TrainingRuntimeOptions,
} from './training-runtime.js';
export {
  LocalServingExecutor, killLeftoverReplicas, servingReplicaKey, type LocalServingExecutorOptions, type ServingReplicaState,
} from './serving-executor.js';
export { ServingReplica, type ServingReplicaSpec, type ServingReplicaObservation, type ServingProcessPhase } from './serving-replica.js';
export { probeOnce, ProbeTracker, type ProbeResult, type ProbeTarget } from './serving-probes.js';
export { GroupCpuMeter, groupCpuSeconds } from './serving-cpu.js';
