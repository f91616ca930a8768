import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SCHEDULER_CONFIG, type SchedulerConfig } from '../controllers/scheduling/types.js';
import { HELD_MARK, nextTimeRuleDueMs } from './time-rules.js';
import type { CycleInput, CycleResult, QueueInput, WorkloadInput } from './types.js';
import { workloadInput, type WorkloadFields } from './workload-input.js';

const NOW = 1_000_000_000;
const MIN = 60_000;

function workload(o: Partial<WorkloadFields> = {}): WorkloadInput {
  return workloadInput({
    key: { kind: 'TrainingJob', namespace: 'ns', name: 'w' }, id: 'TrainingJob/ns/w', namespace: 'ns', queue: 'q', priority: 0, preemptNever: false,
    createdMs: NOW, pendingSinceMs: NOW, pods: 1, podRequest: {}, nodeSelector: {}, tolerations: [], useSpot: false, labels: {}, constraintKey: '', ...o,
  });
}

const queue = (o: Partial<QueueInput> = {}): QueueInput => ({
  name: 'q', guaranteed: {}, weight: 1, flavors: [], withinQueue: 'LowerPriority', reclaim: 'Any', reclaimDelayMs: 0, ...o,
});

const admitted = (startedMs: number, o: Partial<NonNullable<WorkloadInput['admitted']>> = {}) => workload({ id: 'TrainingJob/ns/run', admitted: { pods: [], queue: 'q', flavor: '', admittedMs: startedMs, startedMs, ...o } });

const cases: Array<{ name: string; pending?: Array<{ w: WorkloadInput; reason?: string }>; running?: WorkloadInput[]; queues?: QueueInput[]; config?: Partial<SchedulerConfig>; want: number }> = [
  { name: 'nothing pending or running: never', want: Infinity },
  { name: 'a pending job: when it crosses the starvation bound', pending: [{ w: workload({ pendingSinceMs: NOW - 2 * MIN }) }], want: NOW + 8 * MIN },
  { name: 'past the starvation bound and not held: nothing more', pending: [{ w: workload({ pendingSinceMs: NOW - 20 * MIN }) }], want: Infinity },
  { name: 'held: when the waiting text can next change', pending: [{ w: workload({ pendingSinceMs: NOW - 20 * MIN - 10_000 }), reason: `x; ${HELD_MARK} (waiting 20m)` }], want: NOW + 20_000 },
  { name: 'retryAfter in the future', pending: [{ w: workload({ pendingSinceMs: NOW - 20 * MIN, retryAfterMs: NOW + 3 * MIN }) }], want: NOW + 3 * MIN },
  { name: 'retryAfter in the past is not due again', pending: [{ w: workload({ pendingSinceMs: NOW - 20 * MIN, retryAfterMs: NOW - MIN }) }], want: Infinity },
  { name: 'reclaim delay of the queue', pending: [{ w: workload({ pendingSinceMs: NOW - 20 * MIN }) }], queues: [queue({ reclaimDelayMs: 30 * MIN })], want: NOW + 10 * MIN },
  { name: 'minimum runtime of a running job', running: [admitted(NOW - 5 * MIN)], config: { minRuntimeBeforePreemptionMs: 7 * MIN }, want: NOW + 2 * MIN },
  { name: 'no minimum runtime: a running job is never due', running: [admitted(NOW - 5 * MIN)], want: Infinity },
  { name: 'a checkpoint time in the future', running: [admitted(NOW - 5 * MIN, { lastCheckpointMs: NOW + MIN })], want: NOW + MIN },
  { name: 'the earliest rule wins', pending: [{ w: workload({ pendingSinceMs: NOW - 2 * MIN, retryAfterMs: NOW + MIN }) }], want: NOW + MIN },
];

for (const c of cases) {
  test(`nextTimeRuleDueMs: ${c.name}`, () => {
    const pending = (c.pending ?? []).map((p) => ({ workload: p.w, reason: p.reason ?? 'does not fit', queuePosition: 1 }));
    const input: CycleInput = { nodes: [], queues: c.queues ?? [queue()], workloads: [...pending.map((p) => p.workload), ...(c.running ?? [])], namespaceQuotas: [], pdbs: [] };
    const result: CycleResult = { admitted: [], preempted: [], pending, queues: [] };
    assert.equal(nextTimeRuleDueMs(input, result, NOW, { ...DEFAULT_SCHEDULER_CONFIG, ...c.config }), c.want);
  });
}
