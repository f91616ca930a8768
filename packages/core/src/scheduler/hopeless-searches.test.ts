import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RECLAIM_DELAY_ANNOTATION, type ApiObject } from '@qm/api';
import { makeJob, makeNode, makePriorityClass, makeQueue } from '../testing/builders.js';
import { T0, cycleInputFrom } from '../testing/cycle-builders.js';
import { HopelessSearches } from './hopeless-searches.js';
import { findPreemption } from './preemption.js';
import { Snapshot } from './snapshot.js';
import type { CycleInput, WorkloadInput } from './types.js';

const NOW = T0 + 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

function running(name: string, namespace: string, node: string, gpus: number[], priorityClassName = 'normal'): ApiObject {
  return makeJob(name, {
    namespace, gpusPerWorker: gpus.length, spec: { priorityClassName },
    status: { phase: 'Running', queue: namespace, admittedAt: iso(T0), startTime: iso(T0), expectedEndTime: iso(NOW + 3_600_000), workers: [{ rank: 0, node, gpus }] },
  });
}

function pending(input: CycleInput, name: string): WorkloadInput {
  const w = input.workloads.find((x) => x.key.name === name);
  assert.ok(w, `no workload ${name}`);
  return w;
}

/** Two 8-GPU nodes, full: team-a holds 12 GPUs (guarantee 4), team-b 4 (guarantee 12, reclaim delay 1 h). */
function fullCluster(extra: ApiObject[]): CycleInput {
  return cycleInputFrom([
    makeNode('n1'), makeNode('n2'),
    makeQueue('team-a', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 4 } }),
    makeQueue('team-b', { namespaces: ['team-b'], guaranteed: { 'nvidia.com/gpu': 12 } }, { [RECLAIM_DELAY_ANNOTATION]: '7200' }),
    makePriorityClass('low', 0), makePriorityClass('normal', 100), makePriorityClass('high', 1000),
    running('a-run-1', 'team-a', 'n1', [0, 1, 2, 3, 4, 5, 6, 7]),
    running('a-run-2', 'team-a', 'n2', [0, 1, 2, 3]),
    running('b-run-1', 'team-b', 'n2', [4, 5, 6, 7]),
    ...extra,
  ]);
}

describe('HopelessSearches', () => {
  const jobs = [
    makeJob('a-small', { namespace: 'team-a', gpusPerWorker: 2 }),
    makeJob('a-big', { namespace: 'team-a', gpusPerWorker: 4 }),
    makeJob('a-gang', { namespace: 'team-a', workers: 2, gpusPerWorker: 2 }),
    makeJob('a-big-high', { namespace: 'team-a', gpusPerWorker: 4, spec: { priorityClassName: 'high' } }),
    makeJob('a-big-low', { namespace: 'team-a', gpusPerWorker: 4, spec: { priorityClassName: 'low' } }),
    makeJob('a-tiny', { namespace: 'team-a', gpusPerWorker: 1 }),
    makeJob('a-h100', { namespace: 'team-a', gpusPerWorker: 4, spec: { nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' } } }),
    makeJob('b-small', { namespace: 'team-b', gpusPerWorker: 2 }),
  ];
  const cases: Array<{ name: string; recorded: string; asked: string; sameVersion?: boolean; covered: boolean }> = [
    { name: 'a bigger request at the same priority is covered', recorded: 'a-small', asked: 'a-big', covered: true },
    { name: 'more pods of the same size are covered', recorded: 'a-small', asked: 'a-gang', covered: true },
    { name: 'a lower priority is covered', recorded: 'a-small', asked: 'a-big-low', covered: true },
    { name: 'a higher priority is not (it may take more victims)', recorded: 'a-small', asked: 'a-big-high', covered: false },
    { name: 'a smaller request is not', recorded: 'a-big', asked: 'a-small', covered: false },
    { name: 'different constraints are not', recorded: 'a-small', asked: 'a-h100', covered: false },
    { name: 'another queue is not', recorded: 'a-small', asked: 'b-small', covered: false },
    { name: 'after the snapshot changed, nothing is', recorded: 'a-small', asked: 'a-big', sameVersion: false, covered: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const input = fullCluster(jobs);
      const hopeless = new HopelessSearches(new Snapshot(input), NOW);
      hopeless.record(pending(input, c.recorded), 1);
      assert.equal(hopeless.covers(pending(input, c.asked), c.sameVersion === false ? 2 : 1), c.covered);
    });
  }

  it('does not let a request within its guarantee but not yet allowed to reclaim cover one that may use fair share', () => {
    // team-b (4 of 12 guaranteed, reclaim delay not passed): 2 GPUs stay within the guarantee, so
    // no cross-queue rule applies; 10 GPUs go beyond it, where fair share may apply.
    const input = fullCluster([
      makeJob('b-within', { namespace: 'team-b', gpusPerWorker: 2 }),
      makeJob('b-beyond', { namespace: 'team-b', workers: 5, gpusPerWorker: 2 }),
    ]);
    const hopeless = new HopelessSearches(new Snapshot(input), NOW);
    hopeless.record(pending(input, 'b-within'), 1);
    assert.equal(hopeless.covers(pending(input, 'b-beyond'), 1), false);
  });

  it('covers only searches that would really find nothing (random full clusters)', () => {
    let seed = 11;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32;
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
    let covered = 0;
    for (let round = 0; round < 40; round++) {
      const objects: ApiObject[] = [makePriorityClass('low', 0), makePriorityClass('normal', 100), makePriorityClass('high', 1000)];
      const queues = ['q0', 'q1', 'q2'];
      for (const q of queues) objects.push(makeQueue(q, { namespaces: [q], guaranteed: { 'nvidia.com/gpu': pick([0, 4, 8, 12]) } }));
      for (let n = 0; n < 4; n++) {
        objects.push(makeNode(`n${n}`, { model: n % 2 ? 'H100' : 'A100-80GB' }));
        let first = 0;
        for (const size of pick([[8], [4, 4], [2, 2, 4], [1, 1, 2, 4]])) {
          const q = pick(queues);
          objects.push(running(`r${n}-${first}`, q, `n${n}`, Array.from({ length: size }, (_, k) => first + k), pick(['low', 'normal', 'high'])));
          first += size;
        }
      }
      for (let i = 0; i < 12; i++) {
        objects.push(makeJob(`p${i}`, {
          namespace: pick(queues), workers: pick([1, 1, 2]), gpusPerWorker: pick([1, 2, 4, 8]),
          spec: { priorityClassName: pick(['low', 'normal', 'high']), ...(rnd() < 0.3 ? { nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' } } : {}) },
        }));
      }
      const input = cycleInputFrom(objects);
      const snap = new Snapshot(input);
      const hopeless = new HopelessSearches(snap, NOW);
      for (const w of input.workloads.filter((x) => !x.admitted)) {
        const isCovered = hopeless.covers(w, 1);
        const outcome = { hopeless: false };
        const plan = findPreemption(snap, w, { nowMs: NOW, minRuntimeBeforePreemptionMs: 0, outcome });
        if (plan) {
          assert.equal(isCovered, false, `${w.id} was covered, yet a search found victims`);
          for (const v of plan.victims) snap.assume(v.entry.w, v.entry.state); // put the snapshot back for the next workload
          continue;
        }
        if (isCovered) {
          covered++;
          assert.equal(outcome.hopeless, true, `${w.id} was covered, yet its search was not hopeless`);
        }
        if (outcome.hopeless) hopeless.record(w, 1);
      }
    }
    assert.ok(covered > 10, `the random clusters exercised the cover only ${covered} times`);
  });
});
