import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QmError } from '@qm/api';
import { statusFor } from './http-errors.js';

const fastifyError = (statusCode: number, code: string, message: string) => Object.assign(new Error(message), { statusCode, code });

const cases: Array<{ name: string; err: unknown; code: number; reason: string; message?: RegExp }> = [
  { name: 'QmError keeps its code and details', err: new QmError('Conflict', 'stale'), code: 409, reason: 'Conflict', message: /^stale$/ },
  { name: 'QmError Gone is 410 Expired', err: new QmError('Gone', 'too old'), code: 410, reason: 'Expired' },
  { name: 'body too large', err: fastifyError(413, 'FST_ERR_CTP_BODY_TOO_LARGE', 'x'), code: 413, reason: 'RequestEntityTooLarge', message: /too large/ },
  { name: 'unsupported media type', err: fastifyError(415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE', 'x'), code: 415, reason: 'UnsupportedMediaType', message: /application\/json/ },
  { name: 'bad JSON', err: fastifyError(400, 'FST_ERR_CTP_INVALID_JSON_BODY', 'Body is not valid JSON'), code: 400, reason: 'BadRequest', message: /not valid JSON/ },
  { name: 'empty JSON body', err: fastifyError(400, 'FST_ERR_CTP_EMPTY_JSON_BODY', 'x'), code: 400, reason: 'BadRequest', message: /empty/ },
  { name: 'a plain Error is a 500 that hides its message', err: new Error('ENOENT /etc/secret'), code: 500, reason: 'InternalError', message: /^internal error; see the server log$/ },
  { name: 'a thrown string is a 500', err: 'oops', code: 500, reason: 'InternalError' },
  { name: 'an error claiming 5xx is still an opaque 500', err: fastifyError(502, 'X', 'upstream secret'), code: 500, reason: 'InternalError', message: /^internal error/ },
];

for (const c of cases) {
  test(`statusFor: ${c.name}`, () => {
    const status = statusFor(c.err);
    assert.equal(status.kind, 'Status');
    assert.equal(status.code, c.code);
    assert.equal(status.reason, c.reason);
    if (c.message) assert.match(status.message, c.message);
  });
}
