/**
 * Idle GPUs in the simulator beyond the scenario suite's idle-*.yaml: bad idle annotations are
 * refused before anything runs (naming the file and the document path), and a workload busy at
 * or above the threshold, or with no declared utilization, is never judged idle.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScenarioFileError, simulateFile } from '@qm/sim';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'qm-idle-sim-')); });
after(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

const NODE = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: Node, metadata: {name: gpu-1}, status: {capacity: {cpu: "96", memory: 1Ti, nvidia.com/gpu: 8}}}';
const QUEUE = '{apiVersion: ml.quartermaster.dev/v1alpha1, kind: Queue, metadata: {name: q}, spec: {namespaces: [team-a], guaranteed: {nvidia.com/gpu: 8}}}';

function scenario(name: string, namespaceAnnotations: string, jobs: Array<[string, string | undefined]>): string {
  const path = join(dir, `${name}.yaml`);
  const subs = jobs.map(([job, pct]) => `    - {at: 0, object: {apiVersion: ml.quartermaster.dev/v1alpha1, kind: TrainingJob, metadata: {name: ${job}, namespace: team-a${pct === undefined ? '' : `, annotations: {quartermaster.dev/simulated-gpu-utilization: "${pct}"}`}}, spec: {gpusPerWorker: 2, command: [train]}}}`);
  writeFileSync(path, [
    'apiVersion: ml.quartermaster.dev/v1alpha1', 'kind: Scenario', `metadata: {name: ${name}}`, 'spec:', '  until: 3h', '  objects:',
    `    - ${NODE}`, `    - ${QUEUE}`, `    - {apiVersion: v1, kind: Namespace, metadata: {name: team-a, annotations: {${namespaceAnnotations}}}}`,
    '  submissions:', ...subs, '',
  ].join('\n'));
  return path;
}

test('bad idle annotations: refused before running, naming the file and the document path', async () => {
  const path = scenario('bad-idle', 'quartermaster.dev/idle-gpu-action: Pause', [['j', 'lots']]);
  await assert.rejects(simulateFile(path), (err: unknown) => {
    assert.ok(err instanceof ScenarioFileError);
    const text = err.lines().join('\n');
    assert.match(text, new RegExp(`${path}: spec\\.objects\\[2\\]: metadata\\.annotations\\[quartermaster\\.dev/idle-gpu-action\\]: must be one of Warn, Stop`));
    assert.match(text, /spec\.submissions\[0\]\.object\.metadata\.annotations\[quartermaster\.dev\/simulated-gpu-utilization\]: must be a percent/);
    return true;
  });
});

test('only workloads whose declared utilization stays below the threshold are flagged, once', async () => {
  const path = scenario('idle-mix', 'quartermaster.dev/idle-gpu-window: 1h, quartermaster.dev/idle-gpu-threshold-percent: "20"', [
    ['low', '19.5'], ['at-threshold', '20'], ['undeclared', undefined],
  ]);
  const report = await simulateFile(path);
  const idle = report.events.filter((e) => e.reason === 'IdleGpus');
  assert.deepEqual(idle.map((e) => [e.object, e.t]), [['team-a/low', 3600]]);
  assert.match(idle[0].message, /below 20% utilization \(max 19\.5%\)/);
  assert.equal(report.workloads.find((w) => w.name === 'low')!.phase, 'Running', 'the default action only warns');
});
