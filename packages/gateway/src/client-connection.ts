/**
 * One client's TCP connection to the gateway, speaking HTTP/1.1 (and 1.0): reads request heads,
 * hands each request to the gateway, follows the request body's framing so it knows where the
 * next request starts, and keeps pipelined requests strictly one after another (bytes of a later
 * request are held, and the socket paused, until the current response is done).
 *
 * Body bytes go to the request's `handler` (the exchange) as they arrive; once the response is
 * done, the rest of an unread body is discarded so the connection can carry the next request.
 *
 * Example:
 * ```ts
 * net.createServer((socket) => new ClientConnection(socket, host));
 * // host.handleRequest(conn, head, firstBody) then either answers at once:
 * conn.write(Buffer.from(response)); conn.responseDone(!close);
 * // or sets conn.handler = exchange, which gets onRequestBody(chunk) / onRequestBodyEnd().
 * ```
 */
import type { Socket } from 'node:net';
import { BodyFramer, BY_LENGTH, CHUNKED, NO_BODY } from './body-framing.js';
import { HeadError, HeadMemo, HeadReader, type MessageHead } from './http1-head.js';
import { statusResponse } from './status-responses.js';

/** What receives a request's body and produces its response. */
export interface RequestHandler {
  onRequestBody(chunk: Buffer): void;
  onRequestBodyEnd(): void;
  /** The body's chunked framing is malformed: answer 400, or cut a response already started. */
  onRequestBodyError(message: string): void;
  /** The client's socket took what was written (after write() returned false). */
  onClientDrain(): void;
  /** The client's connection closed before the response was done. */
  onClientClose(): void;
}

export interface ConnectionHost {
  /** The gateway is shutting down: responses say `Connection: close`. */
  readonly closing: boolean;
  /** A request arrived; `firstBody` holds its body bytes that came with the head (null: none yet). */
  handleRequest(conn: ClientConnection, head: MessageHead, firstBody: Buffer | null): void;
  connectionClosed(conn: ClientConnection): void;
}

/** Request heads beyond this get 431. */
const MAX_REQUEST_HEAD_BYTES = 64 * 1024;
/** An idle keep-alive connection closes after this (node's http server default). */
const KEEP_ALIVE_TIMEOUT_MS = 5000;
/** A request head must be complete this long after its first byte (node's headersTimeout). */
const HEAD_TIMEOUT_MS = 60_000;

/** Why reading from the client is paused (bits; reading resumes once none is left). */
const PAUSE_PIPELINED = 1;
/** Body bytes are held until the connection to the replica is established. */
export const PAUSE_HOLD = 2;
/** The replica's socket is not taking more. */
export const PAUSE_UPSTREAM_FULL = 4;

export class ClientConnection {
  /** The client's address, for X-Forwarded-For (read once: the getter is a syscall). */
  readonly remoteAddress: string | undefined;
  /** The request being served (null between requests). */
  head: MessageHead | null = null;
  /** The current request's body has been read to its end. */
  bodyDone = true;
  /** Receives the current request's body; null: the body (if any) is discarded. */
  handler: RequestHandler | null = null;
  closed = false;
  private readonly reader = new HeadReader(MAX_REQUEST_HEAD_BYTES, true);
  private readonly heads = new HeadMemo();
  private readonly framer = new BodyFramer();
  /** A response for the current request is still being produced. */
  private responding = false;
  private keepAlive = true;
  /** Bytes after the current request (pipelined), not yet parsed. */
  private leftover: Buffer | null = null;
  private pauses = 0;
  /** Inside process(): completions only set state; the loop goes on. */
  private processing = false;
  private headStartedAt = 0;

  constructor(private readonly socket: Socket, private readonly host: ConnectionHost) {
    this.remoteAddress = socket.remoteAddress;
    socket.setTimeout(KEEP_ALIVE_TIMEOUT_MS);
    // One set of arrow functions per connection (V8 calls them more cheaply than bound methods).
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', noop);
    socket.on('close', () => this.onClose());
    socket.on('timeout', () => this.onTimeout());
    socket.on('drain', () => this.onDrain());
  }

  /** No request in progress, nothing half-read: safe to close. */
  get idle(): boolean {
    return !this.responding && this.bodyDone && this.reader.pendingBytes === 0 && this.leftover === null;
  }

  /** Whether the response being started must close the connection afterwards. */
  mustClose(): boolean {
    return !this.keepAlive || this.host.closing
      // The client waits for 100 Continue before sending its body; a final answer without it
      // leaves the body's fate unknown, so the connection cannot carry another request.
      || (!this.bodyDone && this.head !== null && this.head.expectContinue);
  }

  /** The `Connection` header line for a response head ('' when HTTP/1.1 defaults apply). */
  connectionLine(close: boolean): string {
    if (close) return 'Connection: close\r\n';
    return this.head !== null && this.head.minorVersion === 0 ? 'Connection: keep-alive\r\n' : '';
  }

  write(data: Buffer): boolean {
    if (this.closed) return true;
    return this.socket.write(data);
  }

  writeLatin1(text: string): boolean {
    if (this.closed) return true;
    return this.socket.write(text, 'latin1');
  }

  writeUtf8(text: string): boolean {
    if (this.closed) return true;
    return this.socket.write(text);
  }

  /** The response's last byte was written; with `keepAlive` false the connection closes after it. */
  responseDone(keepAlive: boolean): void {
    this.responding = false;
    this.handler = null;
    if (!keepAlive) this.keepAlive = false;
    this.resumeReading(PAUSE_HOLD | PAUSE_UPSTREAM_FULL);
    if (this.bodyDone || !this.keepAlive) this.requestComplete();
    // Otherwise the rest of the body is read and discarded; requestComplete() follows its end.
  }

  pauseReading(reason: number): void {
    if (this.pauses === 0 && !this.closed) this.socket.pause();
    this.pauses |= reason;
  }

  resumeReading(reasons: number): void {
    if ((this.pauses & reasons) === 0) return;
    this.pauses &= ~reasons;
    if (this.pauses === 0 && !this.closed) this.socket.resume();
  }

  /** Cuts the connection (a response broken mid-way must not look complete). */
  destroy(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.leftover !== null) {
      // Still waiting for the response of an earlier request.
      this.leftover = Buffer.concat([this.leftover, chunk]);
      this.pauseReading(PAUSE_PIPELINED);
      return;
    }
    this.process(chunk, 0);
  }

  /** Walks `buf` from `offset`: body bytes of the current request, then further requests. */
  private process(buf: Buffer, offset: number): void {
    this.processing = true;
    try {
      while (offset < buf.length && !this.closed) {
        if (!this.bodyDone) {
          const end = this.framer.consume(buf, offset, buf.length);
          if (end < 0) {
            this.badBody(this.framer.error ?? 'malformed body');
            return;
          }
          if (end > offset && this.handler !== null) this.handler.onRequestBody(offset === 0 && end === buf.length ? buf : buf.subarray(offset, end));
          offset = end;
          if (this.framer.done) {
            this.bodyDone = true;
            if (this.handler !== null) this.handler.onRequestBodyEnd();
            else if (!this.responding) this.requestComplete();
          }
          continue;
        }
        if (this.responding) {
          this.leftover = offset === 0 ? buf : buf.subarray(offset);
          this.pauseReading(PAUSE_PIPELINED);
          return;
        }
        if (this.reader.pendingBytes === 0) this.headStartedAt = performance.now();
        let text: string | undefined;
        try {
          text = this.reader.read(buf, offset);
        } catch (err) {
          this.reject(err as HeadError);
          return;
        }
        if (text === undefined) {
          if (this.reader.pendingBytes > 0 && performance.now() - this.headStartedAt > HEAD_TIMEOUT_MS) {
            this.reject(new HeadError(408, `the request head did not arrive within ${HEAD_TIMEOUT_MS} ms`));
          }
          return;
        }
        offset = this.startRequest(text, buf, this.reader.next);
      }
    } finally {
      this.processing = false;
    }
  }

  /**
   * Starts the request whose head is `text`; its body begins at `buf[offset]`. The body bytes
   * already in `buf` go to the gateway with the head, so the exchange can send head and body in
   * one write. Returns the offset after them (-1: refused, the connection is closing).
   */
  private startRequest(text: string, buf: Buffer, offset: number): number {
    let head: MessageHead;
    try {
      head = this.heads.request(text);
    } catch (err) {
      if (!(err instanceof HeadError)) throw err;
      this.reject(err);
      return -1;
    }
    this.head = head;
    this.keepAlive = head.keepAlive;
    if (head.chunked) this.framer.expect(CHUNKED);
    else this.framer.expect(head.contentLength > 0 ? BY_LENGTH : NO_BODY, Math.max(0, head.contentLength));
    let firstBody: Buffer | null = null;
    if (!this.framer.done && offset < buf.length) {
      const end = this.framer.consume(buf, offset, buf.length);
      if (end < 0) {
        this.reject(new HeadError(400, `malformed request body: ${this.framer.error}`));
        return -1;
      }
      firstBody = offset === 0 && end === buf.length ? buf : buf.subarray(offset, end);
      offset = end;
    }
    this.bodyDone = this.framer.done;
    this.responding = true;
    this.handler = null;
    this.host.handleRequest(this, head, firstBody);
    return offset;
  }

  /** Both the request (body included) and its response are done: on to the next one. */
  private requestComplete(): void {
    this.head = null;
    if (!this.keepAlive || this.host.closing) {
      this.endSocket();
      return;
    }
    if (this.processing) return;
    const leftover = this.leftover;
    this.leftover = null;
    // Resume first: processing the held bytes may start a request that pauses again.
    this.resumeReading(PAUSE_PIPELINED);
    if (leftover !== null) this.process(leftover, 0);
  }

  /** A request the gateway cannot read: answer (when nothing was sent yet) and close. */
  private reject(err: HeadError): void {
    const reason = err.status === 431 ? 'RequestHeaderFieldsTooLarge' : err.status === 505 ? 'HTTPVersionNotSupported' : err.status === 408 ? 'Timeout' : 'BadRequest';
    this.endSocket(statusResponse(err.status, reason, err.message, { connection: 'Connection: close\r\n', headOnly: false }));
  }

  private badBody(message: string): void {
    // No more of this connection can be trusted: whatever follows is not a request boundary.
    this.bodyDone = true;
    this.keepAlive = false;
    if (!this.responding) {
      this.endSocket();
      return;
    }
    // The handler decides: 400 if the replica has not answered yet, else a cut response. A
    // local answer still being produced goes out, and the connection closes after it.
    this.handler?.onRequestBodyError(message);
  }

  /** Sends `last` (if any) and closes our side; whatever the client still sends is ignored. */
  private endSocket(last?: string): void {
    if (this.closed) return;
    this.closed = true;
    this.leftover = null;
    this.reader.reset();
    // Keep reading (and dropping) until the client closes too: closing with unread bytes would
    // make the kernel send a reset, which can destroy the answer before the client reads it.
    if (this.pauses !== 0) this.socket.resume();
    if (last !== undefined) this.socket.end(last);
    else this.socket.end();
  }

  private onEnd(): void {
    // The client closed its side. Like node's http server, a request still in progress is
    // treated as abandoned (fetch and most clients close only when they give up).
    this.socket.destroy();
  }

  private onClose(): void {
    this.closed = true;
    this.leftover = null;
    this.host.connectionClosed(this);
    const handler = this.handler;
    this.handler = null;
    if (this.responding && handler !== null) {
      this.responding = false;
      handler.onClientClose();
    }
  }

  private onTimeout(): void {
    // In flight, the replica side has its own idle timeout; between requests this is keep-alive expiry.
    if (!this.responding) this.socket.destroy();
  }

  private onDrain(): void {
    if (this.handler !== null) this.handler.onClientDrain();
  }
}

function noop(): void {}
