/**
 * Where an HTTP/1.1 message body ends (RFC 9112 §6-§7), found while its bytes stream through:
 * Content-Length counts down, chunked framing is followed chunk by chunk (sizes, extensions,
 * trailers), until-close ends when the connection does. The bytes themselves are not copied or
 * changed; the gateway forwards them as they come and only needs to know where the message stops.
 *
 * Example:
 * ```ts
 * const framer = new BodyFramer();
 * framer.expect(CHUNKED);
 * const end = framer.consume(buf, 0, buf.length);  // -1: malformed (framer.error says why)
 * forward(buf.subarray(0, end));                    // this message's bytes in buf
 * if (framer.done) { … buf.subarray(end) is the next message … }
 * ```
 */

/** Body framings. */
export const NO_BODY = 0;
export const BY_LENGTH = 1;
export const CHUNKED = 2;
export const UNTIL_CLOSE = 3;
export type Framing = typeof NO_BODY | typeof BY_LENGTH | typeof CHUNKED | typeof UNTIL_CLOSE;

/** Receives the payload of a chunked body without its framing (to re-frame it for HTTP/1.0). */
export interface PayloadSink {
  payload(buf: Buffer, start: number, end: number): void;
}

// Chunked parser states.
const SIZE_START = 0;
const SIZE = 1;
const EXTENSION = 2;
const SIZE_LF = 3;
const DATA = 4;
const DATA_CR = 5;
const DATA_LF = 6;
const TRAILER_START = 7;
const TRAILER = 8;
const TRAILER_LF = 9;
const FINAL_LF = 10;

/** A chunk-size line (size and extensions) longer than this is refused: nobody needs more. */
const MAX_CHUNK_LINE_BYTES = 4096;
/** Trailer fields, all together. */
const MAX_TRAILER_BYTES = 64 * 1024;
/** Sizes beyond 2^48 bytes are nonsense and would lose precision as doubles soon after. */
const MAX_CHUNK_BYTES = 2 ** 48;

export class BodyFramer {
  mode: Framing = NO_BODY;
  /** The message ended (for UNTIL_CLOSE only once `closed()` was called). */
  done = true;
  /** Why `consume` returned -1. */
  error: string | undefined;
  /** BY_LENGTH: bytes still to come; CHUNKED: bytes left in the current chunk. */
  private remaining = 0;
  private state = SIZE_START;
  private lineBytes = 0;
  private trailerBytes = 0;

  /** Starts a message body; `length` for BY_LENGTH (0 means no body). */
  expect(mode: Framing, length = 0): void {
    this.mode = mode === BY_LENGTH && length === 0 ? NO_BODY : mode;
    this.done = this.mode === NO_BODY;
    this.remaining = length;
    this.state = SIZE_START;
    this.lineBytes = 0;
    this.trailerBytes = 0;
    this.error = undefined;
  }

  /**
   * Takes `buf[start, end)` as the next bytes of the body; returns the offset where this
   * message's bytes stop (`end` unless the message ended inside), or -1 when the chunked framing
   * is malformed. With `sink`, payload ranges (no chunk framing) are reported as they pass.
   */
  consume(buf: Buffer, start: number, end: number, sink?: PayloadSink): number {
    switch (this.mode) {
      case NO_BODY:
        return start;
      case BY_LENGTH: {
        const n = Math.min(this.remaining, end - start);
        this.remaining -= n;
        if (this.remaining === 0) this.done = true;
        return start + n;
      }
      case UNTIL_CLOSE:
        if (sink !== undefined && end > start) sink.payload(buf, start, end);
        return end;
      default:
        return this.chunked(buf, start, end, sink);
    }
  }

  /** The connection closed: an until-close body is complete; other framings are cut short. */
  closed(): boolean {
    if (this.mode === UNTIL_CLOSE) this.done = true;
    return this.done;
  }

  private chunked(buf: Buffer, start: number, end: number, sink: PayloadSink | undefined): number {
    let i = start;
    while (i < end) {
      if (this.state === DATA) {
        const n = Math.min(this.remaining, end - i);
        if (sink !== undefined) sink.payload(buf, i, i + n);
        i += n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = DATA_CR;
        continue;
      }
      const c = buf[i++];
      switch (this.state) {
        case SIZE_START: {
          const digit = hexValue(c);
          if (digit < 0) return this.fail('expected a chunk size');
          this.remaining = digit;
          this.lineBytes = 1;
          this.state = SIZE;
          break;
        }
        case SIZE: {
          const digit = hexValue(c);
          if (digit >= 0) {
            this.remaining = this.remaining * 16 + digit;
            if (this.remaining > MAX_CHUNK_BYTES) return this.fail('chunk size too large');
          } else if (c === 59 /* ; */ || c === 32 || c === 9) {
            this.state = EXTENSION;
          } else if (c === 13) {
            this.state = SIZE_LF;
          } else {
            return this.fail('malformed chunk size');
          }
          if (++this.lineBytes > MAX_CHUNK_LINE_BYTES) return this.fail('chunk size line too long');
          break;
        }
        case EXTENSION:
          // Chunk extensions (";name=value", quoted strings included) pass through unread.
          if (c === 13) this.state = SIZE_LF;
          else if (c === 10 || (c < 32 && c !== 9) || c === 127) return this.fail('control character in a chunk extension');
          if (++this.lineBytes > MAX_CHUNK_LINE_BYTES) return this.fail('chunk size line too long');
          break;
        case SIZE_LF:
          if (c !== 10) return this.fail('chunk size line not ended by CRLF');
          this.state = this.remaining === 0 ? TRAILER_START : DATA;
          break;
        case DATA_CR:
          if (c !== 13) return this.fail('chunk data longer than its size');
          this.state = DATA_LF;
          break;
        case DATA_LF:
          if (c !== 10) return this.fail('chunk data not ended by CRLF');
          this.state = SIZE_START;
          break;
        case TRAILER_START:
          if (c === 13) this.state = FINAL_LF;
          else if (c === 10) return this.fail('bare LF in the trailer section');
          else this.state = TRAILER;
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return this.fail('trailer section too large');
          break;
        case TRAILER:
          if (c === 13) this.state = TRAILER_LF;
          else if (c === 10) return this.fail('bare LF in the trailer section');
          if (++this.trailerBytes > MAX_TRAILER_BYTES) return this.fail('trailer section too large');
          break;
        case TRAILER_LF:
          if (c !== 10) return this.fail('trailer line not ended by CRLF');
          this.state = TRAILER_START;
          break;
        case FINAL_LF:
          if (c !== 10) return this.fail('chunked body not ended by CRLF');
          this.done = true;
          return i;
      }
    }
    return i;
  }

  private fail(message: string): number {
    this.error = message;
    return -1;
  }
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}
