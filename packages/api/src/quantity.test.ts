import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareQuantities, formatQuantity, isValidQuantity, parseQuantity, quantityFromMilli,
  quantityToMilli, quantityToNumber,
} from './quantity.js';
import { isQmError } from './errors.js';

describe('parseQuantity', () => {
  const cases: Array<{ name: string; input: string | number; milli: bigint; canonical: string }> = [
    { name: 'milli cpu', input: '500m', milli: 500n, canonical: '500m' },
    { name: 'whole cpu string', input: '8', milli: 8000n, canonical: '8' },
    { name: 'JSON number', input: 8, milli: 8000n, canonical: '8' },
    { name: 'fractional JSON number', input: 1.5, milli: 1500n, canonical: '1500m' },
    { name: 'fraction string', input: '1.5', milli: 1500n, canonical: '1500m' },
    { name: 'one tenth (no float error)', input: '0.1', milli: 100n, canonical: '100m' },
    { name: 'one tenth as number', input: 0.1, milli: 100n, canonical: '100m' },
    { name: 'leading dot', input: '.5', milli: 500n, canonical: '500m' },
    { name: 'trailing dot', input: '5.', milli: 5000n, canonical: '5' },
    { name: 'Gi', input: '64Gi', milli: 64n * 1024n ** 3n * 1000n, canonical: '64Gi' },
    { name: 'Ti', input: '1Ti', milli: 1024n ** 4n * 1000n, canonical: '1Ti' },
    { name: 'Mi that is a whole Gi', input: '1024Mi', milli: 1024n ** 3n * 1000n, canonical: '1Gi' },
    { name: 'Mi that is not a whole Gi', input: '1536Mi', milli: 1536n * 1024n ** 2n * 1000n, canonical: '1536Mi' },
    { name: 'fractional Gi', input: '1.5Gi', milli: 1536n * 1024n ** 2n * 1000n, canonical: '1536Mi' },
    { name: 'small binary shows as decimal', input: '0.5Ki', milli: 512000n, canonical: '512' },
    { name: 'Ei', input: '2Ei', milli: 2n * 1024n ** 6n * 1000n, canonical: '2Ei' },
    { name: 'k', input: '1k', milli: 1000000n, canonical: '1k' },
    { name: 'k that is not whole', input: '1.5k', milli: 1500000n, canonical: '1500' },
    { name: 'M', input: '2M', milli: 2000000000n, canonical: '2M' },
    { name: 'G', input: '1G', milli: 10n ** 12n, canonical: '1G' },
    { name: 'T', input: '3T', milli: 3n * 10n ** 15n, canonical: '3T' },
    { name: 'P', input: '1P', milli: 10n ** 18n, canonical: '1P' },
    { name: 'E (exa, not exponent)', input: '1E', milli: 10n ** 21n, canonical: '1E' },
    { name: 'plain thousand is canonically k', input: '1000', milli: 1000000n, canonical: '1k' },
    { name: 'decimal exponent', input: '1e3', milli: 1000000n, canonical: '1e3' },
    { name: 'upper-case exponent', input: '1E3', milli: 1000000n, canonical: '1e3' },
    { name: 'exponent with fraction', input: '1.5e3', milli: 1500000n, canonical: '1500' },
    { name: 'negative exponent', input: '5e-1', milli: 500n, canonical: '500e-3' },
    { name: 'explicit plus exponent', input: '2e+6', milli: 2n * 10n ** 9n, canonical: '2e6' },
    { name: 'large JSON number', input: 1e21, milli: 10n ** 24n, canonical: '1e21' },
    { name: 'sub-milli rounds up', input: '0.0001', milli: 1n, canonical: '1m' },
    { name: 'sub-milli m rounds up', input: '1.1m', milli: 2n, canonical: '2m' },
    { name: 'zero', input: '0', milli: 0n, canonical: '0' },
    { name: 'zero with suffix', input: '0Gi', milli: 0n, canonical: '0' },
    { name: 'negative', input: '-500m', milli: -500n, canonical: '-500m' },
    { name: 'negative sub-milli rounds away from zero', input: '-0.0001', milli: -1n, canonical: '-1m' },
    { name: 'explicit plus sign', input: '+2', milli: 2000n, canonical: '2' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const q = parseQuantity(c.input);
      assert.equal(q.milli, c.milli);
      assert.equal(formatQuantity(q), c.canonical);
      // Round trip: the canonical form parses back to the same quantity and is a fixed point.
      assert.deepEqual(parseQuantity(formatQuantity(q)), q);
      assert.equal(formatQuantity(parseQuantity(c.canonical)), c.canonical);
    });
  }
});

describe('parseQuantity rejects bad input', () => {
  const bad: Array<{ name: string; input: unknown; mentions: string }> = [
    { name: 'two dots', input: '1.2.3', mentions: 'suffix' },
    { name: 'unknown suffix', input: '10XB', mentions: 'XB' },
    { name: 'lower-case k binary', input: '1ki', mentions: 'suffix' },
    { name: 'upper-case K', input: '1K', mentions: 'suffix' },
    { name: 'sign alone', input: '-', mentions: 'expected a number' },
    { name: 'empty', input: '', mentions: 'empty' },
    { name: 'space inside', input: '1 Gi', mentions: 'suffix' },
    { name: 'leading space', input: ' 1', mentions: 'expected a number' },
    { name: 'trailing newline', input: '1\n', mentions: 'expected a number' },
    { name: 'letters only', input: 'Gi', mentions: 'expected a number' },
    { name: 'exponent without digits', input: '1e', mentions: 'suffix' },
    { name: 'prototype key as suffix', input: '1toString', mentions: 'suffix' },
    { name: 'NaN', input: Number.NaN, mentions: 'finite' },
    { name: 'Infinity', input: Number.POSITIVE_INFINITY, mentions: 'finite' },
    { name: 'null', input: null, mentions: 'string or a number' },
    { name: 'object', input: {}, mentions: 'string or a number' },
    { name: 'huge exponent', input: '1e999999', mentions: 'exponent' },
  ];
  for (const c of bad) {
    it(c.name, () => {
      assert.throws(() => parseQuantity(c.input as string), (err: unknown) => {
        assert.ok(isQmError(err, 'Invalid'), `expected QmError Invalid, got ${String(err)}`);
        assert.match(err.message, /^invalid quantity /);
        assert.ok(err.message.includes(c.mentions), `message "${err.message}" should mention "${c.mentions}"`);
        return true;
      });
      assert.equal(isValidQuantity(c.input), false);
    });
  }
});

describe('conversions', () => {
  const cases: Array<{ name: string; input: string | number; milli: number; units: number }> = [
    { name: '500m', input: '500m', milli: 500, units: 1 },
    { name: '1500m rounds up', input: '1500m', milli: 1500, units: 2 },
    { name: '2', input: 2, milli: 2000, units: 2 },
    { name: '64Gi', input: '64Gi', milli: 68719476736000, units: 68719476736 },
    { name: '1Ki', input: '1Ki', milli: 1024000, units: 1024 },
    { name: 'negative rounds away from zero', input: '-1500m', milli: -1500, units: -2 },
    { name: 'zero', input: '0', milli: 0, units: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(quantityToMilli(c.input), c.milli);
      assert.equal(quantityToNumber(c.input), c.units);
      assert.equal(quantityToMilli(parseQuantity(c.input)), c.milli);
      assert.equal(isValidQuantity(c.input), true);
    });
  }

  it('throws past 2^53 instead of losing precision', () => {
    assert.throws(() => quantityToMilli('10P'), (err: unknown) => isQmError(err, 'Invalid') && /2\^53/.test(err.message));
    assert.equal(quantityToNumber('8P'), 8e15);
    assert.throws(() => quantityToNumber('10E'), (err: unknown) => isQmError(err, 'Invalid'));
  });

  it('quantityFromMilli builds canonical quantities', () => {
    assert.equal(formatQuantity(quantityFromMilli(1500)), '1500m');
    assert.equal(formatQuantity(quantityFromMilli(1024n * 1024n * 1000n, 'BinarySI')), '1Mi');
    assert.throws(() => quantityFromMilli(0.5), (err: unknown) => isQmError(err, 'Invalid'));
  });

  it('compareQuantities compares values across formats', () => {
    assert.equal(compareQuantities('1Gi', '1G'), 1);
    assert.equal(compareQuantities('1000m', 1), 0);
    assert.equal(compareQuantities('500m', '0.6'), -1);
  });
});
