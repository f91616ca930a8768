export * from './types.js';
export { planNodePoolScaling } from './plan.js';
export { nodePoolShape, podShapeProblem, DEFAULT_SCALE_DOWN_UNNEEDED_SECONDS, type NodePoolShape } from './pool-shape.js';
