/**
 * One client request through the gateway: choose a replica (or wait for one), stream the
 * request body up and the response body down, and account for it once it ends.
 *
 * Retry rule: a request moves to another replica only when the connection to the first failed
 * before it was established, so not one byte of it reached that replica. The client's body is
 * not read until the upstream socket is connected, which is what makes the retry possible
 * without buffering the body.
 */
import { request, type Agent, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Clock } from '@qm/core';
import type { GatewayMetrics } from './gateway-metrics.js';
import { downstreamResponseHeaders, upstreamRequestHeaders, type GatewayTarget } from './proxy-headers.js';
import type { DeploymentState, ReplicaState, Waiter } from './route-table.js';
import { sendStatus } from './status-responses.js';

/** The subset of a pino logger the gateway uses. */
export interface GatewayLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ForwardContext {
  agent: Agent;
  clock: Clock;
  metrics: GatewayMetrics;
  logger: GatewayLogger;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  queueTimeoutMs: number;
  retryAfterSeconds: number;
  /** How long a replica that refused a connection is passed over while others have room. */
  avoidAfterRefusalMs: number;
}

/** Status nginx uses for "client closed the connection before the response": counted, never sent. */
const CLIENT_CLOSED = 499;

class ConnectFailure extends Error {
  constructor(override readonly cause: Error, readonly timedOut: boolean) {
    super(cause.message);
  }
}

class IdleTimeout extends Error {}

export function forwardRequest(ctx: ForwardContext, deployment: DeploymentState, target: GatewayTarget, req: IncomingMessage, res: ServerResponse): void {
  new Exchange(ctx, deployment, target, req, res).start();
}

class Exchange {
  private readonly startedAt = performance.now();
  private readonly tried = new Set<ReplicaState>();
  private readonly hasBody: boolean;
  private replica: ReplicaState | undefined;
  private upstream: ClientRequest | undefined;
  private waiter: (Waiter & { timer: NodeJS.Timeout }) | undefined;
  private connected = false;
  private responded = false;
  /** The gateway answered itself (502/503/504): later upstream noise must not touch the response. */
  private answered = false;
  /** The replica broke off mid-response (the client's response was cut short because of it). */
  private replicaBroke = false;
  private finished = false;

  constructor(private readonly ctx: ForwardContext, private readonly deployment: DeploymentState,
    private readonly target: GatewayTarget, private readonly req: IncomingMessage, private readonly res: ServerResponse) {
    const length = req.headers['content-length'];
    this.hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  }

  start(): void {
    this.deployment.arrivals.add(this.ctx.clock.now());
    this.res.once('close', () => this.onClientClose());
    this.route();
  }

  /** Sends the request to the best replica not yet tried, parks it, or answers 503/502. */
  private route(): void {
    const pick = this.deployment.pick(this.ctx.clock.now(), this.tried);
    if (pick.kind === 'replica') this.dispatch(pick.replica);
    else if (pick.kind === 'busy') this.park();
    else if (this.tried.size > 0) this.fail(502, 'BadGateway', `no other ready replica of ${this.target.key} to retry on after the connection failed`);
    else this.unavailable(`deployment ${this.target.key} has no ready replica`);
  }

  private park(): void {
    const timer = setTimeout(() => {
      const i = this.deployment.waiters.indexOf(this.waiter!);
      if (i >= 0) this.deployment.waiters.splice(i, 1);
      this.waiter = undefined;
      this.unavailable(`every ready replica of ${this.target.key} stayed busy for ${this.ctx.queueTimeoutMs} ms`);
    }, this.ctx.queueTimeoutMs);
    this.waiter = {
      timer,
      exclude: this.tried,
      grant: (replica) => { clearTimeout(timer); this.waiter = undefined; this.dispatch(replica); },
      refuse: () => { clearTimeout(timer); this.waiter = undefined; this.unavailable(`deployment ${this.target.key} has no ready replica`); },
    };
    this.deployment.waiters.push(this.waiter);
  }

  private dispatch(replica: ReplicaState): void {
    const nowMs = this.ctx.clock.now();
    if (this.tried.size === 0) {
      const queueMs = performance.now() - this.startedAt;
      this.deployment.queueTime.add(nowMs, queueMs);
      this.ctx.metrics.queue.observe({ namespace: this.deployment.namespace, deployment: this.deployment.name }, queueMs / 1000);
    }
    this.tried.add(replica);
    this.replica = replica;
    replica.inFlight++;
    replica.requestsTotal++;
    replica.series.inFlight.inc();
    replica.arrivals.add(nowMs);
    this.connected = false;

    const upstream = request({
      agent: this.ctx.agent,
      host: replica.hostname,
      port: replica.port,
      method: this.req.method,
      path: replica.basePath + this.target.upstreamPath,
      headers: upstreamRequestHeaders(this.req.headers, this.req.socket.remoteAddress, this.target.prefix),
      timeout: this.ctx.idleTimeoutMs,
    });
    this.upstream = upstream;
    upstream.once('socket', (socket: Socket) => {
      if (!socket.connecting) return this.onConnected(upstream);
      const timer = setTimeout(() => upstream.destroy(new ConnectFailure(new Error(`connect timed out after ${this.ctx.connectTimeoutMs} ms`), true)), this.ctx.connectTimeoutMs);
      socket.once('connect', () => { clearTimeout(timer); this.onConnected(upstream); });
      socket.once('close', () => clearTimeout(timer));
    });
    upstream.once('timeout', () => upstream.destroy(new IdleTimeout(`replica ${replica.id} sent nothing for ${this.ctx.idleTimeoutMs} ms`)));
    upstream.once('response', (upstreamRes) => this.onResponse(upstreamRes));
    upstream.on('error', (err) => this.onUpstreamError(upstream, replica, err));
    // Without a body there is nothing to hold back: the headers wait in the request until connect.
    if (!this.hasBody) upstream.end();
  }

  private onConnected(upstream: ClientRequest): void {
    if (upstream !== this.upstream || this.finished) return;
    this.connected = true;
    if (this.hasBody) this.req.pipe(upstream);
  }

  private onResponse(upstreamRes: IncomingMessage): void {
    if (this.finished) {
      upstreamRes.destroy();
      return;
    }
    this.responded = true;
    this.res.writeHead(upstreamRes.statusCode ?? 502, downstreamResponseHeaders(upstreamRes.headers));
    // A streamed (unsized) response: let the client see the status before the first chunk.
    if (upstreamRes.headers['content-length'] === undefined) this.res.flushHeaders();
    upstreamRes.on('error', () => { /* surfaced by 'close' below */ });
    upstreamRes.once('close', () => {
      // The replica went away mid-body: the client must see a truncated response, not a short one.
      if (!upstreamRes.complete && !this.res.writableFinished) {
        this.replicaBroke = true;
        this.res.destroy();
      }
    });
    upstreamRes.pipe(this.res);
  }

  private onUpstreamError(upstream: ClientRequest, replica: ReplicaState, err: Error): void {
    if (upstream !== this.upstream || this.finished || this.answered) return;
    if (this.responded) {
      this.replicaBroke = true;
      this.ctx.logger.debug({ deployment: this.target.key, replica: replica.id, err: err.message }, 'replica connection failed mid-response');
      this.res.destroy();
      return;
    }
    const refused = !this.connected;
    if (refused) {
      // Nothing reached this replica: take it back and try another one once.
      replica.avoidUntilMs = this.ctx.clock.now() + this.ctx.avoidAfterRefusalMs;
      this.endAttempt(replica, undefined);
      this.upstream = undefined;
      const reason = err instanceof ConnectFailure ? err.message : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`;
      this.ctx.logger.warn({ deployment: this.target.key, replica: replica.id, err: reason }, 'connection to replica failed');
      if (this.tried.size < 2 && !this.res.destroyed) {
        this.ctx.metrics.retries.inc({ namespace: this.deployment.namespace, deployment: this.deployment.name });
        this.route();
      } else {
        this.fail(502, 'BadGateway', `could not connect to a replica of ${this.target.key}: ${reason}`);
      }
      return;
    }
    if (err instanceof IdleTimeout) this.fail(504, 'GatewayTimeout', `${err.message} (deployment ${this.target.key})`);
    else this.fail(502, 'BadGateway', `replica ${replica.id} of ${this.target.key} closed the connection before responding: ${err.message}`);
  }

  private onClientClose(): void {
    if (this.finished) return;
    if (this.waiter) {
      clearTimeout(this.waiter.timer);
      const i = this.deployment.waiters.indexOf(this.waiter);
      if (i >= 0) this.deployment.waiters.splice(i, 1);
      this.waiter = undefined;
    }
    const completed = this.res.writableFinished;
    if (!completed) this.upstream?.destroy();
    const code = completed || this.replicaBroke ? this.res.statusCode : CLIENT_CLOSED;
    this.finish(code, !completed);
  }

  private unavailable(message: string): void {
    if (this.res.headersSent || this.res.destroyed) return;
    this.answered = true;
    this.res.setHeader('retry-after', String(this.ctx.retryAfterSeconds));
    sendStatus(this.res, 503, 'ServiceUnavailable', message, { retryAfterSeconds: this.ctx.retryAfterSeconds });
  }

  private fail(code: number, reason: string, message: string): void {
    if (this.res.headersSent) {
      this.res.destroy();
      return;
    }
    this.answered = true;
    this.upstream?.destroy();
    sendStatus(this.res, code, reason, message);
  }

  /** Runs once, when the client's response closed: release the replica and record the outcome. */
  private finish(code: number, failed: boolean): void {
    this.finished = true;
    const durationMs = performance.now() - this.startedAt;
    const nowMs = this.ctx.clock.now();
    this.deployment.latency.add(nowMs, durationMs);
    const replica = this.replica;
    if (replica && this.upstream) {
      if (failed || code >= 500) replica.failuresTotal++;
      replica.latency.add(nowMs, durationMs);
      replica.series.duration.observe(durationMs / 1000);
      this.endAttempt(replica, code);
    } else {
      this.deployment.unrouted.countRequest(code);
    }
  }

  private endAttempt(replica: ReplicaState, code: number | undefined): void {
    replica.inFlight--;
    replica.series.inFlight.dec();
    if (code !== undefined) replica.series.countRequest(code);
    this.deployment.released(replica, this.ctx.clock.now());
  }
}
