/**
 * The gateway's Prometheus series, on the registry the embedding server exports on /metrics.
 * Label sets are bound once per replica so the request path does no label hashing: histograms
 * are FastHistograms, and in-flight gauges and request counters are plain numbers handed to
 * prom-client when the registry is read (its `collect` hook). The series come out as prom-client
 * writes them; a request costs no prom-client call.
 *
 * Example: `const m = new GatewayMetrics(registry); const r = m.forReplica('ml', 'llama', 'llama-0');`
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

const DURATION_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const QUEUE_BUCKETS_S = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30];

/** Requests with one status code, counted since the registry was last read. */
interface CodeCount {
  counter: { inc(n: number): void };
  pending: number;
}

/** The series of one replica (or, with replica `""`, of requests no replica answered). */
export class ReplicaSeries {
  private readonly byCode = new Map<number, CodeCount>();
  /** Requests in flight on this replica, for the gauge. */
  private inFlight = 0;
  /** The gauge series exists once the replica had a request (as with prom-client's own inc). */
  private inFlightSeen = false;

  constructor(
    private readonly metrics: GatewayMetrics,
    readonly labels: { namespace: string; deployment: string; replica: string },
    readonly duration: { observe(seconds: number): void },
  ) {}

  requestStarted(): void {
    this.inFlight++;
    this.inFlightSeen = true;
  }

  requestEnded(): void {
    this.inFlight--;
  }

  /** Counts one finished request by status code (0 = no response: connection failed or aborted). */
  countRequest(code: number): void {
    let entry = this.byCode.get(code);
    if (entry === undefined) {
      entry = { counter: this.metrics.requests.labels({ ...this.labels, code: String(code) }), pending: 0 };
      this.byCode.set(code, entry);
    }
    entry.pending++;
  }

  /** Hands the counts since the last read to prom-client (the registry is being read). */
  flushCounts(): void {
    for (const entry of this.byCode.values()) {
      if (entry.pending === 0) continue;
      entry.counter.inc(entry.pending);
      entry.pending = 0;
    }
  }

  flushInFlight(): void {
    if (this.inFlightSeen) this.metrics.inFlight.set(this.labels, this.inFlight);
  }

  /** Drops every series of this replica (it left the deployment and has nothing in flight). */
  remove(): void {
    this.metrics.live.delete(this);
    for (const code of this.byCode.keys()) this.metrics.requests.remove({ ...this.labels, code: String(code) });
    this.byCode.clear();
    this.metrics.inFlight.remove(this.labels);
    this.metrics.duration.remove(this.labels);
  }
}

export class GatewayMetrics {
  readonly requests: Counter<'namespace' | 'deployment' | 'replica' | 'code'>;
  readonly duration: FastHistogram<'namespace' | 'deployment' | 'replica'>;
  readonly inFlight: Gauge<'namespace' | 'deployment' | 'replica'>;
  readonly queue: FastHistogram<'namespace' | 'deployment'>;
  readonly retries: Counter<'namespace' | 'deployment'>;
  readonly readyReplicas: Gauge<'namespace' | 'deployment'>;
  /** Every series not yet removed, for the collect hooks. */
  readonly live = new Set<ReplicaSeries>();

  constructor(registry: Registry) {
    const registers = [registry];
    const live = this.live;
    this.requests = new Counter({
      name: 'qm_gateway_requests_total',
      help: 'Requests through the serving gateway by deployment, replica (empty when none answered) and HTTP status (0: no response).',
      labelNames: ['namespace', 'deployment', 'replica', 'code'] as const, registers,
      collect() { for (const series of live) series.flushCounts(); },
    });
    this.duration = new FastHistogram({
      name: 'qm_gateway_request_duration_seconds',
      help: 'Time from the gateway receiving a request to the last byte of the response, per replica.',
      labelNames: ['namespace', 'deployment', 'replica'] as const, buckets: DURATION_BUCKETS_S, registers,
    });
    this.inFlight = new Gauge({
      name: 'qm_gateway_in_flight_requests',
      help: 'Requests sent to a replica whose response has not finished.',
      labelNames: ['namespace', 'deployment', 'replica'] as const, registers,
      collect() { for (const series of live) series.flushInFlight(); },
    });
    this.queue = new FastHistogram({
      name: 'qm_gateway_queue_seconds',
      help: 'Time a request waited in the gateway before it was sent to a replica.',
      labelNames: ['namespace', 'deployment'] as const, buckets: QUEUE_BUCKETS_S, registers,
    });
    this.retries = new Counter({
      name: 'qm_gateway_retries_total',
      help: 'Requests sent to a second replica after the first refused the connection.',
      labelNames: ['namespace', 'deployment'] as const, registers,
    });
    this.readyReplicas = new Gauge({
      name: 'qm_gateway_ready_replicas',
      help: 'Replicas the gateway currently sends traffic to.',
      labelNames: ['namespace', 'deployment'] as const, registers,
    });
  }

  forReplica(namespace: string, deployment: string, replica: string): ReplicaSeries {
    const labels = { namespace, deployment, replica };
    const series = new ReplicaSeries(this, labels, this.duration.labels(labels));
    this.live.add(series);
    return series;
  }

  /** Drops the deployment-level series (the deployment's routes were removed). */
  removeDeployment(namespace: string, deployment: string): void {
    this.queue.remove({ namespace, deployment });
    this.retries.remove({ namespace, deployment });
    this.readyReplicas.remove({ namespace, deployment });
  }
}
