/**
 * The serving gateway: one HTTP listener that proxies `/<namespace>/<name>/<rest…>` to the
 * ready replicas of that ModelDeployment, and measures what the HPA reads.
 *
 * Example:
 * ```ts
 * const gateway = createGateway({ registry, logger });
 * const url = await gateway.listen({ port: 0, host: '127.0.0.1' });
 * gateway.setRoutes('ml/llama', [{ id: 'llama-0', url: 'http://127.0.0.1:9001', ready: true }]);
 * // curl $url/ml/llama/v1/generate  → http://127.0.0.1:9001/v1/generate
 * gateway.stats('ml/llama')?.replicas[0].metrics.http_requests_per_second;
 * await gateway.close();
 * ```
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import { QmError, type ErrorDetails } from '@qm/api';
import type { Clock } from '@qm/core';
import { Registry } from 'prom-client';
import { ClientConnection, type ConnectionHost } from './client-connection.js';
import { Exchange, type ExchangeContext, type GatewayLogger } from './exchange.js';
import { GatewayMetrics } from './gateway-metrics.js';
import type { MessageHead } from './http1-head.js';
import { parseGatewayPath } from './proxy-headers.js';
import { DeploymentState, validateRoutes, type ReplicaRoute } from './route-table.js';
import type { DurationSummary } from './sliding-window.js';
import { plainResponse, statusResponse } from './status-responses.js';

export type { GatewayLogger } from './exchange.js';
export type { ReplicaRoute } from './route-table.js';
export type { DurationSummary } from './sliding-window.js';

export interface GatewayOptions {
  /** pino (or anything with debug/warn); silent when absent. */
  logger?: GatewayLogger;
  /** Where the qm_gateway_* series go; a private registry when absent (see `Gateway.registry`). */
  registry?: Registry;
  /** Time for the stats windows (requests/s); latencies use the monotonic clock. Default: wall clock. */
  clock?: Clock;
  /** Width of the sliding window behind requests/s and the latency summaries. Default 30 000. */
  rateWindowMs?: number;
  /** Step the window slides by. Default 1000. */
  rateBucketMs?: number;
  /** A connection to a replica not established within this is a connect failure (retried). Default 5000. */
  connectTimeoutMs?: number;
  /** A replica that sends nothing for this long gets 504 (or a cut response). Default 300 000. */
  idleTimeoutMs?: number;
  /** Requests per replica before further ones queue in the gateway. Default: unlimited (no queue). */
  maxInFlightPerReplica?: number;
  /** How long a request may queue for a busy replica before 503. Default 30 000. */
  queueTimeoutMs?: number;
  /** The Retry-After of a 503. Default 1. */
  retryAfterSeconds?: number;
  /** Idle keep-alive connections to replicas close after this (below the common 5 s server timeout). Default 4000. */
  upstreamKeepAliveMs?: number;
  /** On close(), how long requests in flight may finish before their connections are cut. Default 5000. */
  closeGraceMs?: number;
}

/** The HPA `Pods` metric names the gateway measures per replica (and per deployment, for `Object`). */
export const GATEWAY_POD_METRICS = ['http_requests_per_second', 'in_flight_requests'] as const;
export type GatewayPodMetric = typeof GATEWAY_POD_METRICS[number];

/** Per-replica numbers; `metrics` holds the values an HPA `Pods` metric of that name reads. */
export interface ReplicaStats {
  id: string;
  url: string;
  ready: boolean;
  /** Requests sent to this replica per second over the window. */
  requestsPerSecond: number;
  /** Requests sent to this replica whose response has not finished. */
  inFlightRequests: number;
  /** Since the replica joined the routes. */
  requestsTotal: number;
  /** 5xx answers, cut responses and client aborts since the replica joined. */
  failuresTotal: number;
  /** Gateway-observed time from request arrival to the response's last byte, over the window. */
  latency: DurationSummary;
  metrics: Record<GatewayPodMetric, number>;
}

export interface DeploymentStats {
  /** `namespace/name`. */
  deployment: string;
  windowMs: number;
  /** Every request for this deployment per second, including those answered 503. */
  requestsPerSecond: number;
  inFlightRequests: number;
  /** Requests waiting in the gateway for a replica with room (only with `maxInFlightPerReplica`). */
  queuedRequests: number;
  readyReplicas: number;
  /** Time from arrival to being sent to a replica. */
  queueTime: DurationSummary;
  latency: DurationSummary;
  replicas: ReplicaStats[];
  metrics: Record<GatewayPodMetric, number>;
}

export interface Gateway {
  /** The registry holding the qm_gateway_* series (the one passed in, or the gateway's own). */
  readonly registry: Registry;
  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:41234`. */
  listen(opts: { port: number; host?: string }): Promise<string>;
  /** The base URL once listening (undefined before). */
  readonly url: string | undefined;
  /** The stable URL of a deployment: `${url}/<ns>/<name>/` (for `status.endpoint`). */
  endpoint(deploymentKey: string): string;
  /**
   * Replaces the replicas of `namespace/name` (call on every change; an empty list keeps the
   * deployment known, answering 503). Replicas keep their stats across calls by `id`.
   * Throws QmError `Invalid` naming the bad field.
   */
  setRoutes(deploymentKey: string, replicas: ReplicaRoute[]): void;
  /** Forgets a deployment: its path answers 404 again and its series are dropped. */
  removeRoutes(deploymentKey: string): void;
  /** The `namespace/name` keys with routes. */
  deployments(): string[];
  /** Numbers for the HPA and `qm describe`; undefined for an unknown deployment. */
  stats(deploymentKey: string): DeploymentStats | undefined;
  /** Stops accepting, lets requests in flight finish (up to `closeGraceMs`), then cuts the rest. */
  close(): Promise<void>;
}

/** The default width of the requests/s window (`rateWindowMs`). */
export const DEFAULT_RATE_WINDOW_MS = 30_000;
/** The default step it slides by (`rateBucketMs`): the shortest window there can be. */
export const DEFAULT_RATE_BUCKET_MS = 1000;

const SILENT: GatewayLogger = { debug() {}, warn() {} };
const WALL_CLOCK: Clock = { now: () => Date.now() };

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new QmError('Invalid', `gateway option ${name} must be a positive number, got ${String(value)}`,
      { causes: [{ field: name, message: 'must be a positive number', reason: 'FieldValueInvalid' }] });
  }
  return value;
}

export function createGateway(opts: GatewayOptions = {}): Gateway {
  const registry = opts.registry ?? new Registry();
  const clock = opts.clock ?? WALL_CLOCK;
  const window = { windowMs: positive('rateWindowMs', opts.rateWindowMs, DEFAULT_RATE_WINDOW_MS), bucketMs: positive('rateBucketMs', opts.rateBucketMs, DEFAULT_RATE_BUCKET_MS) };
  if (window.windowMs < window.bucketMs) {
    throw new QmError('Invalid', `gateway option rateWindowMs (${window.windowMs}) must be >= rateBucketMs (${window.bucketMs})`,
      { causes: [{ field: 'rateWindowMs', message: 'must be >= rateBucketMs', reason: 'FieldValueInvalid' }] });
  }
  const maxInFlightPerReplica = positive('maxInFlightPerReplica', opts.maxInFlightPerReplica, Infinity);
  const closeGraceMs = opts.closeGraceMs ?? 5000;
  const metrics = new GatewayMetrics(registry);
  const ctx: ExchangeContext = {
    clock,
    metrics,
    logger: opts.logger ?? SILENT,
    poolOptions: {
      connectTimeoutMs: positive('connectTimeoutMs', opts.connectTimeoutMs, 5000),
      idleTimeoutMs: positive('idleTimeoutMs', opts.idleTimeoutMs, 300_000),
      keepAliveMs: positive('upstreamKeepAliveMs', opts.upstreamKeepAliveMs, 4000),
    },
    upstreams: new Set(),
    queueTimeoutMs: positive('queueTimeoutMs', opts.queueTimeoutMs, 30_000),
    retryAfterSeconds: positive('retryAfterSeconds', opts.retryAfterSeconds, 1),
    avoidAfterRefusalMs: 2000,
    inFlight: 0,
  };
  const deployments = new Map<string, DeploymentState>();
  const connections = new Set<ClientConnection>();
  let baseUrl: string | undefined;

  /** Answers from the gateway itself (metrics, health, errors): one write, then the next request. */
  const respond = (conn: ClientConnection, head: MessageHead, code: number, contentType: string, body: string) => {
    const close = conn.mustClose();
    conn.writeUtf8(plainResponse(code, contentType, body, { connection: conn.connectionLine(close), headOnly: head.method === 'HEAD' }));
    conn.responseDone(!close);
  };
  const respondStatus = (conn: ClientConnection, head: MessageHead, code: number, reason: string, message: string, details?: ErrorDetails, close = false) => {
    close ||= conn.mustClose();
    conn.writeUtf8(statusResponse(code, reason, message, { connection: conn.connectionLine(close), headOnly: head.method === 'HEAD' }, details));
    conn.responseDone(!close);
  };

  const host: ConnectionHost & { closing: boolean } = {
    closing: false,
    connectionClosed(conn) {
      connections.delete(conn);
    },
    handleRequest(conn, head, firstBody) {
      const rawUrl = head.target;
      // An Upgrade is an offer the server may ignore (RFC 9110 §7.8): h2c is (the request goes on
      // as HTTP/1.1); anything else, such as WebSocket, gets a clear refusal, not a confused replica.
      if (head.method === 'CONNECT' || (head.upgrade !== undefined && head.upgrade.toLowerCase() !== 'h2c')) {
        respondStatus(conn, head, 501, 'NotImplemented', `the gateway does not proxy ${head.method === 'CONNECT' ? 'CONNECT' : `protocol upgrades (Upgrade: ${head.upgrade})`}`, undefined, true);
        return;
      }
      if (head.route === undefined) head.route = parseGatewayPath(rawUrl) ?? null;
      const target = head.route;
      const deployment = target && deployments.get(target.key);
      if (target && deployment) {
        const exchange = new Exchange(ctx, conn, head, deployment, target, firstBody);
        conn.handler = exchange;
        exchange.start();
        return;
      }
      if (rawUrl === '/metrics' && head.method === 'GET') {
        registry.metrics().then((text) => respond(conn, head, 200, registry.contentType, text),
          (err: Error) => respondStatus(conn, head, 500, 'InternalError', `metrics: ${err.message}`));
        return;
      }
      if (rawUrl === '/healthz') {
        respond(conn, head, 200, 'text/plain', 'ok\n');
        return;
      }
      metrics.requests.inc({ namespace: '', deployment: '', replica: '', code: '404' });
      const what = target ? `deployment "${target.key}"` : `path "${rawUrl.split('?')[0]}"`;
      respondStatus(conn, head, 404, 'NotFound', `no ${what} behind this gateway; URLs look like /<namespace>/<name>/<path>`,
        target ? { name: target.name, kind: 'ModelDeployment' } : undefined);
    },
  };

  const server: Server = createServer({ noDelay: true }, (socket) => {
    connections.add(new ClientConnection(socket, host));
  });

  return {
    registry,
    get url() { return baseUrl; },

    async listen({ port, host = '127.0.0.1' }) {
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        throw new QmError('Invalid', `gateway listen port must be an integer 0-65535, got ${String(port)}`,
          { causes: [{ field: 'port', message: 'must be an integer 0-65535', reason: 'FieldValueInvalid' }] });
      }
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => { server.off('error', reject); resolve(); });
      });
      const address = server.address() as AddressInfo;
      // A wildcard bind is reachable on loopback; name that in the URL.
      const shown = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '[::1]' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
      baseUrl = `http://${shown}:${address.port}`;
      return baseUrl;
    },

    endpoint(deploymentKey) {
      if (baseUrl === undefined) throw new QmError('ServiceUnavailable', 'the gateway is not listening yet');
      return `${baseUrl}/${deploymentKey}/`;
    },

    setRoutes(deploymentKey, replicas) {
      const { namespace, name, routes } = validateRoutes(deploymentKey, replicas);
      const nowMs = clock.now();
      let deployment = deployments.get(deploymentKey);
      if (!deployment) {
        deployment = new DeploymentState(deploymentKey, namespace, name, maxInFlightPerReplica, metrics, window, nowMs);
        deployments.set(deploymentKey, deployment);
      }
      deployment.setReplicas(routes, nowMs);
    },

    removeRoutes(deploymentKey) {
      const deployment = deployments.get(deploymentKey);
      if (!deployment) return;
      deployments.delete(deploymentKey);
      deployment.clear();
    },

    deployments: () => [...deployments.keys()].sort(),

    stats(deploymentKey) {
      const d = deployments.get(deploymentKey);
      if (!d) return undefined;
      const nowMs = clock.now();
      const replicas: ReplicaStats[] = d.replicas.map((r) => {
        const requestsPerSecond = r.arrivals.ratePerSecond(nowMs);
        return {
          id: r.id, url: r.rawUrl, ready: r.ready, requestsPerSecond, inFlightRequests: r.inFlight,
          requestsTotal: r.requestsTotal, failuresTotal: r.failuresTotal, latency: r.latency.summary(nowMs),
          metrics: { http_requests_per_second: requestsPerSecond, in_flight_requests: r.inFlight },
        };
      });
      const requestsPerSecond = d.arrivals.ratePerSecond(nowMs);
      const inFlightRequests = replicas.reduce((sum, r) => sum + r.inFlightRequests, 0);
      return {
        deployment: d.key, windowMs: window.windowMs, requestsPerSecond, inFlightRequests,
        queuedRequests: d.waiters.length, readyReplicas: replicas.filter((r) => r.ready).length,
        queueTime: d.queueTime.summary(nowMs), latency: d.latency.summary(nowMs), replicas,
        metrics: { http_requests_per_second: requestsPerSecond, in_flight_requests: inFlightRequests },
      };
    },

    async close() {
      host.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const conn of connections) if (conn.idle) conn.destroy();
      const deadline = performance.now() + closeGraceMs;
      while (ctx.inFlight > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const conn of connections) conn.destroy();
      for (const d of deployments.values()) {
        for (const w of d.waiters.splice(0)) w.refuse('none-ready');
        for (const r of d.replicas) r.pool?.close();
      }
      for (const upstream of ctx.upstreams) upstream.discard();
      await closed;
    },
  };
}
