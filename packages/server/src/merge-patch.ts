/**
 * JSON merge patch (RFC 7386): objects merge key by key, `null` deletes a key,
 * anything else (arrays, scalars) replaces the target value.
 *
 * Example: `mergePatch({a: 1, b: {c: 2}}, {b: {c: null, d: 3}})` → `{a: 1, b: {d: 3}}`
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    // A JSON body can carry an own "__proto__" key; never let it reach an assignment.
    if (key === '__proto__') continue;
    if (value === null) {
      delete result[key];
    } else {
      Object.defineProperty(result, key, {
        value: mergePatch(result[key], value), enumerable: true, writable: true, configurable: true,
      });
    }
  }
  return result;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
