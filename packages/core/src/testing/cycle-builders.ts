/**
 * Builders of the pure cycle's inputs, for table-driven scheduler tests: API objects through the
 * same parsers the controller uses, so tests exercise the real routing and defaults.
 *
 * Example:
 * ```ts
 * const input = cycleInput({ nodes: [makeNode('n1')], queues: [makeQueue('q', { namespaces: ['team-a'] })], jobs: [makeJob('a')] });
 * const r = scheduleCycle(input, cycleOptions());
 * ```
 */
import type { ApiObject } from '@qm/api';
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from '../controllers/scheduling/types.js';
import { InputBuilder } from '../controllers/scheduling/build-input.js';
import type { Mirror } from '../controllers/scheduling/mirror.js';
import { seededRng } from '../ports/rng.js';
import type { CycleInput, CycleOptions } from '../scheduler/types.js';

export const T0 = Date.parse('2025-01-01T00:00:00Z');

/** Builds a CycleInput from API objects (any of the mirrored kinds). */
export function cycleInputFrom(objects: ApiObject[]): CycleInput {
  const byKind = new Map<string, ApiObject[]>();
  let rv = 1;
  for (const o of objects) {
    const obj = { ...o, metadata: { creationTimestamp: new Date(T0 + rv * 1000).toISOString(), ...o.metadata, resourceVersion: String(rv++) } };
    byKind.set(obj.kind, [...(byKind.get(obj.kind) ?? []), obj]);
  }
  const fake = { list: (kind: string) => byKind.get(kind) ?? [], values: (kind: string) => byKind.get(kind) ?? [], versions: new Map<string, number>() } as unknown as Mirror;
  return new InputBuilder().build(fake);
}

export function cycleOptions(nowMs = T0 + 3_600_000, config: Partial<SchedulerConfig> = {}): CycleOptions {
  return { nowMs, rng: seededRng(1), config: { ...DEFAULT_SCHEDULER_CONFIG, ...config } };
}
