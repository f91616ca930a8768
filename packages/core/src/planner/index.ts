// The planner: training cost/time/memory and serving capacity estimates (formulas: docs/planner.md).
export { gpuSpec, KNOWN_GPU_MODELS, type GpuSpec } from './gpu-specs.js';
export {
  planMemory, modelStateBytes, activationBytes, BYTES_PER_PARAM, USABLE_MEMORY_FRACTION, SHARDINGS,
  type Sharding, type ActivationCheckpointing, type ModelShape, type MemoryInput, type MemoryPlan, type ShardingOption,
} from './training-memory.js';
export { trainingOverheads, OVERHEAD_DEFAULTS, CHECKPOINT_BYTES_PER_PARAM, type OverheadInput, type Overheads } from './training-overheads.js';
export { planTraining, DEFAULT_MFU, type TrainingPlanInput, type TrainingPlan, type CapacityEstimate } from './training-plan.js';
export { planServing, SERVING_DEFAULTS, type ServingPlanInput, type ServingPlan } from './serving-plan.js';
