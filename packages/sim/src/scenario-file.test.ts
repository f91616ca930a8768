import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadScenarioFile, parseScenarioText, ScenarioFileError } from './scenario-file.js';

const HEAD = 'apiVersion: ml.quartermaster.dev/v1alpha1\nkind: Scenario\nmetadata: {name: s}\n';
const JOB = (name: string, spec: string) =>
  `{apiVersion: ml.quartermaster.dev/v1alpha1, kind: TrainingJob, metadata: {name: ${name}, namespace: t}, spec: ${spec}}`;

function causesOf(text: string): string[] {
  try {
    parseScenarioText('s.yaml', text);
  } catch (err) {
    assert.ok(err instanceof ScenarioFileError, String(err));
    assert.equal(err.file, 's.yaml');
    return err.lines();
  }
  assert.fail('expected a ScenarioFileError');
}

const badCases = [
  {
    name: 'a bad embedded field names its document path',
    text: `${HEAD}spec:\n  submissions:\n    - {at: 0, object: ${JOB('a', '{command: [x]}')}}\n    - {at: 1, object: ${JOB('b', '{command: [x], workers: 0}')}}\n`,
    want: [/^error: s\.yaml: spec\.submissions\[1\]\.object\.spec\.workers: must be .*≥ 1/],
  },
  { name: 'a bad duration', text: `${HEAD}spec: {until: 6x}\n`, want: [/^error: s\.yaml: spec\.until: /] },
  { name: 'a YAML syntax error says where', text: 'a: [1,\nb: 2\n', want: [/^error: s\.yaml: YAML syntax error: .*line 2, column 1/] },
  { name: 'two documents', text: `${HEAD}spec: {}\n---\n${HEAD}spec: {}\n`, want: [/^error: s\.yaml: holds 2 YAML documents; a scenario file holds exactly one/] },
  { name: 'an empty file', text: '', want: [/^error: s\.yaml: the file is empty/] },
  { name: 'not a mapping', text: '- 1\n', want: [/^error: s\.yaml: must be a Scenario document/] },
  {
    name: 'two submissions with one name',
    text: `${HEAD}spec:\n  submissions:\n    - {at: 0, object: ${JOB('a', '{command: [x]}')}}\n    - {at: 5, object: ${JOB('a', '{command: [x]}')}}\n`,
    want: [/^error: s\.yaml: spec\.submissions\[1\]\.object\.metadata\.name: TrainingJob t\/a is already created by spec\.submissions\[0\]\.object$/],
  },
  {
    name: 'every cause on its own line',
    text: `${HEAD}spec:\n  until: -1\n  events: [{at: 0, action: explode}]\n`,
    want: [/spec\.until/, /spec\.events\[0\]\.action/],
  },
];

for (const c of badCases) {
  test(`bad file: ${c.name}`, () => {
    const lines = causesOf(c.text);
    assert.equal(lines.length, c.want.length, lines.join('\n'));
    c.want.forEach((re, i) => assert.match(lines[i], re));
  });
}

test('a good file decodes durations to seconds', () => {
  const s = parseScenarioText('s.yaml', `${HEAD}spec:\n  until: 6h\n  submissions: [{at: 15m, work: 2h, object: ${JOB('a', '{command: [x]}')}}]\n`);
  assert.equal(s.spec.until, 21600);
  assert.equal(s.spec.submissions![0].at, 900);
  assert.equal(s.spec.submissions![0].work, 7200);
  assert.equal(s.spec.seed, 0);
});

test('a missing file is a ScenarioFileError naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qm-sim-'));
  const missing = join(dir, 'nope.yaml');
  await assert.rejects(loadScenarioFile(missing), (err: unknown) => {
    assert.ok(err instanceof ScenarioFileError);
    assert.deepEqual(err.lines(), [`error: ${missing}: cannot read the scenario: no such file`]);
    return true;
  });
  const ok = join(dir, 'ok.yaml');
  writeFileSync(ok, `${HEAD}spec: {}\n`);
  assert.equal((await loadScenarioFile(ok)).metadata.name, 's');
});
