/**
 * One client request through the gateway: choose a replica (or wait for one), send the request
 * head and stream the body up, stream the response down, and account for it once it ends.
 *
 * Retry rule: a request moves to another replica only when the connection to the first failed
 * before it was established, so not one byte of it reached that replica. Body bytes read before
 * the connection is up are held (and the client paused) until then, which is what makes the
 * retry possible without buffering the body.
 *
 * Bodies pass byte for byte in both directions (Content-Length or chunked framing kept); only a
 * response the replica ends by closing is re-framed as chunked for an HTTP/1.1 client, and a
 * chunked one is unframed for an HTTP/1.0 client.
 *
 * Example (what gateway.ts does for `/<ns>/<name>/…`):
 * ```ts
 * const exchange = new Exchange(ctx, conn, head, deployment, target, firstBody);
 * conn.handler = exchange;
 * exchange.start();
 * ```
 */
import type { Clock } from '@qm/core';
import { BY_LENGTH, CHUNKED, NO_BODY, UNTIL_CLOSE, type PayloadSink } from './body-framing.js';
import { PAUSE_HOLD, PAUSE_UPSTREAM_FULL, type ClientConnection, type RequestHandler } from './client-connection.js';
import type { GatewayMetrics } from './gateway-metrics.js';
import { HeadError, type MessageHead } from './http1-head.js';
import { downstreamResponseFields, upstreamRequestFields, type GatewayTarget } from './proxy-headers.js';
import type { DeploymentState, ReplicaState, Waiter } from './route-table.js';
import { statusResponse } from './status-responses.js';
import { ReplicaPool, type PoolOptions, type UpstreamConnection, type UpstreamUser } from './upstream-pool.js';

/** The subset of a pino logger the gateway uses. */
export interface GatewayLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ExchangeContext {
  clock: Clock;
  metrics: GatewayMetrics;
  logger: GatewayLogger;
  /** Timeouts of connections to replicas. */
  poolOptions: PoolOptions;
  /** Every connection to every replica (the gateway cuts them on close). */
  upstreams: Set<UpstreamConnection>;
  queueTimeoutMs: number;
  retryAfterSeconds: number;
  /** How long a replica that refused a connection is passed over while others have room. */
  avoidAfterRefusalMs: number;
  /** Requests started and not finished (close() waits for them). */
  inFlight: number;
}

/** Status nginx uses for "client closed the connection before the response": counted, never sent. */
const CLIENT_CLOSED = 499;
const NO_REPLICAS: ReadonlySet<ReplicaState> = new Set();

// How the response body goes to the client.
/** Byte for byte: Content-Length, chunked to HTTP/1.1, until-close to HTTP/1.0. */
const PASS = 0;
/** The replica ends the body by closing: chunked to an HTTP/1.1 client, whose connection stays. */
const RECHUNK = 1;
/** Chunked from the replica, payload only to an HTTP/1.0 client (which cannot parse chunks). */
const DECHUNK = 2;

export class Exchange implements RequestHandler, UpstreamUser, Waiter, PayloadSink {
  /** Replicas not to try again (Waiter): those that refused a connection. */
  exclude: ReadonlySet<ReplicaState> = NO_REPLICAS;
  private readonly startedAt = performance.now();
  private attempts = 0;
  private replica: ReplicaState | undefined;
  /** The current attempt counts for `replica` (false after its connection was refused). */
  private routed = false;
  private upstream: UpstreamConnection | null = null;
  private queueTimer: NodeJS.Timeout | undefined;
  /** Body bytes read before the connection to the replica was established. */
  private held: Buffer[] | null = null;
  private bodyDone: boolean;
  private connected = false;
  /** The final response head went to the client (or is about to, in `pendingHead`). */
  private responded = false;
  private pendingHead: string | undefined;
  /** The gateway answered itself (502/503/504): later upstream noise must not touch the response. */
  private answered = false;
  /** The replica broke off mid-response (the client's response was cut short because of it). */
  private replicaBroke = false;
  private finished = false;
  private statusCode = 0;
  private mode = PASS;
  private closeClient = false;
  /** The replica's response allows another request on its connection. */
  private reusable = false;

  constructor(private readonly ctx: ExchangeContext, private readonly conn: ClientConnection, private readonly head: MessageHead,
    private readonly deployment: DeploymentState, private readonly target: GatewayTarget, firstBody: Buffer | null) {
    this.bodyDone = conn.bodyDone;
    // Body bytes that came with the head wait for the head: both go out in one write.
    if (firstBody !== null) this.held = [firstBody];
  }

  start(): void {
    this.deployment.arrivals.add(this.ctx.clock.now());
    this.ctx.inFlight++;
    this.route();
  }

  /** Sends the request to the best replica not yet tried, parks it, or answers 503/502. */
  private route(): void {
    const pick = this.deployment.pick(this.ctx.clock.now(), this.exclude);
    if (pick.kind === 'replica') this.dispatch(pick.replica);
    else if (pick.kind === 'busy') this.park();
    else if (this.attempts > 0) this.fail(502, 'BadGateway', `no other ready replica of ${this.target.key} to retry on after the connection failed`);
    else this.unavailable(`deployment ${this.target.key} has no ready replica`);
  }

  private park(): void {
    this.queueTimer = setTimeout(queueTimedOut, this.ctx.queueTimeoutMs, this);
    this.deployment.waiters.push(this);
  }

  /** Waiter: a replica has room. */
  grant(replica: ReplicaState): void {
    clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    this.dispatch(replica);
  }

  /** Waiter: no replica is ready any more. */
  refuse(): void {
    clearTimeout(this.queueTimer);
    this.queueTimer = undefined;
    this.unavailable(`deployment ${this.target.key} has no ready replica`);
  }

  queueTimedOut(): void {
    this.queueTimer = undefined;
    this.unpark();
    this.unavailable(`every ready replica of ${this.target.key} stayed busy for ${this.ctx.queueTimeoutMs} ms`);
  }

  private unpark(): void {
    if (this.queueTimer !== undefined) {
      clearTimeout(this.queueTimer);
      this.queueTimer = undefined;
    }
    const i = this.deployment.waiters.indexOf(this);
    if (i >= 0) this.deployment.waiters.splice(i, 1);
  }

  private dispatch(replica: ReplicaState): void {
    const nowMs = this.ctx.clock.now();
    if (this.attempts === 0) {
      const queueMs = performance.now() - this.startedAt;
      this.deployment.queueTime.add(nowMs, queueMs);
      this.deployment.queueSeconds.observe(queueMs / 1000);
    }
    this.attempts++;
    this.replica = replica;
    this.routed = true;
    replica.inFlight++;
    replica.requestsTotal++;
    replica.series.requestStarted();
    replica.arrivals.add(nowMs);
    this.connected = false;
    const pool = replica.pool ??= new ReplicaPool(replica, this.ctx.poolOptions, this.ctx.upstreams);
    const upstream = pool.acquire(this);
    this.upstream = upstream;
    // A pooled connection is up already: send at once.
    if (upstream.connected) this.onUpstreamConnect();
  }

  onUpstreamConnect(): void {
    const upstream = this.upstream!;
    this.connected = true;
    // Built for the pool's address (a replica that moved has a new pool), once per head and pool.
    const head = this.head;
    const pool = upstream.pool;
    if (head.forwardedFor !== pool || head.forwardedHead === undefined) {
      head.forwardedFields ??= upstreamRequestFields(head, this.conn.remoteAddress, this.target.prefix);
      head.forwardedHead = `${head.method} ${pool.basePath}${this.target.upstreamPath} HTTP/1.1\r\nHost: ${pool.hostHeader}\r\n${head.forwardedFields}\r\n`;
      head.forwardedFor = pool;
    }
    const headText = head.forwardedHead;
    const held = this.held;
    this.held = null;
    let flowing: boolean;
    if (held === null) {
      flowing = upstream.writeLatin1(headText);
    } else {
      // Head and the body bytes read so far in one write (one syscall, one packet when small).
      let bytes = headText.length;
      for (const chunk of held) bytes += chunk.length;
      const out = Buffer.allocUnsafe(bytes);
      let at = out.write(headText, 0, 'latin1');
      for (const chunk of held) at += chunk.copy(out, at);
      flowing = upstream.write(out);
      this.conn.resumeReading(PAUSE_HOLD);
    }
    if (!flowing) this.conn.pauseReading(PAUSE_UPSTREAM_FULL);
  }

  onRequestBody(chunk: Buffer): void {
    if (!this.connected || this.upstream === null) {
      (this.held ??= []).push(chunk);
      this.conn.pauseReading(PAUSE_HOLD);
      return;
    }
    if (!this.upstream.write(chunk)) this.conn.pauseReading(PAUSE_UPSTREAM_FULL);
  }

  onRequestBodyEnd(): void {
    this.bodyDone = true;
  }

  onRequestBodyError(message: string): void {
    if (this.finished) return;
    this.reusable = false;
    this.fail(400, 'BadRequest', `malformed request body: ${message}`);
  }

  onUpstreamDrain(): void {
    this.conn.resumeReading(PAUSE_UPSTREAM_FULL);
  }

  onClientDrain(): void {
    this.upstream?.resume();
  }

  onUpstreamData(buf: Buffer): void {
    const upstream = this.upstream!;
    let offset = 0;
    if (!this.responded) {
      offset = this.readResponseHead(upstream, buf);
      if (offset < 0) return;
    }
    const framer = upstream.framer;
    let end: number;
    if (this.mode === DECHUNK) {
      end = framer.consume(buf, offset, buf.length, this);
    } else {
      end = framer.consume(buf, offset, buf.length);
      if (end > offset) this.toClient(buf, offset, end, this.mode === RECHUNK);
    }
    this.flushHead();
    if (end < 0) {
      this.breakResponse(`malformed response body: ${framer.error}`);
      return;
    }
    if (framer.done) {
      // Bytes after the response answer nothing that was asked: that connection is not reused.
      if (end < buf.length) this.reusable = false;
      this.responseComplete();
    }
  }

  /** PayloadSink: the payload of a chunked response, for an HTTP/1.0 client. */
  payload(buf: Buffer, start: number, end: number): void {
    if (end > start) this.toClient(buf, start, end, false);
  }

  /** Parses response heads (passing 1xx through) until the final one; its end offset, or -1. */
  private readResponseHead(upstream: UpstreamConnection, buf: Buffer): number {
    let offset = 0;
    for (;;) {
      let head: MessageHead;
      try {
        const text = upstream.reader.read(buf, offset);
        if (text === undefined) return -1;
        offset = upstream.reader.next;
        head = upstream.heads.response(text);
      } catch (err) {
        if (!(err instanceof HeadError)) throw err;
        this.fail(502, 'BadGateway', `replica ${this.replica!.id} of ${this.target.key} sent a malformed response: ${err.message}`);
        return -1;
      }
      if (head.statusCode >= 200) {
        this.startResponse(head);
        return offset;
      }
      if (head.statusCode === 101) {
        this.fail(502, 'BadGateway', `replica ${this.replica!.id} of ${this.target.key} switched protocols, which the gateway did not ask for`);
        return -1;
      }
      // Interim responses (100 Continue, 103 Early Hints) pass through; HTTP/1.0 clients cannot take them.
      if (this.head.minorVersion === 1) this.conn.writeLatin1(`HTTP/1.1 ${head.statusCode} ${head.reason}\r\n${downstreamResponseFields(head, false)}\r\n`);
      if (offset >= buf.length) return -1;
    }
  }

  /** The final response head: decides the body's framing both ways and builds the client's head. */
  private startResponse(response: MessageHead): void {
    const upstream = this.upstream!;
    const code = response.statusCode;
    this.responded = true;
    this.statusCode = code;
    // RFC 9112 §6.3, in order.
    const framer = upstream.framer;
    if (this.head.method === 'HEAD' || code === 204 || code === 304) framer.expect(NO_BODY);
    else if (response.hasTransferEncoding) framer.expect(response.chunked ? CHUNKED : UNTIL_CLOSE);
    else if (response.contentLength >= 0) framer.expect(BY_LENGTH, response.contentLength);
    else framer.expect(UNTIL_CLOSE);
    const http10 = this.head.minorVersion === 0;
    this.mode = framer.mode === CHUNKED && http10 ? DECHUNK : framer.mode === UNTIL_CLOSE && !http10 ? RECHUNK : PASS;
    // An HTTP/1.0 client learns where an unsized body ends only from the close.
    this.closeClient = this.conn.mustClose() || (http10 && (framer.mode === CHUNKED || framer.mode === UNTIL_CLOSE));
    this.reusable = response.keepAlive && framer.mode !== UNTIL_CLOSE;
    const connection = this.conn.connectionLine(this.closeClient);
    if (this.mode === PASS && connection === '') {
      // The usual case, the same for every response with this head: built once.
      this.pendingHead = response.clientHead ??= `HTTP/1.1 ${code} ${response.reason}\r\n${downstreamResponseFields(response, false)}\r\n`;
    } else {
      this.pendingHead = `HTTP/1.1 ${code} ${response.reason}\r\n${downstreamResponseFields(response, this.mode === DECHUNK)}`
        + `${this.mode === RECHUNK ? 'Transfer-Encoding: chunked\r\n' : ''}${connection}\r\n`;
    }
  }

  /** Writes `buf[start, end)` to the client, after the response head if that is still pending. */
  private toClient(buf: Buffer, start: number, end: number, asChunk: boolean): void {
    let prefix = '';
    if (this.pendingHead !== undefined) {
      prefix = this.pendingHead;
      this.pendingHead = undefined;
    }
    const n = end - start;
    let flowing: boolean;
    if (asChunk) {
      prefix += `${n.toString(16)}\r\n`;
      const out = Buffer.allocUnsafe(prefix.length + n + 2);
      out.write(prefix, 0, 'latin1');
      buf.copy(out, prefix.length, start, end);
      out.write('\r\n', prefix.length + n, 'latin1');
      flowing = this.conn.write(out);
    } else if (prefix !== '') {
      // Head and first body bytes in one write.
      const out = Buffer.allocUnsafe(prefix.length + n);
      out.write(prefix, 0, 'latin1');
      buf.copy(out, prefix.length, start, end);
      flowing = this.conn.write(out);
    } else {
      flowing = this.conn.write(start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    }
    // Backpressure: stop reading the replica until the client's socket drains.
    if (!flowing) this.upstream?.pause();
  }

  /** A head with no body bytes in this read goes out on its own (a streamed response's status comes first). */
  private flushHead(): void {
    const head = this.pendingHead;
    if (head === undefined) return;
    this.pendingHead = undefined;
    if (!this.conn.writeLatin1(head)) this.upstream?.pause();
  }

  onUpstreamEnd(): void {
    const upstream = this.upstream;
    if (upstream === null || this.finished || this.answered || !this.responded) return;
    if (!upstream.framer.closed()) return; // cut short: 'close' follows and says so
    if (this.mode === RECHUNK && !this.conn.writeLatin1('0\r\n\r\n')) upstream.pause();
    this.responseComplete();
  }

  onUpstreamClose(err: Error | undefined): void {
    const replica = this.replica!;
    this.upstream = null;
    if (this.finished || this.answered) return;
    if (this.responded) {
      this.breakResponse(err?.message ?? 'connection closed mid-response');
      return;
    }
    if (!this.connected) {
      const reason = err === undefined ? 'connection closed while connecting' : `${(err as NodeJS.ErrnoException).code ?? 'error'}: ${err.message}`;
      this.refused(replica, reason);
      return;
    }
    this.fail(502, 'BadGateway', `replica ${replica.id} of ${this.target.key} closed the connection before responding: ${err?.message ?? 'socket hang up'}`);
  }

  onUpstreamTimeout(): void {
    const replica = this.replica!;
    if (!this.connected) {
      this.discardUpstream();
      this.refused(replica, `connect timed out after ${this.ctx.poolOptions.connectTimeoutMs} ms`);
      return;
    }
    const message = `replica ${replica.id} sent nothing for ${this.ctx.poolOptions.idleTimeoutMs} ms`;
    if (this.responded) this.breakResponse(message);
    else this.fail(504, 'GatewayTimeout', `${message} (deployment ${this.target.key})`);
  }

  /** Nothing reached this replica: take it back and try another one once. */
  private refused(replica: ReplicaState, reason: string): void {
    replica.avoidUntilMs = this.ctx.clock.now() + this.ctx.avoidAfterRefusalMs;
    this.routed = false;
    this.endAttempt(replica, undefined);
    this.ctx.logger.warn({ deployment: this.target.key, replica: replica.id, err: reason }, 'connection to replica failed');
    if (this.attempts < 2 && !this.conn.closed) {
      this.exclude = new Set([...this.exclude, replica]);
      this.ctx.metrics.retries.inc({ namespace: this.deployment.namespace, deployment: this.deployment.name });
      this.route();
    } else {
      this.fail(502, 'BadGateway', `could not connect to a replica of ${this.target.key}: ${reason}`);
    }
  }

  /** The replica failed after its response began: the client's response is cut, not completed. */
  private breakResponse(reason: string): void {
    this.replicaBroke = true;
    this.ctx.logger.debug({ deployment: this.target.key, replica: this.replica?.id, err: reason }, 'replica connection failed mid-response');
    this.discardUpstream();
    this.conn.destroy();
  }

  onClientClose(): void {
    if (this.finished) return;
    this.unpark();
    this.discardUpstream();
    this.finish(this.replicaBroke ? this.statusCode : CLIENT_CLOSED, true);
  }

  private unavailable(message: string): void {
    this.answer(503, 'ServiceUnavailable', message, this.ctx.retryAfterSeconds);
  }

  private fail(code: number, reason: string, message: string): void {
    this.answer(code, reason, message, undefined);
  }

  /** The gateway's own answer, unless the replica's response already began (then it is cut). */
  private answer(code: number, reason: string, message: string, retryAfterSeconds: number | undefined): void {
    if (this.finished) return;
    if (this.responded) {
      this.breakResponse(message);
      return;
    }
    this.answered = true;
    this.discardUpstream();
    const close = this.conn.mustClose() || code === 400;
    const opts = { connection: this.conn.connectionLine(close), headOnly: this.head.method === 'HEAD' };
    this.conn.writeUtf8(statusResponse(code, reason, message, opts, retryAfterSeconds === undefined ? undefined : { retryAfterSeconds }));
    this.statusCode = code;
    this.finish(code, false);
    this.conn.responseDone(!close);
  }

  /** The response's last byte went to the client: hand the replica's connection back and account. */
  private responseComplete(): void {
    const upstream = this.upstream;
    this.upstream = null;
    // Reuse only a connection whose request went out whole (the body may still be arriving when a
    // replica answers early) and whose response said nothing against it.
    if (upstream !== null) {
      if (this.reusable && this.bodyDone) upstream.release();
      else upstream.discard();
    }
    this.finish(this.statusCode, false);
    this.conn.responseDone(!this.closeClient);
  }

  private discardUpstream(): void {
    const upstream = this.upstream;
    if (upstream === null) return;
    this.upstream = null;
    upstream.discard();
  }

  /** Runs once, when the response ended (or the client went away): release the replica and record the outcome. */
  private finish(code: number, failed: boolean): void {
    this.finished = true;
    this.ctx.inFlight--;
    const durationMs = performance.now() - this.startedAt;
    const nowMs = this.ctx.clock.now();
    this.deployment.latency.add(nowMs, durationMs);
    const replica = this.replica;
    if (replica !== undefined && this.routed) {
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
    replica.series.requestEnded();
    if (code !== undefined) replica.series.countRequest(code);
    this.deployment.released(replica, this.ctx.clock.now());
  }
}

/** The queue timer's callback (a plain function and an argument: no closure per parked request). */
function queueTimedOut(exchange: Exchange): void {
  exchange.queueTimedOut();
}
