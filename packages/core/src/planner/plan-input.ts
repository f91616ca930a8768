/**
 * Input checks shared by the planners: each bad value is a QmError Invalid whose cause names the
 * input field (the CLI turns `peakQps` into `--peak-qps`).
 *
 * Example:
 * ```ts
 * positive('params', -1); // throws: params: must be a number > 0, got -1
 * ```
 */
import { QmError } from '@qm/api';

export function invalid(field: string, message: string): QmError {
  return new QmError('Invalid', `${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] });
}

export function positive(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw invalid(field, `must be a number > 0, got ${value}`);
  return value;
}

export function nonNegative(field: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw invalid(field, `must be a number ≥ 0, got ${value}`);
  return value;
}

/** A fraction in (0, 1]. */
export function fraction(field: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0 || value > 1) throw invalid(field, `must be a fraction in (0, 1], e.g. 0.4, got ${value}`);
  return value;
}

export function wholeAtLeast(field: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw invalid(field, `must be a whole number ≥ ${min}, got ${value}`);
  return value;
}
