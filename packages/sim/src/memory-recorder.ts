/**
 * A Recorder that keeps every event in memory, stamped with virtual time, in the order
 * recorded: the scheduler's (Admitted, Preempted…) and the simulator's (Started,
 * Succeeded, NodeRemoved…) interleave exactly as they happened. These become the
 * report's `events`.
 *
 * Example:
 * ```ts
 * const rec = new MemoryRecorder(clock);
 * rec.record({ kind: 'TrainingJob', namespace: 'team-a', name: 'big' }, 'Normal', 'Started', 'started on gpu-1');
 * rec.events[0]; // { timeMs: …, type: 'Normal', reason: 'Started', object: 'team-a/big', kind: 'TrainingJob', message: … }
 * ```
 */
import { formatObjectRef, type ObjectRef } from '@qm/api';
import type { Clock, EventType, Recorder } from '@qm/core';

export interface RecordedEvent {
  timeMs: number;
  type: EventType;
  reason: string;
  kind: string;
  /** "ns/name", or "name" for cluster-scoped objects. */
  object: string;
  message: string;
}

export class MemoryRecorder implements Recorder {
  readonly events: RecordedEvent[] = [];

  constructor(private readonly clock: Clock) {}

  record(involved: ObjectRef, type: EventType, reason: string, message: string): void {
    this.events.push({ timeMs: this.clock.now(), type, reason, kind: involved.kind, object: formatObjectRef(involved), message });
  }
}
