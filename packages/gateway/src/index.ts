/**
 * @qm/gateway: the serving reverse proxy the server embeds. `createGateway()` returns a
 * Gateway; the serving controller calls `setRoutes()` when replicas change and the HPA reads
 * `stats()`. See gateway.ts for an example.
 */
export { createGateway, DEFAULT_RATE_BUCKET_MS, DEFAULT_RATE_WINDOW_MS, GATEWAY_POD_METRICS } from './gateway.js';
export type { Gateway, GatewayOptions, GatewayPodMetric, GatewayLogger, DeploymentStats, ReplicaStats, ReplicaRoute, DurationSummary } from './gateway.js';
export { parseGatewayPath, type GatewayTarget } from './proxy-headers.js';
export { SlidingWindow, type SlidingWindowOptions } from './sliding-window.js';
