import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isValidDuration, parseDurationSeconds } from './duration.js';
import { isQmError } from './errors.js';

describe('parseDurationSeconds', () => {
  const good: Array<[string | number, number]> = [
    [0, 0], [90, 90], [1.5, 1.5], ['90', 90], ['90s', 90], ['15m', 900], ['6h', 21600], ['2d', 172800],
    ['1h30m', 5400], ['1.5h', 5400], ['250ms', 0.25], ['1m30s', 90], ['0s', 0],
  ];
  for (const [input, seconds] of good) {
    it(`${JSON.stringify(input)} → ${seconds}`, () => {
      assert.equal(parseDurationSeconds(input), seconds);
      assert.equal(isValidDuration(input), true);
    });
  }
  const bad: Array<[unknown, RegExp]> = [
    ['', /must not be empty/], ['6x', /units ms, s, m, h, d/], ['h', /units/], ['1h 30m', /units/], ['-5s', /negative/],
    [-1, /negative/], [Number.NaN, /finite/], [null, /got null/], ['1.2.3s', /units/],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${JSON.stringify(input) ?? String(input)}`, () => {
      assert.throws(() => parseDurationSeconds(input as string), (err: unknown) => isQmError(err, 'Invalid') && message.test(err.message));
      assert.equal(isValidDuration(input), false);
    });
  }
});
