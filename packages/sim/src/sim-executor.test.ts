import { test } from 'node:test';
import assert from 'node:assert/strict';
import { executorHarness, job, node } from './testing/executor-harness.js';
import { epochMsAt, rfc3339 } from './virtual-clock.js';

const at = (s: number) => rfc3339(epochMsAt(s));

test('work accounting: a started job finishes when its work is done', async () => {
  const h = await executorHarness([node('gpu-1', 8)]);
  await h.submit(job('big', { gpusPerWorker: 8 }), 7200);
  assert.equal(await h.admit('big', ['gpu-1']), 1);
  const running = await h.job('big');
  assert.equal(running.status.phase, 'Running');
  assert.equal(running.status.startTime, at(0));
  assert.equal(running.status.expectedEndTime, at(7200));
  assert.deepEqual(running.status.workers.map((w: { phase: string }) => w.phase), ['Running']);
  await h.advanceTo(7199);
  assert.equal((await h.job('big')).status.phase, 'Running');
  assert.equal(await h.advanceTo(7200), 1);
  const done = await h.job('big');
  assert.equal(done.status.phase, 'Succeeded');
  assert.equal(done.status.completionTime, at(7200));
  assert.equal(done.status.expectedEndTime, undefined);
  assert.deepEqual(h.reasons(), ['Started', 'Succeeded']);
  assert.equal(h.ledger.workload('TrainingJob/team-a/big', epochMsAt(9000)).gpuSeconds, 8 * 7200);
});

const preemptionCases = [
  { name: 'with 30-min checkpoints, loses the 10 min since the last one', checkpointInterval: 30, lost: 600, banked: 3600, finishAt: 4800 + 3600 },
  { name: 'without checkpoints, loses all 70 min', checkpointInterval: undefined, lost: 4200, banked: 0, finishAt: 4800 + 7200 },
  { name: 'preempted exactly on a checkpoint, loses nothing', checkpointInterval: 35, lost: 0, banked: 4200, finishAt: 4800 + 3000 },
];

for (const c of preemptionCases) {
  test(`loss on preemption: ${c.name}`, async () => {
    const h = await executorHarness([node('gpu-1', 8)]);
    await h.submit(job('big', { gpusPerWorker: 8, ...(c.checkpointInterval ? { checkpointInterval: c.checkpointInterval } : {}) }), 7200);
    await h.admit('big', ['gpu-1']);
    await h.advanceTo(4200); // 70 min
    await h.preempt('big');
    const rec = h.record('big');
    assert.equal(rec.lostMs, c.lost * 1000);
    assert.equal(rec.bankedMs, c.banked * 1000);
    assert.equal(rec.preemptions, 1);
    assert.equal(rec.attempt, undefined);
    // The finish timer of the stopped attempt no longer applies.
    await h.advanceTo(4800);
    assert.equal((await h.job('big')).status.phase, 'Pending');
    await h.admit('big', ['gpu-1']);
    assert.equal((await h.job('big')).status.expectedEndTime, at(c.finishAt));
    assert.equal(h.reasons().at(-1), 'Resumed');
    await h.advanceTo(c.finishAt);
    assert.equal((await h.job('big')).status.phase, 'Succeeded');
    assert.equal(h.record('big').finishedMs, epochMsAt(c.finishAt));
  });
}

test('checkpoints: status.lastCheckpoint is written lazily with the checkpoint time, not the sync time', async () => {
  const h = await executorHarness([node('gpu-1', 8)]);
  await h.submit(job('big', { gpusPerWorker: 8, checkpointInterval: 30, checkpointPath: '/ckpt/big' }), 7200);
  await h.admit('big', ['gpu-1']);
  await h.advanceTo(3900); // 65 min: checkpoints at 30 and 60 min
  await h.executor.syncCheckpoints();
  assert.deepEqual((await h.job('big')).status.lastCheckpoint, { step: 2, time: at(3600), path: '/ckpt/big/step-2' });
  const rvBefore = (await h.job('big')).metadata.resourceVersion;
  await h.executor.syncCheckpoints();
  assert.equal((await h.job('big')).metadata.resourceVersion, rvBefore, 'no write when no new checkpoint');
});

const spotCases = [
  { name: 'a checkpointing job saves on notice and loses nothing', spec: { checkpointInterval: 30 }, lost: 0, banked: 4200 },
  { name: 'a job without checkpoints loses all its work', spec: {}, lost: 4200, banked: 0 },
];

for (const c of spotCases) {
  test(`spot notice then removal: ${c.name}`, async () => {
    const h = await executorHarness([node('spot-1', 8), node('gpu-2', 8)]);
    await h.submit(job('big', { gpusPerWorker: 8, ...c.spec }), 7200);
    await h.admit('big', ['spot-1']);
    await h.advanceTo(4080);
    assert.equal(await h.actions.apply({ at: 4080, action: 'spotInterrupt', node: 'spot-1', noticeSeconds: 120 }), true);
    const noticed = await h.store.get('Node', undefined, 'spot-1');
    const cond = noticed!.status.conditions.find((x: { type: string }) => x.type === 'SpotInterruption');
    assert.equal(cond.status, 'True');
    assert.equal(cond.terminationTime, at(4200));
    assert.equal((await h.job('big')).status.phase, 'Running', 'still running during the notice');
    await h.advanceTo(4200);
    assert.equal(await h.store.get('Node', undefined, 'spot-1'), undefined, 'the node is gone');
    const after = await h.job('big');
    assert.equal(after.status.phase, 'Pending');
    assert.deepEqual(after.status.workers, []);
    assert.equal(after.status.conditions.find((x: { type: string }) => x.type === 'Interrupted').status, 'True');
    const rec = h.record('big');
    assert.equal(rec.lostMs, c.lost * 1000);
    assert.equal(rec.bankedMs, c.banked * 1000);
    assert.equal(rec.interruptions, 1);
    assert.deepEqual(h.reasons(), ['Started', 'SpotInterruption', 'Interrupted', 'NodeRemoved']);
    assert.equal(h.mirror.nodes.has('spot-1'), false);
  });
}

test('removeNode interrupts at once without a save', async () => {
  const h = await executorHarness([node('gpu-1', 8)]);
  await h.submit(job('big', { gpusPerWorker: 8, checkpointInterval: 30 }), 7200);
  await h.admit('big', ['gpu-1']);
  await h.advanceTo(2000);
  await h.actions.apply({ at: 2000, action: 'removeNode', node: 'gpu-1' });
  assert.equal(h.record('big').lostMs, 200_000);
  assert.equal(h.record('big').bankedMs, 1_800_000);
  assert.equal((await h.job('big')).status.phase, 'Pending');
});

test('a job without work runs until the end: no finish timer, no expectedEndTime', async () => {
  const h = await executorHarness([node('gpu-1', 8)]);
  await h.submit(job('forever', { gpusPerWorker: 2 }));
  await h.admit('forever', ['gpu-1']);
  const running = await h.job('forever');
  assert.equal(running.status.phase, 'Running');
  assert.equal(running.status.expectedEndTime, undefined);
  assert.equal(h.timers.size, 0);
});

test('activeDeadlineSeconds: the job fails when it runs past its deadline', async () => {
  const h = await executorHarness([node('gpu-1', 8)]);
  await h.submit(job('slow', { gpusPerWorker: 8, activeDeadlineSeconds: 600 }), 7200);
  await h.admit('slow', ['gpu-1']);
  await h.advanceTo(600);
  const failed = await h.job('slow');
  assert.equal(failed.status.phase, 'Failed');
  assert.equal(h.recorder.events.at(-1)!.reason, 'Failed');
  assert.equal(h.record('slow').finishedMs, epochMsAt(600));
});

test('null times: a job that is never admitted has no admission, start or finish', async () => {
  const h = await executorHarness([node('gpu-1', 8)]);
  await h.submit(job('waits', { gpusPerWorker: 16 }), 60);
  const rec = h.record('waits');
  assert.equal(rec.firstAdmittedMs, undefined);
  assert.equal(rec.firstStartedMs, undefined);
  assert.equal(rec.finishedMs, undefined);
  assert.equal(await h.executor.startAdmitted(), 0);
});

test('deleting a running job ends its usage', async () => {
  const h = await executorHarness([node('gpu-1', 8)]);
  await h.submit(job('big', { gpusPerWorker: 8 }), 7200);
  await h.admit('big', ['gpu-1']);
  await h.advanceTo(100);
  await h.actions.apply({ at: 100, action: 'delete', target: { kind: 'TrainingJob', namespace: 'team-a', name: 'big' } });
  assert.equal(h.record('big').phase, 'Deleted');
  await h.advanceTo(7200);
  assert.equal(h.ledger.workload('TrainingJob/team-a/big', epochMsAt(7200)).gpuSeconds, 800);
  assert.equal(h.record('big').finishedMs, undefined);
});
