import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QmError } from '@qm/api';
import { CliError, errorLines, exitCodeFor } from './errors.js';

const cause = (field: string, message: string) => ({ field, message, reason: 'FieldValueInvalid' });

test('errorLines: message first, one indented line per cause, without repeating the causes in the headline', () => {
  const cases: [string, unknown, string[]][] = [
    ['plain QmError', new QmError('NotFound', 'queues "x" not found'), ['queues "x" not found']],
    ['causes listed once', new QmError('Invalid', 'TrainingJob "b" is invalid: spec.workers: must be ≥ 1; spec.command: is required', {
      causes: [cause('spec.workers', 'must be ≥ 1'), cause('spec.command', 'is required')],
    }), ['TrainingJob "b" is invalid', '  spec.workers: must be ≥ 1', '  spec.command: is required']],
    ['headline kept when it does not repeat causes', new QmError('Invalid', 'invalid object', { causes: [cause('spec.x', 'bad')] }),
      ['invalid object', '  spec.x: bad']],
    ['cause without a field', new QmError('Invalid', 'invalid', { causes: [{ field: '', message: 'too big', reason: 'x' }] }), ['invalid', '  too big']],
    ['CliError with details', new CliError('unknown kind "x"', 2, ['  known kinds: a']), ['unknown kind "x"', '  known kinds: a']],
    ['any Error', new Error('boom'), ['boom']],
    ['a string', 'boom', ['boom']],
  ];
  for (const [name, err, want] of cases) assert.deepEqual(errorLines(err), want, name);
});

test('exitCodeFor: 400/422 and usage are 2, everything else 1', () => {
  const cases: [string, unknown, number][] = [
    ['Invalid', new QmError('Invalid', 'x'), 2],
    ['BadRequest', new QmError('BadRequest', 'x'), 2],
    ['NotFound', new QmError('NotFound', 'x'), 1],
    ['Conflict', new QmError('Conflict', 'x'), 1],
    ['Unauthorized', new QmError('Unauthorized', 'x'), 1],
    ['Forbidden', new QmError('Forbidden', 'x'), 1],
    ['InternalError', new QmError('InternalError', 'x'), 1],
    ['CliError keeps its code', new CliError('x', 2), 2],
    ['unknown error', new Error('x'), 1],
  ];
  for (const [name, err, code] of cases) assert.equal(exitCodeFor(err), code, name);
});
