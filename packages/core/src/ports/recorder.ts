import type { ObjectRef } from '@qm/api';

export type EventType = 'Normal' | 'Warning';

/**
 * Records Events about objects (what `qm describe` shows). Implementations deduplicate:
 * the same object, reason and message within a short window bump `count` instead of adding a row.
 *
 * Example: `recorder.record(jobRef, 'Normal', 'Admitted', 'admitted to queue team-a on gpu-1')`
 */
export interface Recorder {
  record(involved: ObjectRef & { uid?: string; apiVersion?: string }, type: EventType, reason: string, message: string): void;
}
