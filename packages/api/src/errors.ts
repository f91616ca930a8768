/**
 * The error registry: every failure the platform reports has a stable `code`,
 * an HTTP status and the Kubernetes `Status.reason` it maps to.
 *
 * Example:
 * ```ts
 * throw new QmError('Conflict', 'trainingjobs "bert" was modified; reload and retry');
 * ```
 */
export const ERROR_CODES = {
  BadRequest: { httpStatus: 400, reason: 'BadRequest', summary: 'The request is malformed (bad JSON/YAML, bad query parameter).' },
  Unauthorized: { httpStatus: 401, reason: 'Unauthorized', summary: 'No bearer token, or the token is unknown.' },
  Forbidden: { httpStatus: 403, reason: 'Forbidden', summary: 'The user may not do this, or an admission policy refused it.' },
  NotFound: { httpStatus: 404, reason: 'NotFound', summary: 'The object, kind or path does not exist.' },
  MethodNotAllowed: { httpStatus: 405, reason: 'MethodNotAllowed', summary: 'The verb is not supported on this path.' },
  AlreadyExists: { httpStatus: 409, reason: 'AlreadyExists', summary: 'An object with this kind, namespace and name exists.' },
  Conflict: { httpStatus: 409, reason: 'Conflict', summary: 'The object changed since the resourceVersion you sent; reload and retry.' },
  Gone: { httpStatus: 410, reason: 'Expired', summary: 'The resourceVersion is older than the watch log keeps; list again and watch from the list\'s version.' },
  UnsupportedMediaType: { httpStatus: 415, reason: 'UnsupportedMediaType', summary: 'The Content-Type is not supported for this verb.' },
  Invalid: { httpStatus: 422, reason: 'Invalid', summary: 'The object failed validation; details.causes names every bad field.' },
  TooManyRequests: { httpStatus: 429, reason: 'TooManyRequests', summary: 'Slow down and retry.' },
  InternalError: { httpStatus: 500, reason: 'InternalError', summary: 'A bug or an I/O failure inside the platform.' },
  ServiceUnavailable: { httpStatus: 503, reason: 'ServiceUnavailable', summary: 'The platform is starting or stopping.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One bad field, named by its path in the document (e.g. `spec.workers`). */
export interface FieldCause {
  field: string;
  message: string;
  /** Kubernetes cause reason, e.g. FieldValueInvalid, FieldValueRequired, FieldValueNotSupported. */
  reason: string;
}

export interface ErrorDetails {
  name?: string;
  kind?: string;
  group?: string;
  causes?: FieldCause[];
  retryAfterSeconds?: number;
}

export class QmError extends Error {
  readonly code: ErrorCode;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = 'QmError';
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].httpStatus;
  }
}

export function isQmError(err: unknown, code?: ErrorCode): err is QmError {
  return err instanceof QmError && (code === undefined || err.code === code);
}

/** The Kubernetes `Status` object every error response carries. */
export interface StatusObject {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message: string;
  reason: string;
  details?: ErrorDetails;
  code: number;
}

export function toStatusObject(err: QmError): StatusObject {
  const entry = ERROR_CODES[err.code];
  const hasDetails = Object.keys(err.details).length > 0;
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: err.message,
    reason: entry.reason,
    ...(hasDetails ? { details: err.details } : {}),
    code: entry.httpStatus,
  };
}

/** Rebuilds a QmError from a Status object received over HTTP (used by clients). */
export function fromStatusObject(status: Partial<StatusObject>, httpStatus: number): QmError {
  const code = (Object.keys(ERROR_CODES) as ErrorCode[]).find(
    (c) => ERROR_CODES[c].reason === status.reason && ERROR_CODES[c].httpStatus === httpStatus,
  ) ?? (Object.keys(ERROR_CODES) as ErrorCode[]).find((c) => ERROR_CODES[c].httpStatus === httpStatus)
    ?? 'InternalError';
  return new QmError(code, status.message ?? `HTTP ${httpStatus}`, status.details ?? {});
}
