import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkpointsWithin, nextCheckpointAtMs, remainingMs, stopAttempt } from './work-model.js';

const MIN = 60_000;

const stopCases = [
  { name: 'no checkpoints: everything lost', progress: { bankedMs: 0 }, elapsed: 70 * MIN, save: false, want: { bankedMs: 0, lostMs: 70 * MIN, checkpoints: 0 } },
  { name: 'no checkpoints: a save on stop is impossible', progress: { bankedMs: 0 }, elapsed: 70 * MIN, save: true, want: { bankedMs: 0, lostMs: 70 * MIN, checkpoints: 0 } },
  { name: 'checkpoints: work since the last one lost', progress: { bankedMs: 0, checkpointIntervalMs: 30 * MIN }, elapsed: 70 * MIN, save: false, want: { bankedMs: 60 * MIN, lostMs: 10 * MIN, checkpoints: 2 } },
  { name: 'checkpoints on top of earlier banked work', progress: { bankedMs: 30 * MIN, checkpointIntervalMs: 30 * MIN }, elapsed: 45 * MIN, save: false, want: { bankedMs: 60 * MIN, lostMs: 15 * MIN, checkpoints: 1 } },
  { name: 'save on stop keeps everything and counts the extra checkpoint', progress: { bankedMs: 0, checkpointIntervalMs: 30 * MIN }, elapsed: 70 * MIN, save: true, want: { bankedMs: 70 * MIN, lostMs: 0, checkpoints: 3 } },
  { name: 'save on stop exactly at a checkpoint adds none', progress: { bankedMs: 0, checkpointIntervalMs: 30 * MIN }, elapsed: 60 * MIN, save: true, want: { bankedMs: 60 * MIN, lostMs: 0, checkpoints: 2 } },
  { name: 'stopped at once: nothing either way', progress: { bankedMs: 5, checkpointIntervalMs: 30 * MIN }, elapsed: 0, save: false, want: { bankedMs: 5, lostMs: 0, checkpoints: 0 } },
];

for (const c of stopCases) {
  test(`stopAttempt: ${c.name}`, () => {
    assert.deepEqual(stopAttempt(c.progress, c.elapsed, c.save), c.want);
  });
}

test('checkpointsWithin / nextCheckpointAtMs / remainingMs', () => {
  assert.equal(checkpointsWithin(59 * MIN, 30 * MIN), 1);
  assert.equal(checkpointsWithin(59 * MIN, undefined), 0);
  assert.equal(nextCheckpointAtMs(1000, 1000, 30 * MIN), 1000 + 30 * MIN);
  assert.equal(nextCheckpointAtMs(0, 30 * MIN, 30 * MIN), 60 * MIN);
  assert.equal(nextCheckpointAtMs(0, 0, undefined), undefined);
  assert.equal(remainingMs(7200_000, 3600_000), 3600_000);
  assert.equal(remainingMs(undefined, 0), undefined);
  assert.equal(remainingMs(100, 200), 0);
});
