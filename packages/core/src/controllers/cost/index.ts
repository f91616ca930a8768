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
export { aggregateCharges, shareIdle, costKey, lostWorkUSD, type CostGrouping, type CostRow, type AttemptCost } from './showback.js';
