import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { validateScenario } from './scenario.js';

const QM = 'ml.quartermaster.dev/v1alpha1';

/** The example of SCENARIOS.md, as parsed from YAML. */
function example(): any {
  return {
    apiVersion: QM, kind: 'Scenario', metadata: { name: 'borrow-then-reclaim' },
    spec: {
      seed: 1, until: '6h',
      objects: [
        { apiVersion: QM, kind: 'Node', metadata: { name: 'gpu-1', labels: { 'quartermaster.dev/gpu-model': 'A100-80GB' } },
          status: { capacity: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': 8 } } },
        { apiVersion: QM, kind: 'Queue', metadata: { name: 'team-a' },
          spec: { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 4 }, max: { 'nvidia.com/gpu': 8 } } },
      ],
      submissions: [
        { at: 0, work: '2h', object: { apiVersion: QM, kind: 'TrainingJob', metadata: { name: 'big', namespace: 'team-a' },
          spec: { workers: 2, gpusPerWorker: 4, command: ['train'], checkpointInterval: 30 } } },
      ],
      events: [
        { at: '1h', action: 'spotInterrupt', node: 'gpu-1', noticeSeconds: 120 },
        { at: '2h', action: 'load', target: { namespace: 'team-a', name: 'chat' }, rps: 800 },
        { at: '3h', action: 'addNode', nodePool: 'h100-spot', count: 2 },
        { at: '4h', action: 'delete', target: { kind: 'TrainingJob', namespace: 'team-a', name: 'big' } },
        { at: 18000, action: 'cordonNode', node: 'gpu-1' },
      ],
    },
  };
}

describe('validateScenario', () => {
  it('accepts the SCENARIOS.md example and decodes durations to seconds', () => {
    const r = validateScenario(example());
    assert.ok(r.ok, JSON.stringify(!r.ok && r.causes));
    assert.equal(r.scenario.spec.until, 21600);
    assert.equal(r.scenario.spec.seed, 1);
    assert.equal(r.scenario.spec.submissions?.[0].at, 0);
    assert.equal(r.scenario.spec.submissions?.[0].work, 7200);
    assert.deepEqual(r.scenario.spec.events?.map((e) => e.at), [3600, 7200, 10800, 14400, 18000]);
    assert.equal(r.scenario.spec.objects?.[1].kind, 'Queue');
  });

  it('defaults seed to 0 and leaves the input untouched', () => {
    const doc = example();
    delete doc.spec.seed;
    const r = validateScenario(doc);
    assert.ok(r.ok);
    assert.equal(r.scenario.spec.seed, 0);
    assert.equal(doc.spec.until, '6h');
  });

  const bad: Array<{ name: string; mutate: (d: any) => void; fields: string[]; message?: RegExp }> = [
    { name: 'bad field inside a submitted object', mutate: (d) => { d.spec.submissions[0].object.spec.workers = 0; }, fields: ['spec.submissions[0].object.spec.workers'], message: /integer ≥ 1, got 0/ },
    { name: 'submission object index in path', mutate: (d) => {
      d.spec.submissions.push({ at: '1m', object: structuredClone(d.spec.submissions[0].object) }, { at: '2m', object: structuredClone(d.spec.submissions[0].object) }, { at: '3m', object: structuredClone(d.spec.submissions[0].object) });
      d.spec.submissions[3].object.spec.gpusPerWorker = 'four';
    }, fields: ['spec.submissions[3].object.spec.gpusPerWorker'] },
    { name: 'bad quantity in an initial object', mutate: (d) => { d.spec.objects[0].status.capacity.memory = '1TB'; }, fields: ['spec.objects[0].status.capacity.memory'], message: /invalid quantity "1TB"/ },
    { name: 'unknown kind in objects', mutate: (d) => { d.spec.objects[1].kind = 'Deployment'; }, fields: ['spec.objects[1].kind'], message: /known kinds/ },
    { name: 'bad duration', mutate: (d) => { d.spec.until = '6 hours'; }, fields: ['spec.until'], message: /duration such as "90s"/ },
    { name: 'negative at', mutate: (d) => { d.spec.events[0].at = -5; }, fields: ['spec.events[0].at'] },
    { name: 'unknown action', mutate: (d) => { d.spec.events[0].action = 'explode'; }, fields: ['spec.events[0].action'], message: /"spotInterrupt", "removeNode", "cordonNode", "uncordonNode", "delete", "load", "addNode"/ },
    { name: 'spotInterrupt without node', mutate: (d) => { delete d.spec.events[0].node; }, fields: ['spec.events[0].node'], message: /required for action spotInterrupt/ },
    { name: 'load without rps', mutate: (d) => { delete d.spec.events[1].rps; }, fields: ['spec.events[1].rps'] },
    { name: 'field that does not apply', mutate: (d) => { d.spec.events[4].rps = 5; }, fields: ['spec.events[4].rps'], message: /does not apply to action cordonNode/ },
    { name: 'delete needs target kind', mutate: (d) => { delete d.spec.events[3].target.kind; }, fields: ['spec.events[3].target.kind'] },
    { name: 'addNode needs object or pool', mutate: (d) => { delete d.spec.events[2].nodePool; delete d.spec.events[2].count; }, fields: ['spec.events[2].object'] },
    { name: 'addNode object must be a Node', mutate: (d) => { delete d.spec.events[2].nodePool; delete d.spec.events[2].count; d.spec.events[2].object = d.spec.objects[1]; }, fields: ['spec.events[2].object.kind'] },
    { name: 'work only for TrainingJob', mutate: (d) => { d.spec.submissions.push({ at: 0, work: '1h', object: d.spec.objects[1] }); }, fields: ['spec.submissions[1].work'] },
    { name: 'typo in the scenario spec', mutate: (d) => { d.spec.submisions = []; }, fields: ['spec.submisions'], message: /did you mean "submissions"/ },
    { name: 'wrong kind', mutate: (d) => { d.kind = 'Scenarios'; }, fields: ['kind'], message: /must be "Scenario"/ },
    { name: 'submission without object', mutate: (d) => { delete d.spec.submissions[0].object; }, fields: ['spec.submissions[0].object'], message: /is required/ },
  ];
  for (const c of bad) {
    it(c.name, () => {
      const doc = example();
      c.mutate(doc);
      const r = validateScenario(doc);
      assert.equal(r.ok, false);
      if (r.ok) return;
      assert.deepEqual(r.causes.map((x) => x.field), c.fields, JSON.stringify(r.causes));
      if (c.message) assert.match(r.causes[0].message, c.message);
    });
  }

  it('collects causes from the document and several objects at once', () => {
    const doc = example();
    doc.spec.until = 'soon';
    doc.spec.objects[1].spec.weight = -1;
    doc.spec.submissions[0].object.metadata.name = 'Big';
    const r = validateScenario(doc);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.causes.map((c) => c.field), ['spec.until', 'spec.objects[1].spec.weight', 'spec.submissions[0].object.metadata.name']);
  });

  it('rejects a non-object document', () => {
    const r = validateScenario([1, 2]);
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.causes[0].field, '');
  });
});
