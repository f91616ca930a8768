import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, QmError, isQmError, toStatusObject } from '@qm/api';
import type { ErrorCode, StatusObject } from '@qm/api';

/**
 * Turns any failure into a Kubernetes `Status` body: QmErrors keep their code, Fastify's own
 * errors (bad JSON, unsupported media type, body too large) map by HTTP status, and anything
 * else is a 500 whose details stay in the server log, never in the response.
 *
 * Example: `app.setErrorHandler(statusErrorHandler)`
 */
export function statusErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const status = statusFor(err, request);
  void reply.code(status.code).type('application/json').send(status);
}

/** The Status object for an error; logs unexpected ones (with their stack) on the request's logger. */
export function statusFor(err: unknown, request?: FastifyRequest): StatusObject {
  if (isQmError(err)) {
    if (err.code === 'InternalError') request?.log.error({ err }, 'internal error');
    return toStatusObject(err);
  }
  const statusCode = fastifyStatusCode(err);
  if (statusCode !== undefined && statusCode < 500) {
    return httpStatusObject(statusCode, clientMessage(err as FastifyError));
  }
  request?.log.error({ err }, 'unexpected error while serving request');
  const id = request ? ` (request id ${request.id})` : '';
  return toStatusObject(new QmError('InternalError', `internal error; see the server log${id}`));
}

/** A Status for an HTTP code, using the registry when it has one and Kubernetes' reason otherwise. */
export function httpStatusObject(httpStatus: number, message: string): StatusObject {
  const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find((c) => ERROR_CODES[c].httpStatus === httpStatus);
  if (code) return toStatusObject(new QmError(code, message));
  return {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message,
    reason: EXTRA_REASONS[httpStatus] ?? 'BadRequest', code: httpStatus,
  };
}

// Statuses Fastify can produce that the platform's registry has no code for.
const EXTRA_REASONS: Record<number, string> = {
  406: 'NotAcceptable',
  408: 'Timeout',
  413: 'RequestEntityTooLarge',
  414: 'RequestURITooLong',
  431: 'RequestHeaderFieldsTooLarge',
};

function fastifyStatusCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { statusCode?: unknown }).statusCode;
  return typeof code === 'number' && code >= 400 && code < 600 ? code : undefined;
}

function clientMessage(err: FastifyError): string {
  if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return `request body is not valid JSON: ${err.message}`;
  }
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'request body is empty; send a JSON object';
  if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
    return `unsupported Content-Type; send application/json or application/yaml `
      + `(PATCH: application/merge-patch+json)`;
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'request body is too large';
  return err.message;
}

/** Answers unknown paths with a 404 Status (registered as Fastify's not-found handler). */
export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0];
  void reply.code(404).type('application/json').send(
    toStatusObject(new QmError('NotFound', `the server could not find the requested resource: ${request.method} ${path}`)),
  );
}
