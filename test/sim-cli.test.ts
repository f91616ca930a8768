/**
 * End to end: `qm simulate` — the real CLI spawning the simulator's program, which runs the
 * real scheduler in virtual time. The example scenario, byte-identical reruns, and bad files
 * (exit 2, one `error: FILE: path: what` line per cause, nothing on stdout).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runQm } from './support/qm-cli.js';

const EXAMPLE = 'examples/scenarios/borrow-then-reclaim.yaml';
let dir: string;
const env = () => ({ cliEnv: () => ({ ...process.env, QM_HOME: join(dir, 'home') }) as Record<string, string> });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'qm-sim-cli-'));
});

after(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Row { name: string; phase: string; admittedAt: number | null; finishedAt: number | null; preemptions: number; lostWorkSeconds: number }

test('the example scenario: team-b reclaims its guarantee from team-a, both finish', async () => {
  const run = await runQm(env(), ['simulate', EXAMPLE, '-o', 'json']);
  assert.equal(run.stderr, '');
  assert.equal(run.code, 0);
  const report = JSON.parse(run.stdout);
  assert.equal(report.scenario, 'borrow-then-reclaim');
  assert.equal(report.endTime, 21600);
  const rows = Object.fromEntries((report.workloads as Row[]).map((w) => [w.name, w]));
  assert.equal(rows.big.admittedAt, 0);
  assert.equal(rows.eval.admittedAt, 2700, 'eval gets its guarantee back when it arrives');
  assert.equal(rows.big.preemptions, 1);
  assert.equal(rows.big.lostWorkSeconds, 900, '45 min in, the 30-min checkpoint saved all but 15 min');
  assert.equal(rows.big.phase, 'Succeeded');
  assert.equal(rows.eval.phase, 'Succeeded');
  assert.equal(rows.eval.finishedAt, 2700 + 3600);
  const preempted = report.events.find((e: { reason: string; object: string }) => e.reason === 'Preempted' && e.object === 'team-a/big');
  assert.ok(preempted, JSON.stringify(report.events, null, 1));
  assert.match(preempted.message, /team-b\/eval/);
  assert.ok(report.events.some((e: { reason: string; object: string }) => e.reason === 'Resumed' && e.object === 'team-a/big'));
  for (const key of ['jobs', 'finished', 'avgJctSeconds', 'p50JctSeconds', 'p99JctSeconds', 'avgQueueingDelaySeconds', 'makespanSeconds', 'gpuUtilization', 'preemptions', 'lostGpuHours', 'jainFairness', 'costUSD']) {
    assert.ok(key in report.metrics, `metrics.${key}`);
  }
});

test('-o json is byte-identical on a rerun; the table names every workload', async () => {
  const a = await runQm(env(), ['simulate', EXAMPLE, '-o', 'json', '--until', '3h']);
  const b = await runQm(env(), ['simulate', EXAMPLE, '-o', 'json', '--until', '3h']);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(a.stdout, b.stdout);
  assert.equal(JSON.parse(a.stdout).endTime, 10800);
  const table = await runQm(env(), ['simulate', EXAMPLE]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /team-a\/big\s+TrainingJob\s+team-a/);
  assert.match(table.stdout, /team-b\/eval\s+TrainingJob\s+team-b/);
});

const BAD_JOB = 'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: Scenario\nmetadata: {name: bad}\nspec:\n  submissions:\n'
  + '    - {at: 0, object: {apiVersion: ml.quartermaster.dev/v1alpha1, kind: TrainingJob, metadata: {name: a, namespace: t}, spec: {command: [x]}}}\n'
  + '    - {at: 5, object: {apiVersion: ml.quartermaster.dev/v1alpha1, kind: TrainingJob, metadata: {name: b, namespace: t}, spec: {command: [x], workers: 0}}}\n';

const badFiles = [
  { name: 'an invalid field', file: 'bad.yaml', text: BAD_JOB, stderr: /^error: bad\.yaml: spec\.submissions\[1\]\.object\.spec\.workers: must be an integer ≥ 1, got 0\n$/ },
  { name: 'a YAML syntax error', file: 'syntax.yaml', text: 'spec: [1,\nkind: 2\n', stderr: /^error: syntax\.yaml: YAML syntax error: .* at line 2, column 1\n$/ },
  { name: 'a missing file', file: 'missing.yaml', text: undefined, stderr: /^error: missing\.yaml: cannot read the scenario: no such file\n$/ },
];

for (const c of badFiles) {
  test(`bad file: ${c.name} exits 2 naming the file, and nothing runs`, async () => {
    if (c.text !== undefined) writeFileSync(join(dir, c.file), c.text);
    const run = await runQm(env(), ['simulate', c.file, '-o', 'json'], { cwd: dir });
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, c.stderr);
  });
}

test('bad flags exit 2', async () => {
  const run = await runQm(env(), ['simulate', EXAMPLE, '-o', 'xml']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^error: -o must be json or table, got "xml"/);
});
