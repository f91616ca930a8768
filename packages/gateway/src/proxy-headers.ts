/**
 * What a reverse proxy changes on the way through: which deployment a path names, the
 * replica-side path, and the header lines (hop-by-hop ones dropped, X-Forwarded-* set), written
 * as raw `Name: value` lines from a parsed MessageHead.
 *
 * Example:
 * ```ts
 * parseGatewayPath('/team-a/llama/v1/chat?stream=1')
 * // → { namespace: 'team-a', name: 'llama', key: 'team-a/llama', prefix: '/team-a/llama', upstreamPath: '/v1/chat?stream=1' }
 * upstreamRequestFields(parseRequestHead('GET / HTTP/1.1\r\nHost: gw\r\nAccept: text/plain'), '10.0.0.7', '/team-a/llama')
 * // → 'Accept: text/plain\r\nX-Forwarded-For: 10.0.0.7\r\nX-Forwarded-Proto: http\r\nX-Forwarded-Host: gw\r\nX-Forwarded-Prefix: /team-a/llama\r\n'
 * ```
 */
import type { MessageHead } from './http1-head.js';

export interface GatewayTarget {
  namespace: string;
  name: string;
  /** `namespace/name`, the key `setRoutes` uses. */
  key: string;
  /** The part of the path the gateway strips: `/namespace/name`. */
  prefix: string;
  /** What the replica sees: the rest of the path (at least `/`) with the query unchanged. */
  upstreamPath: string;
}

/** Splits `/<ns>/<name>/<rest…>` (the query kept verbatim); undefined when it has no two segments. */
export function parseGatewayPath(rawUrl: string): GatewayTarget | undefined {
  if (rawUrl.charCodeAt(0) !== 47 /* / */) return undefined;
  const nsEnd = rawUrl.indexOf('/', 1);
  if (nsEnd <= 1) return undefined;
  const namespace = rawUrl.slice(1, nsEnd);
  if (namespace.includes('?')) return undefined;
  let nameEnd = nsEnd + 1;
  while (nameEnd < rawUrl.length) {
    const c = rawUrl.charCodeAt(nameEnd);
    if (c === 47 /* / */ || c === 63 /* ? */) break;
    nameEnd++;
  }
  if (nameEnd === nsEnd + 1) return undefined;
  const name = rawUrl.slice(nsEnd + 1, nameEnd);
  const rest = rawUrl.slice(nameEnd);
  const upstreamPath = rest === '' ? '/' : rest.charCodeAt(0) === 63 ? `/${rest}` : rest;
  return { namespace, name, key: `${namespace}/${name}`, prefix: `/${namespace}/${name}`, upstreamPath };
}

/** RFC 9110 §7.6.1 connection-specific headers, plus the legacy ones proxies also strip. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/**
 * Whether a field stays on this hop only: the fixed hop-by-hop set and any the Connection header
 * names. Framing fields (Content-Length, Transfer-Encoding) are decided by the callers, never by
 * Connection: `Connection: content-length` must not make the gateway drop the body's framing.
 */
function hopByHop(key: string, named: readonly string[] | null): boolean {
  return HOP_BY_HOP.has(key) || (named !== null && named.includes(key));
}

/**
 * The header lines (each ending in CRLF) the replica gets after its request line and `Host`:
 * the client's end-to-end fields as sent, the body's framing field unchanged (the body is
 * forwarded byte for byte), the client appended to X-Forwarded-For, X-Forwarded-Proto and -Host
 * kept when a proxy in front already set them, and X-Forwarded-Prefix naming the stripped prefix.
 */
export function upstreamRequestFields(head: MessageHead, clientAddress: string | undefined, prefix: string): string {
  const f = head.fields;
  const named = head.connectionTokens;
  const lines = new LineCopier(head);
  let forwardedFor = '';
  let hasProto = false;
  let hasHost = false;
  for (let i = 0, line = 0; i < f.length; i += 3, line++) {
    const key = f[i + 1];
    let keep = true;
    if (key === 'host' || key === 'x-forwarded-prefix') {
      keep = false;
    } else if (key === 'x-forwarded-for') {
      forwardedFor = forwardedFor === '' ? f[i + 2] : `${forwardedFor}, ${f[i + 2]}`;
      keep = false;
    } else if (key !== 'content-length' && key !== 'transfer-encoding') {
      if (hopByHop(key, named)) keep = false;
      else if (key === 'x-forwarded-proto') hasProto = true;
      else if (key === 'x-forwarded-host') hasHost = true;
    }
    lines.line(line, keep);
  }
  const client = clientAddress ?? 'unknown';
  let out = `${lines.done()}X-Forwarded-For: ${forwardedFor === '' ? client : `${forwardedFor}, ${client}`}\r\n`;
  if (!hasProto) out += 'X-Forwarded-Proto: http\r\n';
  if (!hasHost && head.host !== undefined) out += `X-Forwarded-Host: ${head.host}\r\n`;
  return `${out}X-Forwarded-Prefix: ${prefix}\r\n`;
}

/**
 * The header lines (each ending in CRLF) of the replica's response for the client: end-to-end
 * fields as sent; the framing fields kept (the body is forwarded as framed) unless
 * `dropTransferCoding` (a chunked body re-sent unframed to an HTTP/1.0 client); Content-Length
 * dropped when Transfer-Encoding overrides it.
 */
export function downstreamResponseFields(head: MessageHead, dropTransferCoding: boolean): string {
  const f = head.fields;
  const named = head.connectionTokens;
  const lines = new LineCopier(head);
  for (let i = 0, line = 0; i < f.length; i += 3, line++) {
    const key = f[i + 1];
    let keep = true;
    if (key === 'content-length') keep = !head.hasTransferEncoding;
    // Trailer announces trailer fields, which travel inside the chunked framing kept here.
    else if (key === 'transfer-encoding' || key === 'trailer') keep = !dropTransferCoding;
    else keep = !hopByHop(key, named);
    lines.line(line, keep);
  }
  return lines.done();
}

/**
 * Copies the kept header lines exactly as they came (names, spacing, values), one slice of the
 * head per run of consecutive kept lines rather than one string per field.
 */
class LineCopier {
  private out = '';
  private runStart = -1;

  constructor(private readonly head: MessageHead) {}

  line(index: number, keep: boolean): void {
    if (keep) {
      if (this.runStart < 0) this.runStart = this.head.lineStarts[index];
    } else if (this.runStart >= 0) {
      this.out += this.head.text.slice(this.runStart, this.head.lineStarts[index]);
      this.runStart = -1;
    }
  }

  /** The kept lines, each ending in CRLF. */
  done(): string {
    // The head's text has no CRLF after its last line.
    return this.runStart < 0 ? this.out : `${this.out}${this.head.text.slice(this.runStart)}\r\n`;
  }
}
