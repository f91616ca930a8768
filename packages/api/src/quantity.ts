/**
 * Exact Kubernetes resource quantities ("500m", "64Gi", "1e3", 8).
 *
 * A quantity is kept as a bigint count of milli-units, so nothing is lost to floating point;
 * precision finer than 1m is rounded up (away from zero), as Kubernetes does.
 *
 * Example:
 * ```ts
 * quantityToMilli('500m') === 500;
 * quantityToNumber('64Gi') === 68719476736;
 * formatQuantity(parseQuantity('1.5')) === '1500m';
 * formatQuantity(parseQuantity('1024Mi')) === '1Gi';
 * ```
 */
import { QmError } from './errors.js';

/** How a quantity prints: with decimal SI suffixes (k, M), binary ones (Ki, Mi) or a decimal exponent (e3). */
export type QuantityFormat = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

export interface Quantity {
  /** The exact value in milli-units (1 = 1m; 1000 = 1). */
  readonly milli: bigint;
  /** The format the canonical string uses; `formatQuantity` output parses back to the same format. */
  readonly format: QuantityFormat;
}

const DECIMAL_SUFFIXES: Record<string, number> = { m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIXES: Record<string, number> = { Ki: 1, Mi: 2, Gi: 3, Ti: 4, Pi: 5, Ei: 6 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_POWER = new Map(Object.entries(BINARY_SUFFIXES).map(([s, p]) => [p, s]));

// <sign><number><suffix>; the number may be "1", "1.5", "1." or ".5".
const QUANTITY_RE = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/;
const EXPONENT_RE = /^[eE]([+-]?\d+)$/;
// Keeps bigint arithmetic cheap on hostile input; real quantities are nowhere near these.
const MAX_DIGITS = 64;
const MAX_EXPONENT = 64;

const ONE_THOUSAND = 1000n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function invalid(input: unknown, why: string): QmError {
  const shown = typeof input === 'string' ? JSON.stringify(input) : String(input);
  return new QmError('Invalid', `invalid quantity ${shown}: ${why}`);
}

function pow(base: bigint, exponent: number): bigint {
  return base ** BigInt(exponent);
}

/** Divides rounding away from zero (Kubernetes rounds sub-milli precision "up"). */
function divAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  const q = numerator / denominator;
  return q * denominator === numerator ? q : q + (numerator < 0n ? -1n : 1n);
}

/**
 * Parses a Kubernetes quantity string, or a JSON number, exactly.
 * Throws `QmError('Invalid')` naming the input and what is wrong with it.
 *
 * Example: `parseQuantity('64Gi').milli === 68719476736000n`.
 */
export function parseQuantity(input: string | number): Quantity {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) throw invalid(input, 'must be a finite number');
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    throw invalid(input, `must be a string or a number, got ${input === null ? 'null' : typeof input}`);
  }
  if (text === '') throw invalid(input, 'must not be empty');
  const m = QUANTITY_RE.exec(text);
  if (!m) throw invalid(input, 'expected a number with an optional suffix, e.g. "500m", "2", "64Gi", "1e3"');
  const [, sign, number, suffix] = m;
  const [intPart, fracPart = ''] = number.split('.');
  if (intPart.length + fracPart.length > MAX_DIGITS) throw invalid(input, `more than ${MAX_DIGITS} digits`);

  let decimalExponent = 0;
  let binaryPower = 0;
  let format: QuantityFormat;
  if (Object.hasOwn(BINARY_SUFFIXES, suffix)) {
    binaryPower = BINARY_SUFFIXES[suffix];
    format = 'BinarySI';
  } else if (Object.hasOwn(DECIMAL_SUFFIXES, suffix)) {
    decimalExponent = DECIMAL_SUFFIXES[suffix];
    format = 'DecimalSI';
  } else {
    const e = EXPONENT_RE.exec(suffix);
    if (!e) {
      throw invalid(input, `unknown suffix ${JSON.stringify(suffix)} (use m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei or an exponent like e3)`);
    }
    decimalExponent = Number(e[1]);
    if (Math.abs(decimalExponent) > MAX_EXPONENT) throw invalid(input, `exponent beyond ±${MAX_EXPONENT}`);
    format = 'DecimalExponent';
  }

  // value = digits × 10^(decimalExponent − fracLen) × 1024^binaryPower; we want value × 1000.
  const digits = BigInt(intPart + fracPart || '0');
  const e10 = decimalExponent - fracPart.length + 3;
  let numerator = digits * pow(1024n, binaryPower) * (e10 > 0 ? pow(10n, e10) : 1n);
  if (sign === '-') numerator = -numerator;
  const milli = e10 < 0 ? divAwayFromZero(numerator, pow(10n, -e10)) : numerator;
  return { milli, format: canonicalParts(milli, format).format };
}

/** Checks a value without throwing. Accepts strings and finite JSON numbers. */
export function isValidQuantity(input: unknown): boolean {
  if (typeof input !== 'string' && typeof input !== 'number') return false;
  try {
    parseQuantity(input);
    return true;
  } catch {
    return false;
  }
}

interface CanonicalParts {
  number: string;
  suffix: string;
  /** The format this string parses back to. */
  format: QuantityFormat;
}

function canonicalParts(milli: bigint, requested: QuantityFormat): CanonicalParts {
  const abs = milli < 0n ? -milli : milli;
  const sign = milli < 0n ? '-' : '';
  // Binary only for whole values of at least 1024 (Kubernetes shows the rest as DecimalSI).
  if (requested === 'BinarySI' && abs % ONE_THOUSAND === 0n && abs >= 1024n * ONE_THOUSAND) {
    let units = abs / ONE_THOUSAND;
    let power = 0;
    while (power < 6 && units % 1024n === 0n) {
      units /= 1024n;
      power += 1;
    }
    if (power > 0) return { number: sign + units.toString(), suffix: BINARY_BY_POWER.get(power)!, format: 'BinarySI' };
    return { number: sign + units.toString(), suffix: '', format: 'DecimalSI' };
  }
  if (abs === 0n) return { number: '0', suffix: '', format: 'DecimalSI' };
  // Mantissa × 10^exponent with exponent a multiple of 3, the mantissa as small as stays whole.
  let mantissa = abs;
  let exponent = -3;
  while (mantissa % ONE_THOUSAND === 0n) {
    mantissa /= ONE_THOUSAND;
    exponent += 3;
  }
  const number = sign + mantissa.toString();
  if (requested === 'DecimalExponent') {
    return exponent === 0
      ? { number, suffix: '', format: 'DecimalSI' }
      : { number, suffix: `e${exponent}`, format: 'DecimalExponent' };
  }
  const si = DECIMAL_BY_EXPONENT.get(exponent);
  if (si !== undefined) return { number, suffix: si, format: 'DecimalSI' };
  return { number, suffix: `e${exponent}`, format: 'DecimalExponent' };
}

/**
 * The canonical Kubernetes string for a quantity: `formatQuantity(parseQuantity('1000m')) === '1'`,
 * `'1536Mi'` stays `'1536Mi'`, `'0.5'` becomes `'500m'`, `'1e3'` stays `'1e3'`.
 */
export function formatQuantity(q: Quantity): string {
  const parts = canonicalParts(q.milli, q.format);
  return parts.number + parts.suffix;
}

/** Builds a quantity from a milli-unit count (e.g. a sum computed elsewhere). */
export function quantityFromMilli(milli: bigint | number, format: QuantityFormat = 'DecimalSI'): Quantity {
  if (typeof milli === 'number' && !Number.isSafeInteger(milli)) {
    throw new QmError('Invalid', `milli-units must be a safe integer, got ${milli}`);
  }
  const value = BigInt(milli);
  return { milli: value, format: canonicalParts(value, format).format };
}

function toQuantity(input: string | number | Quantity): Quantity {
  return typeof input === 'object' && input !== null ? input : parseQuantity(input);
}

function toSafeNumber(value: bigint, input: unknown, unit: string): number {
  if (value > MAX_SAFE || value < -MAX_SAFE) {
    throw invalid(typeof input === 'object' ? formatQuantity(input as Quantity) : input,
      `too large to represent exactly in ${unit} (beyond 2^53)`);
  }
  return Number(value);
}

/** Milli-units as a JS number: `quantityToMilli('500m') === 500`, `quantityToMilli(2) === 2000`. Throws beyond 2^53. */
export function quantityToMilli(input: string | number | Quantity): number {
  return toSafeNumber(toQuantity(input).milli, input, 'milli-units');
}

/**
 * Whole units, rounded up (away from zero), like Kubernetes `Value()`:
 * `quantityToNumber('1500m') === 2`, `quantityToNumber('1Ki') === 1024`.
 */
export function quantityToNumber(input: string | number | Quantity): number {
  return toSafeNumber(divAwayFromZero(toQuantity(input).milli, ONE_THOUSAND), input, 'units');
}

/** Compares two quantities by value: negative, zero or positive, like a sort comparator. */
export function compareQuantities(a: string | number | Quantity, b: string | number | Quantity): number {
  const x = toQuantity(a).milli;
  const y = toQuantity(b).milli;
  return x < y ? -1 : x > y ? 1 : 0;
}
