import type { Clock } from '@qm/core';
import { BackendStore, type StoreOptions } from './base-store.js';
import { MemoryBackend } from './memory/memory-backend.js';

/**
 * The Store with Kubernetes semantics, kept in memory: what the simulator and unit
 * tests use. Same behaviour as SqliteStore (both pass one conformance suite).
 *
 * Example:
 * ```ts
 * const store = new MemoryStore({ now: () => virtualNowMs });
 * await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a' } });
 * ```
 */
export class MemoryStore extends BackendStore {
  constructor(clock: Clock, opts?: StoreOptions) {
    super(new MemoryBackend(), clock, opts);
  }
}
