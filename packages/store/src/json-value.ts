/**
 * Copies and compares plain JSON values. Stored objects are JSON documents, so a
 * hand-written copy is both faster than structuredClone and gives the memory backend
 * the same shape SQLite gives after a JSON round-trip (undefined properties vanish).
 */
export function cloneJson<T>(value: T): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      out[i] = item === undefined ? null : cloneJson(item);
    }
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) out[key] = cloneJson(item);
  }
  return out as T;
}

/** Structural equality of JSON values; a property set to undefined counts as absent. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bArr = b as unknown[];
    if (a.length !== bArr.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEqual(a[i], bArr[i])) return false;
    return true;
  }
  const aRec = a as Record<string, unknown>;
  const bRec = b as Record<string, unknown>;
  let aCount = 0;
  for (const key in aRec) {
    if (aRec[key] === undefined) continue;
    aCount++;
    if (!jsonEqual(aRec[key], bRec[key])) return false;
  }
  let bCount = 0;
  for (const key in bRec) if (bRec[key] !== undefined) bCount++;
  return aCount === bCount;
}
