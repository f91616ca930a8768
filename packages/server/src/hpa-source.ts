import { GATEWAY_POD_METRICS, type Gateway, type GatewayPodMetric } from '@qm/gateway';
import type { HpaMetricsSource, HpaReplicaInfo } from './hpa-loop.js';

/** What the HPA needs from the serving runtime: its replicas (with real cpu use) and its gateway. */
export interface ServingMetricsProvider {
  readonly gateway: Pick<Gateway, 'stats'>;
  replicaUsage(namespace: string, name: string): HpaReplicaInfo[];
}

const isGatewayMetric = (metric: string): metric is GatewayPodMetric => (GATEWAY_POD_METRICS as readonly string[]).includes(metric);

/**
 * The live HPA's metric source: replicas and cpu from the serving runtime, the per-replica
 * `http_requests_per_second` / `in_flight_requests` (Pods metrics) and their deployment-wide
 * values (Object metrics on the ModelDeployment) from the gateway. A metric the gateway does not
 * measure is `undefined`, which the HPA reports as invalid (and then never scales down).
 *
 * Example: `startHpaLoop({ store, clock, recorder, source: servingMetricsSource(serving) })`
 */
export function servingMetricsSource(serving: ServingMetricsProvider): HpaMetricsSource {
  return {
    replicas: (namespace, name) => serving.replicaUsage(namespace, name),
    podMetric(namespace, name, metric) {
      const stats = serving.gateway.stats(`${namespace}/${name}`);
      if (!stats || !isGatewayMetric(metric)) return undefined;
      return new Map(stats.replicas.map((r) => [r.id, r.metrics[metric]]));
    },
    deploymentMetric(namespace, name, metric) {
      const stats = serving.gateway.stats(`${namespace}/${name}`);
      return stats && isGatewayMetric(metric) ? stats.metrics[metric] : undefined;
    },
  };
}
