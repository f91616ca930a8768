/**
 * The expected cost of checkpointing and of interruptions on a long training run.
 *
 * With a checkpoint every τ of compute that blocks training for C (writing the training state),
 * and interruptions arriving at r per hour of wall time, each wasting on average τ/2 of work since
 * the last checkpoint plus a restart time R:
 *   checkpoint overhead   f_c = C / τ
 *   share of wall time lost to interruptions   u = r · (τ/2 + R)
 *   wall time = compute time · (1 + f_c) / (1 − u)          (u ≥ 1: the run never finishes)
 * r = failure rate per GPU-hour × GPUs (hardware, on any capacity) + on spot, the spot
 * interruption rate per node-hour × nodes. The checkpoint holds the bf16 weights and the fp32
 * master weights and Adam moments: 14 bytes/param (BLOOM-176B's full checkpoint was 2.3 TB), each
 * node writing its shard in parallel.
 *
 * Example:
 * ```ts
 * trainingOverheads({ computeHours: 100, params: 7e9, gpus: 32, capacityType: 'spot' }).wallHours; // > 100
 * ```
 */
export const CHECKPOINT_BYTES_PER_PARAM = 14;

/** Defaults, each one stated in docs/planner.md with where it comes from. */
export const OVERHEAD_DEFAULTS = {
  checkpointIntervalMinutes: 30,
  /** Write bandwidth of one node to checkpoint storage, GB/s. */
  checkpointWriteGBpsPerNode: 2,
  restartMinutes: 10,
  /**
   * Unexpected interruptions per GPU-hour: Llama 3 (Dubey et al. 2024, §3.3.4) saw 419 in 54 days
   * on 16,384 H100s = 419 / (54 × 24 × 16,384) ≈ 1.97e-5.
   */
  failuresPerGpuHour: 419 / (54 * 24 * 16_384),
  /** Spot reclaims per node per month: 20 %, AWS Spot Instance Advisor's highest bucket (">20 %"), where GPU instances usually sit. */
  spotInterruptionsPerNodeMonth: 0.2,
  gpusPerNode: 8,
} as const;

const HOURS_PER_MONTH = (365 * 24) / 12;

export interface OverheadInput {
  computeHours: number;
  params: number;
  gpus: number;
  capacityType: 'on-demand' | 'spot';
  checkpointIntervalMinutes?: number;
  checkpointWriteGBpsPerNode?: number;
  restartMinutes?: number;
  failuresPerGpuHour?: number;
  spotInterruptionsPerNodeMonth?: number;
  gpusPerNode?: number;
}

export interface Overheads {
  nodes: number;
  checkpointWriteSeconds: number;
  checkpointOverheadFraction: number;
  interruptionsPerHour: number;
  /** u above: the share of wall time lost to interruptions. */
  interruptionLossFraction: number;
  expectedInterruptions: number;
  /** False when interruptions come faster than work can be saved (u ≥ 1). */
  viable: boolean;
  /** Infinity when not viable. */
  wallHours: number;
}

export function trainingOverheads(input: OverheadInput): Overheads {
  const d = OVERHEAD_DEFAULTS;
  const gpusPerNode = input.gpusPerNode ?? d.gpusPerNode;
  const nodes = Math.ceil(input.gpus / gpusPerNode);
  const tauHours = (input.checkpointIntervalMinutes ?? d.checkpointIntervalMinutes) / 60;
  const writeBytesPerSecond = (input.checkpointWriteGBpsPerNode ?? d.checkpointWriteGBpsPerNode) * 1e9 * nodes;
  const checkpointWriteSeconds = (CHECKPOINT_BYTES_PER_PARAM * input.params) / writeBytesPerSecond;
  const checkpointOverheadFraction = checkpointWriteSeconds / 3600 / tauHours;
  const spotPerNodeHour = input.capacityType === 'spot' ? (input.spotInterruptionsPerNodeMonth ?? d.spotInterruptionsPerNodeMonth) / HOURS_PER_MONTH : 0;
  const interruptionsPerHour = (input.failuresPerGpuHour ?? d.failuresPerGpuHour) * input.gpus + spotPerNodeHour * nodes;
  const lossPerInterruptionHours = tauHours / 2 + (input.restartMinutes ?? d.restartMinutes) / 60;
  const interruptionLossFraction = interruptionsPerHour * lossPerInterruptionHours;
  const viable = interruptionLossFraction < 1;
  const wallHours = viable ? (input.computeHours * (1 + checkpointOverheadFraction)) / (1 - interruptionLossFraction) : Infinity;
  return {
    nodes, checkpointWriteSeconds, checkpointOverheadFraction, interruptionsPerHour, interruptionLossFraction,
    expectedInterruptions: viable ? interruptionsPerHour * wallHours : Infinity, viable, wallHours,
  };
}
