/**
 * The gateway's own answers (404, 502, 503, 504) as Kubernetes `Status` JSON, the shape every
 * qm error response has, so clients parse one format whichever hop failed.
 *
 * Example: `sendStatus(res, 503, 'ServiceUnavailable', 'deployment ml/llama has no ready replica', { retryAfterSeconds: 1 })`
 */
import type { ServerResponse } from 'node:http';
import type { ErrorDetails, StatusObject } from '@qm/api';

export function statusBody(code: number, reason: string, message: string, details?: ErrorDetails): StatusObject {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

export function sendStatus(res: ServerResponse, code: number, reason: string, message: string, details?: ErrorDetails): void {
  const body = JSON.stringify(statusBody(code, reason, message, details));
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}
