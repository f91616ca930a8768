/**
 * The gateway's own answers (400, 404, 502, 503, 504…) as Kubernetes `Status` JSON, the shape
 * every qm error response has, so clients parse one format whichever hop failed. They are built
 * as whole HTTP/1.1 responses, ready for one write to the client's socket.
 *
 * Example:
 * ```ts
 * socket.write(statusResponse(503, 'ServiceUnavailable', 'deployment ml/llama has no ready replica',
 *   { connection: '', headOnly: false }, { retryAfterSeconds: 1 }));
 * ```
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorDetails, StatusObject } from '@qm/api';

export interface ResponseOptions {
  /** A `Connection: …\r\n` line, or '' (see ClientConnection.connectionLine). */
  connection: string;
  /** The request was HEAD: the head only, Content-Length still that of the body. */
  headOnly: boolean;
}

function statusBody(code: number, reason: string, message: string, details?: ErrorDetails): StatusObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** A whole response carrying a Status body; a 503 with `details.retryAfterSeconds` gets Retry-After. */
export function statusResponse(code: number, reason: string, message: string, opts: ResponseOptions, details?: ErrorDetails): string {
  const body = JSON.stringify(statusBody(code, reason, message, details));
  const retryAfter = details?.retryAfterSeconds === undefined ? '' : `Retry-After: ${details.retryAfterSeconds}\r\n`;
  return plainResponse(code, 'application/json', body, opts, `Cache-Control: no-store\r\n${retryAfter}`);
}

/** A whole response with a fixed body (written as UTF-8); `extraLines` are header lines ending in CRLF. */
export function plainResponse(code: number, contentType: string, body: string, opts: ResponseOptions, extraLines = ''): string {
  return `HTTP/1.1 ${code} ${STATUS_CODES[code] ?? 'Unknown'}\r\nContent-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`
    + `${extraLines}${opts.connection}\r\n${opts.headOnly ? '' : body}`;
}
