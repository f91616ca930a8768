/**
 * Connections from the gateway to one replica: a new one per request that finds none idle, and
 * keep-alive reuse afterwards. The most recently used idle connection goes out first (LIFO: warm
 * sockets stay warm and surplus ones age out), and an idle one is closed after `keepAliveMs`,
 * below the usual 5 s server keep-alive, so the gateway never sends on a socket the replica is
 * closing. A connection is handed back (`release`) only after a complete response without
 * `Connection: close`; anything else `discard`s it.
 *
 * Example:
 * ```ts
 * const pool = new ReplicaPool({ hostname: '127.0.0.1', port: 9001, hostHeader: '127.0.0.1:9001', basePath: '' },
 *   { connectTimeoutMs: 5000, idleTimeoutMs: 300_000, keepAliveMs: 4000 }, allSockets);
 * const upstream = pool.acquire(exchange);   // exchange.onUpstreamConnect() follows once connected
 * if (upstream.connected) exchange.onUpstreamConnect();
 * …
 * upstream.release();                         // back to the pool, or upstream.discard()
 * ```
 */
import { connect, type Socket } from 'node:net';
import { BodyFramer } from './body-framing.js';
import { HeadMemo, HeadReader } from './http1-head.js';

/** What drives a connection while it carries a request (the exchange). */
export interface UpstreamUser {
  onUpstreamConnect(): void;
  onUpstreamData(buf: Buffer): void;
  /** The replica closed its side (FIN): the end of an until-close body, or a failure. */
  onUpstreamEnd(): void;
  /** The socket is gone; `err` is the last socket error (ECONNREFUSED, ECONNRESET…), if any. */
  onUpstreamClose(err: Error | undefined): void;
  /** Nothing moved for the connect timeout (not connected yet) or the idle timeout. */
  onUpstreamTimeout(): void;
  onUpstreamDrain(): void;
}

/** Where a replica is (copied: the route table's replica object changes when the replica moves). */
export interface ReplicaAddress {
  hostname: string;
  port: number;
  hostHeader: string;
  basePath: string;
}

export interface PoolOptions {
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  keepAliveMs: number;
}

/** Response heads from a replica beyond this are refused (502). */
const MAX_RESPONSE_HEAD_BYTES = 64 * 1024;

export class UpstreamConnection {
  readonly socket: Socket;
  /** Reused for every response on this connection. */
  readonly reader = new HeadReader(MAX_RESPONSE_HEAD_BYTES, false);
  readonly heads = new HeadMemo();
  readonly framer = new BodyFramer();
  connected = false;
  /** The user paused reading because the client could not take more. */
  paused = false;
  private user: UpstreamUser | null;
  private lastError: Error | undefined;
  /** Time without traffic counted by the socket timer so far (see onTimeout). */
  private quietMs = 0;
  /** What the socket's timer is set to now. */
  private armedMs: number;

  constructor(readonly pool: ReplicaPool, user: UpstreamUser) {
    this.user = user;
    this.socket = connect({ host: pool.host, port: pool.port, noDelay: true });
    this.armedMs = pool.opts.connectTimeoutMs;
    this.socket.setTimeout(this.armedMs);
    // One set of arrow functions per connection (V8 calls them more cheaply than bound methods).
    this.socket.on('connect', () => this.onConnect());
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('end', () => this.onEnd());
    this.socket.on('error', (err: Error) => this.onError(err));
    this.socket.on('close', () => this.onClose());
    this.socket.on('timeout', () => this.onTimeout());
    this.socket.on('drain', () => this.onDrain());
  }

  /** Takes an idle connection for `user`. */
  adopt(user: UpstreamUser): void {
    this.user = user;
    this.quietMs = 0;
  }

  write(data: Buffer): boolean {
    this.quietMs = 0;
    return this.socket.write(data);
  }

  writeLatin1(text: string): boolean {
    this.quietMs = 0;
    return this.socket.write(text, 'latin1');
  }

  pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  /** Back to the pool for the next request (the response was complete and keep-alive). */
  release(): void {
    this.user = null;
    this.quietMs = 0;
    this.resume();
    this.reader.reset();
    this.pool.release(this);
  }

  /** Closes the connection without telling its user (who gave up on it). */
  discard(): void {
    this.user = null;
    this.socket.destroy();
  }

  private onConnect(): void {
    this.connected = true;
    this.arm(this.pool.tickMs);
    this.user?.onUpstreamConnect();
  }

  private onData(buf: Buffer): void {
    this.quietMs = 0;
    if (this.user !== null) this.user.onUpstreamData(buf);
    // Bytes on an idle connection answer nothing the gateway asked: it cannot be trusted.
    else this.socket.destroy();
  }

  private onEnd(): void {
    this.user?.onUpstreamEnd();
  }

  private onError(err: Error): void {
    this.lastError = err;
  }

  private onClose(): void {
    this.pool.forget(this);
    const user = this.user;
    this.user = null;
    user?.onUpstreamClose(this.lastError);
  }

  /**
   * The socket timer fired: `armedMs` passed without traffic (node restarts the timer on every
   * read and write). One timer period (`pool.tickMs`, the shorter of the two limits) serves both
   * the replica's idle timeout while busy and the keep-alive expiry while pooled, so handing a
   * connection out and back costs no timer calls; the quiet time is summed here instead.
   */
  private onTimeout(): void {
    if (!this.connected) {
      this.user?.onUpstreamTimeout();
      if (this.user === null) this.socket.destroy();
      return;
    }
    this.quietMs += this.armedMs;
    const limitMs = this.user !== null ? this.pool.opts.idleTimeoutMs : this.pool.opts.keepAliveMs;
    if (this.quietMs >= limitMs) {
      if (this.user !== null) this.user.onUpstreamTimeout();
      else this.socket.destroy();
      return;
    }
    // A fired timer stays off until set again.
    this.armedMs = Math.min(this.pool.tickMs, limitMs - this.quietMs);
    this.socket.setTimeout(this.armedMs);
  }

  private arm(ms: number): void {
    this.armedMs = ms;
    this.socket.setTimeout(ms);
  }

  private onDrain(): void {
    this.user?.onUpstreamDrain();
  }
}

/** The connections to one replica address. */
export class ReplicaPool {
  private readonly idle: UpstreamConnection[] = [];
  private closed = false;

  /** The socket timer's period on established connections (see UpstreamConnection.onTimeout). */
  readonly tickMs: number;

  readonly host: string;
  readonly port: number;
  /** The replica's Host header and path prefix, as of when the pool was made (a replica that moves gets a new pool). */
  readonly hostHeader: string;
  readonly basePath: string;

  /** `open` holds every connection of every pool, so the gateway can cut them all on close. */
  constructor(address: ReplicaAddress, readonly opts: PoolOptions, private readonly open: Set<UpstreamConnection>) {
    this.host = address.hostname;
    this.port = address.port;
    this.hostHeader = address.hostHeader;
    this.basePath = address.basePath;
    this.tickMs = Math.min(opts.idleTimeoutMs, opts.keepAliveMs);
  }

  /** An idle connection (connected: the caller goes on at once) or a new one (connecting). */
  acquire(user: UpstreamUser): UpstreamConnection {
    for (let idle = this.idle.pop(); idle !== undefined; idle = this.idle.pop()) {
      // The replica may have closed it a moment ago ('close' not processed yet): skip those.
      if (idle.socket.destroyed || idle.socket.readableEnded) {
        idle.discard();
        continue;
      }
      idle.adopt(user);
      return idle;
    }
    const fresh = new UpstreamConnection(this, user);
    this.open.add(fresh);
    return fresh;
  }

  /** Idle connections waiting for a request. */
  get idleCount(): number {
    return this.idle.length;
  }

  release(conn: UpstreamConnection): void {
    if (this.closed || conn.socket.destroyed) {
      conn.discard();
      return;
    }
    this.idle.push(conn);
  }

  /** The connection closed: it must not be handed out again. */
  forget(conn: UpstreamConnection): void {
    this.open.delete(conn);
    const i = this.idle.lastIndexOf(conn);
    if (i >= 0) this.idle.splice(i, 1);
  }

  /** The replica left (or moved): idle connections close now, busy ones when their request ends. */
  close(): void {
    this.closed = true;
    for (const conn of this.idle.splice(0)) conn.discard();
  }
}
