/**
 * HTTP/1.1 message heads (RFC 9112 §2-§5): finding where a head ends in bytes that arrive in
 * pieces, and parsing a request or status line plus header fields into a MessageHead. Heads are
 * decoded as latin1, so every byte round-trips unchanged when the gateway writes a head back out.
 *
 * Example:
 * ```ts
 * const reader = new HeadReader(64 * 1024, true);
 * const text = reader.read(chunk, 0);            // undefined until the blank line arrived
 * if (text !== undefined) {
 *   const head = parseRequestHead(text);         // throws HeadError(400 | 505) on bad input
 *   head.method; head.target; head.contentLength; head.chunked; head.keepAlive;
 *   const bodyStartsAt = reader.next;            // offset in `chunk` just past the head
 * }
 * ```
 */
import type { GatewayTarget } from './proxy-headers.js';

/** A head the gateway refuses; `status` is what a client gets (400, 431, 505…). */
export class HeadError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

/** RFC 9110 §5.6.2 token characters (header names and methods): 1 at their ASCII codes. */
const TOKEN_CHARS = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TOKEN_CHARS[c.charCodeAt(0)] = 1;

/** Whether `text[start, end)` is a non-empty token. */
function isToken(text: string, start: number, end: number): boolean {
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c > 127 || TOKEN_CHARS[c] === 0) return false;
  }
  return true;
}

/** Whether `text[start, end)` holds a control character (HTAB is allowed; a bare CR or LF is not). */
function hasControl(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}

/**
 * Collects bytes until a head's terminating blank line. One reader per connection, reused for
 * every message; partial heads are kept between calls and capped at `maxBytes`.
 */
export class HeadReader {
  /** After `read` returned a head: the offset in the last buffer just past its blank line. */
  next = 0;
  private pending: Buffer | undefined;

  constructor(private readonly maxBytes: number, private readonly skipLeadingBlankLines: boolean) {}

  /** Bytes of an unfinished head held from earlier calls. */
  get pendingBytes(): number {
    return this.pending === undefined ? 0 : this.pending.length;
  }

  /**
   * Returns the head (without its final CRLFCRLF) once complete, else undefined after keeping
   * `buf[offset…]`. Throws HeadError 431 when the head grows past `maxBytes`.
   */
  read(buf: Buffer, offset: number): string | undefined {
    const pending = this.pending;
    if (pending === undefined) {
      // RFC 9112 §2.2: a server SHOULD ignore blank lines received before a request line.
      if (this.skipLeadingBlankLines) {
        while (offset + 1 < buf.length && buf[offset] === 13 && buf[offset + 1] === 10) offset += 2;
      }
      const end = buf.indexOf(CRLFCRLF, offset);
      if (end >= 0) {
        if (end + 4 - offset > this.maxBytes) throw this.tooLarge();
        this.next = end + 4;
        return buf.toString('latin1', offset, end);
      }
      if (offset >= buf.length) return undefined;
      if (buf.length - offset > this.maxBytes) throw this.tooLarge();
      this.pending = offset === 0 ? buf : buf.subarray(offset);
      return undefined;
    }
    const joined = Buffer.concat([pending, offset === 0 ? buf : buf.subarray(offset)]);
    if (this.skipLeadingBlankLines && pending.length === 1 && joined[0] === 13 && joined[1] === 10) {
      // A lone CR was pending: it began a leading blank line, not a head.
      this.pending = undefined;
      return this.read(joined, 2);
    }
    const end = joined.indexOf(CRLFCRLF, Math.max(0, pending.length - 3));
    if (end < 0) {
      if (joined.length > this.maxBytes) throw this.tooLarge();
      this.pending = joined;
      return undefined;
    }
    if (end + 4 > this.maxBytes) throw this.tooLarge();
    this.pending = undefined;
    this.next = end + 4 - pending.length + offset;
    return joined.toString('latin1', 0, end);
  }

  /** Drops a partial head (the connection is going away or starts over). */
  reset(): void {
    this.pending = undefined;
  }

  private tooLarge(): HeadError {
    this.pending = undefined;
    return new HeadError(431, `the message head is larger than ${this.maxBytes} bytes`);
  }
}

/** A parsed request or response head; strings are latin1, as the bytes came. */
export class MessageHead {
  /** Request line. */
  method = '';
  target = '';
  /** Status line. */
  statusCode = 0;
  reason = '';
  /** 1 for HTTP/1.1, 0 for HTTP/1.0. */
  minorVersion = 1;
  /**
   * Header fields, three strings each: the name as sent, its lower-case form, and the value
   * without surrounding whitespace (`fields[i]`, `fields[i + 1]`, `fields[i + 2]`). One flat
   * array instead of three or an object per field: a head is parsed for every request.
   */
  readonly fields: string[] = [];
  /** The head as parsed (no final CRLF), and where each field's line starts in it. */
  text = '';
  readonly lineStarts: number[] = [];
  /** Content-Length; -1 when absent. */
  contentLength = -1;
  /** A Transfer-Encoding field is present (it overrides Content-Length). */
  hasTransferEncoding = false;
  /** The last transfer coding is chunked: the body is framed by chunks. */
  chunked = false;
  /** Lower-case tokens of the Connection field(s) other than close/keep-alive; null for none. */
  connectionTokens: string[] | null = null;
  /** The connection persists after this message (HTTP/1.1 without `close`, HTTP/1.0 with `keep-alive`). */
  keepAlive = true;
  /** Request carries `Expect: 100-continue`. */
  expectContinue = false;
  /** The Upgrade field's value, when present. */
  upgrade: string | undefined;
  /** The Host field's value, when present. */
  host: string | undefined;

  // What the gateway derives from a head, kept with it: a connection that sends the same head
  // bytes again gets the same MessageHead back (see HeadMemo), so this is worked out once.
  /** Request: the deployment its path names (null: none). */
  route: GatewayTarget | null | undefined;
  /** Request: the header lines for the replica (fixed per client connection, as the head is). */
  forwardedFields: string | undefined;
  /** Request: the whole head for the replica, and the connection pool (replica address) it was built for. */
  forwardedHead: string | undefined;
  forwardedFor: unknown;
  /** Response: the head for an HTTP/1.1 client on a kept connection, body framing unchanged. */
  clientHead: string | undefined;
}

/**
 * The last head a connection sent and its parse. Clients and replicas on a keep-alive connection
 * tend to send the same head again and again (the same path and headers; a response's Date
 * changes once a second), and comparing the bytes is much cheaper than parsing them.
 */
export class HeadMemo {
  private text = '';
  private head: MessageHead | undefined;

  request(text: string): MessageHead {
    if (text === this.text && this.head !== undefined) return this.head;
    this.head = parseRequestHead(text);
    this.text = text;
    return this.head;
  }

  response(text: string): MessageHead {
    if (text === this.text && this.head !== undefined) return this.head;
    this.head = parseResponseHead(text);
    this.text = text;
    return this.head;
  }
}

/** Parses a request head as HeadReader returns it. Throws HeadError 400 (malformed) or 505 (version). */
export function parseRequestHead(text: string): MessageHead {
  const head = new MessageHead();
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  const sp1 = text.indexOf(' ');
  const sp2 = sp1 < 0 ? -1 : text.indexOf(' ', sp1 + 1);
  if (sp1 <= 0 || sp2 < 0 || sp2 >= eol || sp2 === sp1 + 1) throw new HeadError(400, 'malformed request line (want "METHOD TARGET HTTP/1.1")');
  if (!isToken(text, 0, sp1)) throw new HeadError(400, 'malformed request method');
  // sp2 is the first space after the target, so only control characters are left to refuse.
  if (hasControl(text, sp1 + 1, sp2)) throw new HeadError(400, 'the request target holds a control character');
  head.method = text.slice(0, sp1);
  head.target = text.slice(sp1 + 1, sp2);
  head.minorVersion = httpVersion(text.slice(sp2 + 1, eol));
  parseFields(text, eol + 2, head, true);
  if (head.minorVersion === 1 && head.host === undefined) throw new HeadError(400, 'an HTTP/1.1 request needs a Host header');
  return head;
}

/** Parses a response head. Throws HeadError (502-worthy: the replica sent something unusable). */
export function parseResponseHead(text: string): MessageHead {
  const head = new MessageHead();
  let eol = text.indexOf('\r\n');
  if (eol < 0) eol = text.length;
  // "HTTP/1.1 200 OK"; the reason phrase may be empty, and some servers drop the space before it.
  if (eol < 12 || text.charCodeAt(8) !== 32 || (eol > 12 && text.charCodeAt(12) !== 32)) throw new HeadError(502, 'malformed status line');
  head.minorVersion = httpVersion(text.slice(0, 8));
  const d1 = text.charCodeAt(9) - 48;
  const d2 = text.charCodeAt(10) - 48;
  const d3 = text.charCodeAt(11) - 48;
  if (!(d1 >= 1 && d1 <= 9 && d2 >= 0 && d2 <= 9 && d3 >= 0 && d3 <= 9)) throw new HeadError(502, `malformed status code "${text.slice(9, 12)}"`);
  head.statusCode = d1 * 100 + d2 * 10 + d3;
  if (hasControl(text, 13, eol)) throw new HeadError(502, 'control character in the reason phrase');
  head.reason = eol > 13 ? text.slice(13, eol) : '';
  parseFields(text, eol + 2, head, false);
  return head;
}

function httpVersion(version: string): number {
  if (version === 'HTTP/1.1') return 1;
  if (version === 'HTTP/1.0') return 0;
  if (/^HTTP\/\d\.\d$/.test(version)) throw new HeadError(505, `${version} is not supported; speak HTTP/1.1 or HTTP/1.0`);
  throw new HeadError(400, 'malformed HTTP version');
}

function parseFields(text: string, pos: number, head: MessageHead, isRequest: boolean): void {
  const fields = head.fields;
  head.text = text;
  let close = false;
  let keepAliveToken = false;
  let codings = '';
  while (pos < text.length) {
    let eol = text.indexOf('\r\n', pos);
    if (eol < 0) eol = text.length;
    // One pass over the name: token characters up to the colon (this also refuses obs-fold, a
    // line starting with whitespace, and whitespace before the colon), noting upper case.
    let colon = pos;
    let upper = false;
    for (; colon < eol; colon++) {
      const c = text.charCodeAt(colon);
      if (c === 58 /* : */) break;
      if (c > 127 || TOKEN_CHARS[c] === 0) throw new HeadError(400, `malformed header name ${JSON.stringify(text.slice(pos, eol))}`);
      if (c <= 90 && c >= 65) upper = true;
    }
    if (colon === pos || colon === eol) throw new HeadError(400, 'header line without a name and colon');
    const name = text.slice(pos, colon);
    let start = colon + 1;
    let end = eol;
    while (start < end && isOws(text.charCodeAt(start))) start++;
    while (end > start && isOws(text.charCodeAt(end - 1))) end--;
    if (hasControl(text, start, end)) throw new HeadError(400, `control character in header ${name}`);
    const value = text.slice(start, end);
    const key = upper ? name.toLowerCase() : name;
    fields.push(name, key, value);
    head.lineStarts.push(pos);
    switch (key) {
      case 'content-length': {
        if (!/^\d{1,15}$/.test(value)) throw new HeadError(400, `invalid Content-Length "${value}"`);
        const n = Number(value);
        // A request's length must be stated once (RFC 9110 §8.6 allows refusing repeats, and a
        // replica might refuse them); a response's equal repeats are tolerated.
        if (head.contentLength >= 0 && (isRequest || head.contentLength !== n)) throw new HeadError(400, 'more than one Content-Length header');
        head.contentLength = n;
        break;
      }
      case 'transfer-encoding':
        head.hasTransferEncoding = true;
        codings = codings === '' ? value : `${codings},${value}`;
        break;
      case 'connection': {
        // The common values need no list parsing.
        const single = value.length === 10 || value.length === 5 ? value.toLowerCase() : '';
        if (single === 'keep-alive') {
          keepAliveToken = true;
          break;
        }
        if (single === 'close') {
          close = true;
          break;
        }
        for (const raw of value.split(',')) {
          const token = raw.trim().toLowerCase();
          if (token === 'close') close = true;
          else if (token === 'keep-alive') keepAliveToken = true;
          else if (token !== '') (head.connectionTokens ??= []).push(token);
        }
        break;
      }
      case 'host':
        if (isRequest && head.host !== undefined) throw new HeadError(400, 'more than one Host header');
        head.host = value;
        break;
      case 'expect':
        if (value.toLowerCase() === '100-continue') head.expectContinue = true;
        break;
      case 'upgrade':
        head.upgrade = value;
        break;
    }
    pos = eol + 2;
  }
  head.keepAlive = head.minorVersion === 1 ? !close : keepAliveToken && !close;
  if (head.hasTransferEncoding) {
    const list = codings.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '');
    head.chunked = list.at(-1) === 'chunked';
    if (isRequest) {
      // RFC 9112 §6.1/§6.3: chunked must be the final coding of a request, and a request with
      // both framings is a smuggling attempt; refuse rather than guess which one the replica uses.
      if (!head.chunked || list.indexOf('chunked') !== list.length - 1) throw new HeadError(400, `unsupported Transfer-Encoding "${codings}" (the last coding must be chunked, once)`);
      if (head.contentLength >= 0) throw new HeadError(400, 'both Content-Length and Transfer-Encoding');
    } else {
      head.contentLength = -1;
    }
  }
}

function isOws(c: number): boolean {
  return c === 32 || c === 9;
}
