/**
 * `qm plan` output: a readable report and the `-o json` document (training: flops, gpuHours,
 * days, costUSD.{onDemand,spot}, memoryPerGpuGiB, sharding …; serving: replicas, gpus,
 * costUSDPerMonth …). Non-finite numbers (a run that never finishes) are null in JSON.
 *
 * Example:
 * ```ts
 * io.stdout.write(formatTrainingReport(planTraining(input), input));
 * ```
 */
import type { ServingPlan, ServingPlanInput, TrainingPlan, TrainingPlanInput } from '@qm/core';

export function trainingJson(plan: TrainingPlan, input: TrainingPlanInput): Record<string, unknown> {
  const scenario = (e: TrainingPlan['onDemand']) => ({
    gpuHours: e.gpuHours, days: e.days, costUSD: e.costUSD, pricePerGpuHour: e.pricePerGpuHour,
    checkpointOverheadFraction: e.overheads.checkpointOverheadFraction,
    interruptionLossFraction: e.overheads.interruptionLossFraction,
    expectedInterruptions: e.overheads.expectedInterruptions, viable: e.overheads.viable,
  });
  return {
    kind: 'TrainingPlan',
    inputs: { params: input.params, tokens: input.tokens, gpu: plan.gpu.model, gpus: plan.gpus, mfu: plan.mfu, spot: input.spot ?? false },
    gpu: { model: plan.gpu.model, peakTflops: plan.gpu.peakTflops, precision: plan.gpu.precision, memoryGiB: plan.gpu.memoryMiB / 1024 },
    flops: plan.flops,
    computeGpuHours: plan.computeGpuHours,
    capacityType: plan.capacityType,
    gpuHours: plan.gpuHours,
    days: plan.days,
    costUSD: plan.costUSD,
    onDemand: scenario(plan.onDemand),
    spot: scenario(plan.spot),
    price: plan.price,
    memoryPerGpuGiB: plan.memoryPerGpuGiB,
    sharding: plan.sharding,
    fits: plan.memory.fits,
    memory: {
      gpuMemoryGiB: plan.memory.gpuMemoryGiB, usableGiB: plan.memory.usableGiB,
      modelStatesGiB: plan.memory.modelStatesGiB, activationsGiB: plan.memory.activationsGiB,
      ...(plan.memory.microBatch !== undefined ? { microBatch: plan.memory.microBatch, activationCheckpointing: plan.memory.activationCheckpointing } : {}),
      ...(plan.memory.maxMicroBatch !== undefined ? { maxMicroBatch: plan.memory.maxMicroBatch } : {}),
      ...(plan.memory.minGpusToFit !== undefined ? { minGpusToFit: plan.memory.minGpusToFit } : {}),
      options: plan.memory.options,
    },
    warnings: plan.warnings,
  };
}

export function servingJson(plan: ServingPlan, input: ServingPlanInput): Record<string, unknown> {
  return {
    kind: 'ServingPlan',
    inputs: { peakQps: input.peakQps, latencyMs: input.latencyMs, concurrency: input.concurrency ?? 1, gpu: plan.gpu },
    replicas: plan.replicas,
    gpus: plan.gpus,
    offPeak: plan.offPeak,
    replicaMaxQps: plan.replicaMaxQps,
    replicaPlannedQps: plan.replicaPlannedQps,
    gpusPerReplica: plan.gpusPerReplica,
    peakHoursPerDay: plan.peakHoursPerDay,
    capacityType: plan.capacityType,
    pricePerGpuHour: plan.pricePerGpuHour,
    gpuHoursPerMonth: plan.gpuHoursPerMonth,
    costUSDPerMonth: plan.costUSDPerMonth,
    costUSDPerMonthWithoutScaling: plan.costUSDPerMonthWithoutScaling,
    usdPer1kRequests: plan.usdPer1kRequests,
    warnings: plan.warnings,
  };
}

/** JSON with non-finite numbers as null. */
export function toJsonText(doc: unknown): string {
  return `${JSON.stringify(doc, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}

export function formatTrainingReport(plan: TrainingPlan, input: TrainingPlanInput): string {
  const m = plan.memory;
  const lines = [
    `Training plan: ${sci(input.params)} parameters on ${sci(input.tokens)} tokens, ${plan.gpus} × ${plan.gpu.model}`,
    '',
    `  Compute        ${sci(plan.flops)} FLOPs (${plan.flopsPerToken === 6 * input.params ? '6·N·T' : '6·N·T + attention'})`,
    `  Peak           ${plan.gpu.peakTflops} TFLOPS dense ${plan.gpu.precision} per GPU, at ${pct(plan.mfu)} MFU`,
    `  GPU-hours      ${num(plan.computeGpuHours)} of pure compute`,
    '',
    '                 on-demand              spot',
    `  GPU-hours      ${pad(num(plan.onDemand.gpuHours))} ${num(plan.spot.gpuHours)}`,
    `  Wall clock     ${pad(days(plan.onDemand.days))} ${days(plan.spot.days)}`,
    `  Cost           ${pad(money(plan.costUSD.onDemand))} ${money(plan.costUSD.spot)}`,
    `  Price/GPU-hour ${pad(money(plan.onDemand.pricePerGpuHour, 2))} ${money(plan.spot.pricePerGpuHour, 2)}${plan.price?.spotIsEstimate ? ' (estimate)' : ''}`,
    `  Checkpointing  ${pad(`+${pct(plan.onDemand.overheads.checkpointOverheadFraction, 1)}`)} +${pct(plan.spot.overheads.checkpointOverheadFraction, 1)}`,
    `  Interruptions  ${pad(`${num(plan.onDemand.overheads.expectedInterruptions)} (${pct(plan.onDemand.overheads.interruptionLossFraction, 1)} lost)`)} ${num(plan.spot.overheads.expectedInterruptions)} (${pct(plan.spot.overheads.interruptionLossFraction, 1)} lost)`,
    '',
    `  Memory per GPU ${m.perGpuGiB.toFixed(1)} GiB of ${m.usableGiB.toFixed(1)} GiB usable (${m.gpuMemoryGiB.toFixed(0)} GiB GPU) with ${shardingName(plan.sharding)}${m.fits ? '' : ' — DOES NOT FIT'}`,
    ...m.options.map((o) => `    ${shardingName(o.sharding).padEnd(16)} ${o.totalGiB.toFixed(1).padStart(9)} GiB  ${o.fits ? 'fits' : 'too big'}`),
    ...(m.microBatch !== undefined ? [`    activations: ${m.activationsGiB.toFixed(1)} GiB for a micro-batch of ${m.microBatch} (${m.activationCheckpointing} recomputation)`] : []),
    ...(m.maxMicroBatch !== undefined ? [`    largest micro-batch that fits: ${m.maxMicroBatch}`] : []),
  ];
  if (plan.price) lines.push('', `  Prices: ${plan.price.source}. List prices change; override with a PriceCatalog (--prices FILE).`);
  if (plan.warnings.length > 0) lines.push('', ...plan.warnings.map((w) => `  ! ${w}`));
  return `${lines.join('\n')}\n`;
}

export function formatServingReport(plan: ServingPlan, input: ServingPlanInput): string {
  const lines = [
    `Serving plan: ${num(input.peakQps)} QPS at peak, ${input.latencyMs} ms per request, ${input.concurrency ?? 1} in flight per replica, on ${plan.gpu}`,
    '',
    `  Per replica    ${plan.replicaMaxQps.toFixed(1)} QPS at most, planned at ${plan.replicaPlannedQps.toFixed(1)} QPS (${pct(plan.replicaPlannedQps / plan.replicaMaxQps)} utilization)`,
    `  Peak           ${plan.replicas} replicas, ${plan.gpus} GPUs (${plan.peakHoursPerDay} h a day)`,
    `  Off-peak       ${plan.offPeak.replicas} replicas, ${plan.offPeak.gpus} GPUs for ${num(plan.offPeak.qps)} QPS (${24 - plan.peakHoursPerDay} h a day)`,
    `  GPU-hours      ${num(plan.gpuHoursPerMonth)} a month`,
    `  Cost           ${money(plan.costUSDPerMonth)} a month ${plan.capacityType} (${money(plan.costUSDPerMonthWithoutScaling)} if peak replicas run all month)`,
    `  Per request    ${plan.usdPer1kRequests === null ? 'unknown' : `$${plan.usdPer1kRequests.toFixed(4)}`} per 1,000 requests`,
  ];
  if (plan.warnings.length > 0) lines.push('', ...plan.warnings.map((w) => `  ! ${w}`));
  return `${lines.join('\n')}\n`;
}

function shardingName(s: string): string {
  return ({ ddp: 'DDP (no sharding)', 'zero-1': 'ZeRO-1', 'zero-2': 'ZeRO-2', 'zero-3': 'ZeRO-3 / FSDP' } as Record<string, string>)[s] ?? s;
}

function sci(x: number): string {
  return x.toExponential(2).replace('e+', 'e');
}

function num(x: number): string {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'never finishes';
}

function days(x: number): string {
  return Number.isFinite(x) ? `${x.toFixed(1)} days` : 'never finishes';
}

function money(x: number | null, digits = 0): string {
  if (x === null || !Number.isFinite(x)) return 'unknown';
  return `$${x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

function pct(x: number, digits = 0): string {
  return `${(x * 100).toFixed(digits)}%`;
}

function pad(s: string): string {
  return s.padEnd(22);
}
