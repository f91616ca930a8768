// Cost: the built-in price catalog, node price resolution, metering with idle and reconciliation, showback.
export * from './default-prices.js';
export { buildPriceBook, gpuHourPrice, canonicalGpuModel, type PriceBook, type PriceBookOptions, type InstanceRate, type GpuHourRate, type HostRates } from './price-book.js';
export {
  resolveNodePrice, splitNodePrice, nodeCapacityType, nodeCapacity, INSTANCE_TYPE_LABEL, MAX_HOST_SHARE_OF_GPU_NODE,
  type NodePrice, type PricedNode, type UnpricedNode, type NodeCapacity, type NodeRates,
} from './node-price.js';
export {
  chargedAmounts, podHourlyUSD, podIntervalCost, meterNode, reconcileMeters,
  type CostOwner, type PodInterval, type ResourceHours, type CostBreakdown, type PodCharge, type NodeMeter, type TimeWindow, type Reconciliation,
} from './metering.js';
export { aggregateCharges, shareIdle, costKey, lostWorkUSD, usdPer1kRequests, type CostGrouping, type CostRow, type AttemptCost } from './showback.js';
export {
  trainingWorkerRequests, replicaRequests, costOwnerOf, attemptWindows, trainingJobIntervals, deploymentIntervals,
  missingNodePrice, workloadCost, costStatusOf, roundCost, UNKNOWN_NODE, type AttemptWindow, type WorkloadCost,
} from './workload-cost.js';
export { buildCostReport, groupIntervalsByNode, parseCostGrouping, COST_GROUPINGS, type CostReport, type CostReportInput, type CostTotals, type MeteredNode } from './cost-report.js';
export {
  detectIdleGpus, idlePolicyFor, idleGpuMessage, DEFAULT_IDLE_POLICY, IDLE_THRESHOLD_ANNOTATION, IDLE_WINDOW_ANNOTATION, IDLE_GPU_REASON,
  IDLE_ACTION_ANNOTATION, IDLE_ACTIONS, STOPPED_ANNOTATION, SIMULATED_UTILIZATION_ANNOTATION, STOPPED_CONDITION,
  gpusHeldBy, heldGpusKey, gpuSampleName, isStoppedByPlatform, IdleGpuTracker, idleDecision, idleStopMessage,
  stoppedTrainingJobStatus, resumedStatus, idleMinReplicas,
  type IdlePolicy, type IdleVerdict, type GpuUtilizationSample, type IdleAction, type HeldGpus, type IdleObservation,
  type IdleFinding, type IdleDecision,
} from './idle-gpus.js';
export { costReportDocument, type CostReportDocumentOptions } from './cost-report-document.js';
