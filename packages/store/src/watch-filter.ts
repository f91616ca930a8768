/**
 * Turns a log entry into what one watcher should see. With a label or field selector an
 * object that stops matching is reported DELETED and one that starts matching ADDED,
 * as Kubernetes does, which needs the entry's previous state.
 */
import type { ApiObject, WatchEvent } from '@qm/api';
import {
  matchesFieldSelector, matchesLabelSelector, parseFieldSelector, parseLabelSelector, type WatchOptions,
} from '@qm/core';
import type { ChangeRecord } from './storage-backend.js';

export interface WatchFilter {
  /** Whether selectors are present (replay then needs previous states). */
  readonly selective: boolean;
  /** The event to deliver for this change, or undefined to skip it. The object is not copied. */
  eventFor(record: ChangeRecord): WatchEvent | undefined;
}

export function makeWatchFilter(opts: WatchOptions): WatchFilter {
  const labels = parseLabelSelector(opts.labelSelector ?? '');
  const fields = parseFieldSelector(opts.fieldSelector ?? '');
  const selective = labels.length > 0 || fields.length > 0;
  const matches = (obj: ApiObject): boolean =>
    matchesLabelSelector(labels, obj.metadata.labels) && matchesFieldSelector(fields, obj);
  return {
    selective,
    eventFor(record) {
      const obj = record.object;
      if (opts.kind !== undefined && obj.kind !== opts.kind) return undefined;
      if (opts.namespace !== undefined && (obj.metadata.namespace ?? '') !== opts.namespace) return undefined;
      if (!selective) return { type: record.type, object: obj };
      if (record.type !== 'MODIFIED') return matches(obj) ? { type: record.type, object: obj } : undefined;
      const now = matches(obj);
      if (!record.prevKnown) {
        // The previous state was compacted away: a spurious DELETED for an object the
        // client never had is harmless, a missed one would leave it stale.
        return { type: now ? 'MODIFIED' : 'DELETED', object: obj };
      }
      const before = record.prev !== undefined && matches(record.prev);
      if (now && before) return { type: 'MODIFIED', object: obj };
      if (now) return { type: 'ADDED', object: obj };
      if (before) return { type: 'DELETED', object: obj };
      return undefined;
    },
  };
}
