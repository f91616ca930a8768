/**
 * Durations as scenario files write them: seconds as a number, or a string of one or more
 * `<number><unit>` parts with units ms, s, m, h, d (`90s`, `15m`, `6h`, `2d`, `1h30m`, `1.5h`).
 * A bare numeric string is seconds.
 *
 * Example:
 * ```ts
 * parseDurationSeconds('15m') === 900;
 * parseDurationSeconds('1h30m') === 5400;
 * parseDurationSeconds(90) === 90;
 * ```
 */
import { QmError } from './errors.js';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 };
const PART_RE = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h|d)/y;
const NUMBER_RE = /^(\d+(?:\.\d+)?|\.\d+)$/;

function invalid(input: unknown, why: string): QmError {
  const shown = typeof input === 'string' ? JSON.stringify(input) : String(input);
  return new QmError('Invalid', `invalid duration ${shown}: ${why}`);
}

/** Seconds in a duration; throws `QmError('Invalid')` for negative, empty or malformed input. */
export function parseDurationSeconds(input: string | number): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw invalid(input, 'must be a finite number of seconds');
    if (input < 0) throw invalid(input, 'must not be negative');
    return input;
  }
  if (typeof input !== 'string') {
    throw invalid(input, `must be a number of seconds or a string like "90s", "15m", "6h", "2d", got ${input === null ? 'null' : typeof input}`);
  }
  if (input === '') throw invalid(input, 'must not be empty');
  if (NUMBER_RE.test(input)) return Number(input);
  let total = 0;
  let at = 0;
  PART_RE.lastIndex = 0;
  while (at < input.length) {
    PART_RE.lastIndex = at;
    const m = PART_RE.exec(input);
    if (!m) {
      const why = input.startsWith('-') ? 'must not be negative'
        : 'expected seconds or <number><unit> parts with units ms, s, m, h, d (e.g. "90s", "15m", "6h", "2d", "1h30m")';
      throw invalid(input, why);
    }
    total += Number(m[1]) * UNIT_SECONDS[m[2]];
    at = PART_RE.lastIndex;
  }
  // Keep millisecond parts exact enough to compare (0.1 + 0.2 style noise).
  return Math.round(total * 1000) / 1000;
}

/** Checks a duration without throwing. */
export function isValidDuration(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseDurationSeconds(input);
    return true;
  } catch {
    return false;
  }
}
