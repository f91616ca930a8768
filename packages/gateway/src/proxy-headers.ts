/**
 * What a reverse proxy changes on the way through: which deployment a path names, the
 * replica-side path, and the headers (hop-by-hop ones dropped, X-Forwarded-* set).
 *
 * Example:
 * ```ts
 * parseGatewayPath('/team-a/llama/v1/chat?stream=1')
 * // → { namespace: 'team-a', name: 'llama', key: 'team-a/llama', prefix: '/team-a/llama', upstreamPath: '/v1/chat?stream=1' }
 * ```
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

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

/** The headers to drop from this message: the fixed hop-by-hop set and any the Connection header names. */
function droppedHeaders(connection: string | string[] | undefined): Set<string> {
  if (connection === undefined) return HOP_BY_HOP;
  // The common case is `Connection: keep-alive` (or `close`): nothing beyond the fixed set.
  if (connection === 'keep-alive' || connection === 'close') return HOP_BY_HOP;
  const named = (Array.isArray(connection) ? connection.join(',') : connection)
    .split(',').map((h) => h.trim().toLowerCase()).filter((h) => h !== '' && !HOP_BY_HOP.has(h));
  return named.length === 0 ? HOP_BY_HOP : new Set([...HOP_BY_HOP, ...named]);
}

/** Copies `headers` without hop-by-hop headers (and without `host` when `dropHost`). */
function endToEnd(headers: IncomingHttpHeaders, dropHost: boolean): OutgoingHttpHeaders {
  const drop = droppedHeaders(headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const key in headers) {
    if (drop.has(key) || (dropHost && key === 'host')) continue;
    out[key] = headers[key];
  }
  return out;
}

/**
 * Request headers for the replica: end-to-end headers of the client's request, `Host` left to
 * the replica's address, the client appended to X-Forwarded-For, X-Forwarded-Proto and -Host
 * kept when a proxy in front already set them, and X-Forwarded-Prefix naming the stripped prefix.
 */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, clientAddress: string | undefined, prefix: string): OutgoingHttpHeaders {
  const out = endToEnd(incoming, true);
  const prior = incoming['x-forwarded-for'];
  const client = clientAddress ?? 'unknown';
  out['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ${client}` : client;
  out['x-forwarded-proto'] ??= 'http';
  if (out['x-forwarded-host'] === undefined && incoming.host !== undefined) out['x-forwarded-host'] = incoming.host;
  out['x-forwarded-prefix'] = prefix;
  return out;
}

/** Response headers for the client: the replica's end-to-end headers (framing is redone per hop). */
export function downstreamResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  return endToEnd(incoming, false);
}
