import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parseDocument } from 'yaml';
import { QmError } from '@qm/api';

export const MERGE_PATCH_TYPES = ['application/merge-patch+json', 'application/strategic-merge-patch+json'];
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
// Parsed so the handler can answer with a 415 that says what to send instead.
const UNSUPPORTED_PATCH_TYPES = ['application/json-patch+json', 'application/apply-patch+yaml'];

/**
 * Teaches Fastify the bodies the API accepts: JSON (and merge-patch JSON, with Fastify's
 * prototype-poisoning checks) and YAML for create/update.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  // An empty JSON body is fine on GET/DELETE (many clients send the header anyway); the
  // write handlers still refuse a missing body with a message that says what to send.
  const strictJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    strictJson(request, body as string, done);
  });
  app.addContentTypeParser(MERGE_PATCH_TYPES, { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseYamlBody(body as string));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser(UNSUPPORTED_PATCH_TYPES, { parseAs: 'string' }, (_request, body, done) => done(null, body));
}

/** One YAML document as a plain value; several documents or a syntax error are BadRequest. */
export function parseYamlBody(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new QmError('BadRequest', `request body is not valid YAML: ${doc.errors[0].message}`);
  }
  const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (value !== null && typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, '__proto__')) {
    throw new QmError('BadRequest', 'request body has a forbidden "__proto__" key');
  }
  return value;
}

/** The media type of the request body, lower-cased, without parameters. */
export function mediaTypeOf(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * The body as a JSON object, checking that its media type is one this verb accepts.
 * Example: `requireObjectBody(request, 'write')` for POST/PUT, `'patch'` for PATCH.
 */
export function requireObjectBody(request: FastifyRequest, use: 'write' | 'patch'): Record<string, unknown> {
  const type = mediaTypeOf(request);
  if (use === 'patch' && !MERGE_PATCH_TYPES.includes(type)) {
    throw new QmError('UnsupportedMediaType',
      `PATCH needs Content-Type application/merge-patch+json (JSON merge patch); got ${type || 'none'}`);
  }
  if (use === 'write' && type !== 'application/json' && !YAML_TYPES.includes(type)) {
    throw new QmError('UnsupportedMediaType',
      `${request.method} needs Content-Type application/json or application/yaml; got ${type || 'none'}`);
  }
  const body = request.body;
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new QmError('BadRequest', `request body must be a ${use === 'patch' ? 'merge patch' : 'object'} (a JSON/YAML mapping)`);
  }
  return body as Record<string, unknown>;
}
