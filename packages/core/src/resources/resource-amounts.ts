/**
 * Resource amounts in integer base units, so scheduling math is exact and cheap:
 * `cpu` in millicores, `memory`/`ephemeral-storage` in bytes, everything else (GPUs, MIG
 * slices, pods) as counts. A `Resources` value is a plain record; absent = 0.
 *
 * Example:
 * ```ts
 * const req = toResources({ cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': 2 });
 * // { cpu: 500, memory: 1073741824, 'nvidia.com/gpu': 2 }
 * fits(req, toResources({ cpu: 8, memory: '64Gi', 'nvidia.com/gpu': 8 })) === true;
 * formatResources(req); // { cpu: '500m', memory: '1Gi', 'nvidia.com/gpu': 2 }
 * ```
 */
import { QmError, formatQuantity, quantityFromMilli, quantityToMilli, quantityToNumber, type ResourceList } from '@qm/api';

/** Resource name → amount in base units (cpu: millicores; memory: bytes; others: counts). */
export type Resources = Record<string, number>;

export const GPU = 'nvidia.com/gpu';
export const CPU = 'cpu';
export const MEMORY = 'memory';
export const MIG_PREFIX = 'nvidia.com/mig-';

/** Whether a resource is counted in millis (only cpu). */
export function isMilliResource(name: string): boolean {
  return name === CPU;
}

/** One quantity in the base unit of `name`. Throws QmError('Invalid') naming `field`. */
export function toAmount(name: string, value: string | number, field = name): number {
  try {
    return isMilliResource(name) ? quantityToMilli(value) : quantityToNumber(value);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new QmError('Invalid', `${field}: ${why}`, { causes: [{ field, reason: 'FieldValueInvalid', message: why }] });
  }
}

/** Parses a ResourceList (absent = empty). Zero amounts are dropped. */
export function toResources(list: ResourceList | Record<string, string | number> | undefined, field = 'resources'): Resources {
  const out: Resources = {};
  if (!list) return out;
  for (const name of Object.keys(list)) {
    const amount = toAmount(name, list[name] as string | number, `${field}.${name}`);
    if (amount !== 0) out[name] = amount;
  }
  return out;
}

/** Quantity strings for status: cpu as millis ("500m"/"8"), memory binary ("64Gi"), counts as numbers. */
export function formatResources(r: Resources): ResourceList {
  const out: ResourceList = {};
  for (const name of Object.keys(r).sort()) {
    const v = r[name];
    if (v === 0) continue;
    if (isMilliResource(name)) out[name] = formatQuantity(quantityFromMilli(v));
    else if (name === MEMORY || name === 'ephemeral-storage') out[name] = formatQuantity(quantityFromMilli(v * 1000, 'BinarySI'));
    else out[name] = v;
  }
  return out;
}

/** a + b as a new value. */
export function add(a: Resources, b: Resources): Resources {
  const out: Resources = { ...a };
  addInto(out, b);
  return out;
}

/** a − b as a new value (may go negative; callers check with `fits`). */
export function sub(a: Resources, b: Resources): Resources {
  const out: Resources = { ...a };
  subInto(out, b);
  return out;
}

/** target += b × times (in place). */
export function addInto(target: Resources, b: Resources, times = 1): void {
  for (const k in b) target[k] = (target[k] ?? 0) + b[k] * times;
}

/** target −= b × times (in place). */
export function subInto(target: Resources, b: Resources, times = 1): void {
  for (const k in b) target[k] = (target[k] ?? 0) - b[k] * times;
}

/** b × times as a new value. */
export function scale(b: Resources, times: number): Resources {
  const out: Resources = {};
  for (const k in b) out[k] = b[k] * times;
  return out;
}

/** True when every amount of `request` is ≤ the same amount of `available`. */
export function fits(request: Resources, available: Resources): boolean {
  for (const k in request) {
    const need = request[k];
    if (need > 0 && need > (available[k] ?? 0)) return false;
  }
  return true;
}

/** The first resource (in name order) that does not fit, or undefined. */
export function firstShortfall(request: Resources, available: Resources): string | undefined {
  for (const k of Object.keys(request).sort()) {
    if (request[k] > 0 && request[k] > (available[k] ?? 0)) return k;
  }
  return undefined;
}

/** True when no amount is non-zero. */
export function isEmpty(r: Resources): boolean {
  for (const k in r) if (r[k] !== 0) return false;
  return true;
}

/** Same amounts (absent = 0). */
export function equalResources(a: Resources, b: Resources): boolean {
  for (const k in a) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  for (const k in b) if ((a[k] ?? 0) !== (b[k] ?? 0)) return false;
  return true;
}

/**
 * Dominant resource share: the largest `amount / total` over the resources in `amounts`
 * (resources the total lacks are skipped). `dominantShare({gpu: 4}, {gpu: 16}) === 0.25`.
 */
export function dominantShare(amounts: Resources, total: Resources): number {
  let share = 0;
  for (const k in amounts) {
    const t = total[k];
    if (!t || amounts[k] <= 0) continue;
    const s = amounts[k] / t;
    if (s > share) share = s;
  }
  return share;
}

/** "8 GPUs", "1 CPU", "500m CPU", "64Gi memory", "2 nvidia.com/mig-1g.10gb": for pending reasons. */
export function describeAmount(name: string, amount: number): string {
  if (name === GPU) return `${amount} GPU${amount === 1 ? '' : 's'}`;
  if (name === CPU) return `${formatQuantity(quantityFromMilli(amount))} CPU`;
  if (name === MEMORY) return `${formatQuantity(quantityFromMilli(amount * 1000, 'BinarySI'))} memory`;
  return `${amount} ${name}`;
}
