/**
 * The gateway's view of each deployment: its replicas with their in-flight counts and windows,
 * least-outstanding-requests selection (ties broken round-robin), and the FIFO of requests
 * waiting for a free replica when a per-replica concurrency limit is set.
 *
 * Example:
 * ```ts
 * const d = table.set('ml/llama', [{ id: 'llama-0', url: 'http://127.0.0.1:9001', ready: true }], now);
 * const pick = d.pick(now, new Set());   // { kind: 'replica', replica } | { kind: 'busy' } | { kind: 'none-ready' }
 * ```
 */
import { QmError, type FieldCause } from '@qm/api';
import type { GatewayMetrics, ReplicaSeries } from './gateway-metrics.js';
import { SlidingWindow } from './sliding-window.js';
import type { ReplicaPool } from './upstream-pool.js';

/** One replica as the serving controller reports it. */
export interface ReplicaRoute {
  /** Stable per replica (the pod name); stats and metric series are keyed by it. */
  id: string;
  /** Base URL of the replica, e.g. `http://127.0.0.1:9001` (a path prefix is kept). */
  url: string;
  /** Only ready replicas receive traffic. */
  ready: boolean;
}

export interface WindowOptions {
  windowMs: number;
  bucketMs: number;
}

export class ReplicaState {
  url!: URL;
  /** The URL exactly as the controller gave it (compared on update). */
  rawUrl!: string;
  /** Host and port to connect to (IPv6 without brackets). */
  hostname!: string;
  port!: number;
  /** The Host header the replica gets: host and port as in the URL (default port left out). */
  hostHeader!: string;
  /** Its keep-alive connections; created on first use, closed when the replica leaves or moves. */
  pool: ReplicaPool | undefined;
  /** The replica's path prefix without a trailing slash ('' for none). */
  basePath!: string;
  ready: boolean;
  inFlight = 0;
  requestsTotal = 0;
  failuresTotal = 0;
  /** After a refused connection, other replicas are preferred until this time. */
  avoidUntilMs = 0;
  /** Set when the replica left the routes; its series go once its last request ends. */
  removed = false;
  readonly arrivals: SlidingWindow;
  readonly latency: SlidingWindow;

  constructor(readonly id: string, route: ReplicaRoute, readonly series: ReplicaSeries, window: WindowOptions, nowMs: number) {
    this.setUrl(route.url);
    this.ready = route.ready;
    this.arrivals = new SlidingWindow({ ...window, startedAtMs: nowMs });
    this.latency = new SlidingWindow({ ...window, startedAtMs: nowMs });
  }

  update(route: ReplicaRoute): void {
    if (route.url !== this.rawUrl) this.setUrl(route.url);
    this.ready = route.ready;
  }

  private setUrl(raw: string): void {
    this.rawUrl = raw;
    this.url = new URL(raw);
    this.hostname = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = this.url.port === '' ? 80 : Number(this.url.port);
    this.hostHeader = this.url.host;
    this.pool?.close();
    this.pool = undefined;
    this.basePath = this.url.pathname.replace(/\/+$/, '');
  }
}

/** A request parked until a replica has room (only with a per-replica concurrency limit). */
export interface Waiter {
  exclude: ReadonlySet<ReplicaState>;
  grant(replica: ReplicaState): void;
  refuse(reason: 'none-ready'): void;
}

export type Pick =
  | { kind: 'replica'; replica: ReplicaState }
  | { kind: 'busy' }
  | { kind: 'none-ready' };

export class DeploymentState {
  replicas: ReplicaState[] = [];
  readonly waiters: Waiter[] = [];
  private cursor = 0;
  readonly arrivals: SlidingWindow;
  readonly latency: SlidingWindow;
  readonly queueTime: SlidingWindow;
  readonly unrouted: ReplicaSeries;
  /** The queue-time histogram of this deployment (label set bound once). */
  readonly queueSeconds: { observe(seconds: number): void };

  constructor(readonly key: string, readonly namespace: string, readonly name: string,
    readonly maxInFlightPerReplica: number, private readonly metrics: GatewayMetrics,
    private readonly window: WindowOptions, nowMs: number) {
    this.arrivals = new SlidingWindow({ ...window, startedAtMs: nowMs });
    this.latency = new SlidingWindow({ ...window, startedAtMs: nowMs });
    this.queueTime = new SlidingWindow({ ...window, startedAtMs: nowMs });
    this.unrouted = metrics.forReplica(namespace, name, '');
    this.queueSeconds = metrics.queue.labels({ namespace, deployment: name });
  }

  /** Replaces the replica list, keeping the state (in-flight, windows) of replicas that stay. */
  setReplicas(routes: ReplicaRoute[], nowMs: number): void {
    const previous = new Map(this.replicas.map((r) => [r.id, r]));
    this.replicas = routes.map((route) => {
      const kept = previous.get(route.id);
      previous.delete(route.id);
      if (kept) {
        kept.update(route);
        return kept;
      }
      return new ReplicaState(route.id, route, this.metrics.forReplica(this.namespace, this.name, route.id), this.window, nowMs);
    });
    for (const gone of previous.values()) this.retire(gone);
    this.metrics.readyReplicas.set({ namespace: this.namespace, deployment: this.name }, this.replicas.filter((r) => r.ready).length);
    this.drain(nowMs);
  }

  /** Forgets every replica (the deployment's routes were removed); waiting requests are refused. */
  clear(): void {
    for (const replica of this.replicas) this.retire(replica);
    this.replicas = [];
    for (const waiter of this.waiters.splice(0)) waiter.refuse('none-ready');
    this.unrouted.remove();
    this.metrics.removeDeployment(this.namespace, this.name);
  }

  /**
   * The ready replica with the fewest outstanding requests, ties broken round-robin; replicas
   * that refused a connection within the last moment are used only when no other one has room.
   */
  pick(nowMs: number, exclude: ReadonlySet<ReplicaState>): Pick {
    const n = this.replicas.length;
    let best: ReplicaState | undefined;
    let bestIndex = -1;
    let bestAvoided = true;
    let anyReady = false;
    for (let step = 0; step < n; step++) {
      const index = (this.cursor + step) % n;
      const r = this.replicas[index];
      if (!r.ready || exclude.has(r)) continue;
      anyReady = true;
      if (r.inFlight >= this.maxInFlightPerReplica) continue;
      const avoided = r.avoidUntilMs > nowMs;
      if (best === undefined || (bestAvoided && !avoided) || (avoided === bestAvoided && r.inFlight < best.inFlight)) {
        best = r;
        bestIndex = index;
        bestAvoided = avoided;
      }
    }
    if (best === undefined) return anyReady ? { kind: 'busy' } : { kind: 'none-ready' };
    this.cursor = (bestIndex + 1) % n;
    return { kind: 'replica', replica: best };
  }

  /** Hands freed capacity to waiting requests in arrival order; refuses them all when none is ready. */
  drain(nowMs: number): void {
    while (this.waiters.length > 0) {
      const waiter = this.waiters[0];
      const pick = this.pick(nowMs, waiter.exclude);
      if (pick.kind === 'busy') return;
      this.waiters.shift();
      if (pick.kind === 'replica') waiter.grant(pick.replica);
      else waiter.refuse('none-ready');
    }
  }

  /** A request on `replica` ended: drop a departed replica's series once nothing is in flight. */
  released(replica: ReplicaState, nowMs: number): void {
    if (replica.removed && replica.inFlight === 0) replica.series.remove();
    this.drain(nowMs);
  }

  private retire(replica: ReplicaState): void {
    replica.removed = true;
    replica.ready = false;
    replica.pool?.close();
    if (replica.inFlight === 0) replica.series.remove();
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks `setRoutes` input, naming every bad field; returns the key's namespace and name. */
export function validateRoutes(deploymentKey: unknown, replicas: unknown): { namespace: string; name: string; routes: ReplicaRoute[] } {
  const causes: FieldCause[] = [];
  const bad = (field: string, message: string, reason = 'FieldValueInvalid') => causes.push({ field, message, reason });
  let namespace = '';
  let name = '';
  if (typeof deploymentKey !== 'string') bad('deploymentKey', 'must be a string "namespace/name"', 'FieldValueRequired');
  else {
    const parts = deploymentKey.split('/');
    if (parts.length !== 2 || !DNS_LABEL.test(parts[0]) || !DNS_LABEL.test(parts[1])) {
      bad('deploymentKey', `"${deploymentKey}" is not "namespace/name" with two DNS labels`);
    } else [namespace, name] = parts;
  }
  if (!Array.isArray(replicas)) bad('replicas', 'must be an array of { id, url, ready }', 'FieldValueRequired');
  const routes: ReplicaRoute[] = [];
  const seen = new Set<string>();
  for (const [i, raw] of (Array.isArray(replicas) ? replicas : []).entries()) {
    const r = raw as Partial<ReplicaRoute> | null;
    const at = `replicas[${i}]`;
    if (r === null || typeof r !== 'object') { bad(at, 'must be an object { id, url, ready }'); continue; }
    if (typeof r.id !== 'string' || r.id === '') bad(`${at}.id`, 'must be a non-empty string', 'FieldValueRequired');
    else if (seen.has(r.id)) bad(`${at}.id`, `duplicate replica id "${r.id}"`, 'FieldValueDuplicate');
    else seen.add(r.id);
    if (typeof r.url !== 'string') bad(`${at}.url`, 'must be a URL string like http://127.0.0.1:9001', 'FieldValueRequired');
    else {
      const url = URL.canParse(r.url) ? new URL(r.url) : undefined;
      if (!url || url.protocol !== 'http:' || url.hostname === '') bad(`${at}.url`, `"${r.url}" is not an http:// URL with a host`);
    }
    if (typeof r.ready !== 'boolean') bad(`${at}.ready`, 'must be true or false', 'FieldValueRequired');
    if (typeof r.id === 'string' && typeof r.url === 'string' && typeof r.ready === 'boolean') routes.push({ id: r.id, url: r.url, ready: r.ready });
  }
  if (causes.length > 0) {
    throw new QmError('Invalid', `gateway routes are invalid: ${causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`, { causes });
  }
  return { namespace, name, routes };
}
