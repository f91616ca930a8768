/**
 * The scenario suite: every `test/scenarios/NAME.yaml` is a `qm simulate` Scenario with a
 * hand-derived `NAME.expect.yaml` (format: test/scenarios/expectations.ts). Each runs through
 * @qm/sim's simulateFile — the real scheduler in virtual time — and the report (plus, where a
 * scenario asks about pending reasons, queue positions or estimates, the objects' status after
 * the last scheduling pass) must meet the expectations. Also: the same file gives
 * byte-identical `-o json` output twice, and bad files fail naming the file and document path.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { validateScenario, type ApiObject } from '@qm/api';
import { createScheduler, type Scheduler, type SchedulerDeps } from '@qm/core';
import { SIM_EPOCH_MS, ScenarioFileError, formatReportJson, simulateFile, type SimulationReport } from '@qm/sim';
import { checkExpectationShape, checkReport, checkStatus, type ScenarioExpect } from './scenarios/expectations.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const scenarioDir = join(root, 'test', 'scenarios');
const badDir = join(scenarioDir, 'bad');

const scenarioFiles = readdirSync(scenarioDir)
  .filter((f) => f.endsWith('.yaml') && !f.endsWith('.expect.yaml'))
  .sort();

/** The kinds whose status `status:` expectations may name. */
const OBSERVED_KINDS = ['TrainingJob', 'ModelDeployment', 'Queue'];

/**
 * Wraps the real scheduler so the test sees the objects as the last pass left them: the report
 * carries no objects, and the store is closed when simulateFile returns.
 */
function observingScheduler(seen: { objects: ApiObject[] }) {
  return (deps: SchedulerDeps): Scheduler => {
    const inner = createScheduler(deps);
    return {
      async runPass() {
        const result = await inner.runPass();
        const lists = await Promise.all(OBSERVED_KINDS.map((k) => deps.store.list(k)));
        seen.objects = lists.flatMap((l) => l.items);
        return result;
      },
      close: () => inner.close(),
    };
  };
}

function summary(report: SimulationReport): string {
  const rows = report.workloads.map((w) => `  ${w.namespace}/${w.name}: phase=${w.phase} queue=${w.queue} admitted=${w.admittedAt} `
    + `finished=${w.finishedAt} preemptions=${w.preemptions} lost=${w.lostWorkSeconds} nodes=[${w.nodes.join(',')}]`);
  const preempted = report.events.filter((e) => ['Preempted', 'Interrupted'].includes(e.reason))
    .map((e) => `  t=${e.t} ${e.reason} ${e.object}: ${e.message}`);
  return ['report workloads:', ...rows, ...(preempted.length ? ['preemption events:', ...preempted] : [])].join('\n');
}

function loadExpectation(name: string): ScenarioExpect {
  const path = join(scenarioDir, `${name}.expect.yaml`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    assert.fail(`${name}: cannot read ${name}.expect.yaml: ${(err as Error).message}`);
  }
  const shape = checkExpectationShape(doc);
  assert.deepEqual(shape, [], `${name}.expect.yaml is malformed:\n${shape.join('\n')}`);
  return doc as ScenarioExpect;
}

test('the suite has at least 32 named scenarios, each a valid Scenario with an expectation file', () => {
  assert.ok(scenarioFiles.length >= 32, `only ${scenarioFiles.length} scenarios in ${scenarioDir}`);
  const expectFiles = new Set(readdirSync(scenarioDir).filter((f) => f.endsWith('.expect.yaml')));
  for (const file of scenarioFiles) {
    const name = file.replace(/\.yaml$/, '');
    assert.ok(expectFiles.has(`${name}.expect.yaml`), `${file} has no ${name}.expect.yaml`);
    const doc = parseYaml(readFileSync(join(scenarioDir, file), 'utf8'));
    const result = validateScenario(doc);
    assert.ok(result.ok, `${file} is not a valid Scenario: ${result.ok ? '' : result.causes.map((c) => `${c.field}: ${c.message}`).join('; ')}`);
    assert.equal(doc.metadata.name, name, `${file}: metadata.name should be the file's name`);
    assert.match(readFileSync(join(scenarioDir, file), 'utf8'), /^# \S/, `${file} should start with a comment saying what it checks`);
  }
  for (const e of expectFiles) assert.ok(scenarioFiles.includes(e.replace('.expect.yaml', '.yaml')), `${e} has no scenario`);
});

for (const file of scenarioFiles) {
  const name = file.replace(/\.yaml$/, '');
  test(name, async () => {
    const expect = loadExpectation(name);
    const seen: { objects: ApiObject[] } = { objects: [] };
    const wantsStatus = expect.status !== undefined && Object.keys(expect.status).length > 0;
    const report = await simulateFile(join(scenarioDir, file), wantsStatus ? { createScheduler: observingScheduler(seen) } : {});
    assert.equal(report.scenario, name);
    const problems = checkReport(expect, report as unknown as Record<string, any>);
    if (wantsStatus) problems.push(...checkStatus(expect, seen.objects, SIM_EPOCH_MS));
    if (problems.length > 0) assert.fail(`${name}: ${problems.length} expectation(s) not met:\n- ${problems.join('\n- ')}\n${summary(report)}`);
  });
}

test('the same scenario file gives byte-identical JSON on repeated runs', async () => {
  const file = join(scenarioDir, 'queue-tree-three-levels.yaml');
  const first = formatReportJson(await simulateFile(file));
  const second = formatReportJson(await simulateFile(file));
  assert.ok(first.includes('"Preempted"'), 'the scenario should exercise preemption, so the comparison means something');
  assert.equal(second, first);
  const spot = join(scenarioDir, 'spot-interruption.yaml');
  assert.equal(formatReportJson(await simulateFile(spot)), formatReportJson(await simulateFile(spot)));
  // And across processes, through the program `qm simulate -o json` runs.
  const runs = [0, 1].map(() => spawnSync(process.execPath, [join(root, 'packages', 'sim', 'dist', 'main.js'), file, '-o', 'json'], { encoding: 'utf8' }));
  for (const run of runs) assert.equal(run.status, 0, run.stderr);
  assert.equal(runs[1].stdout, runs[0].stdout);
  assert.equal(runs[0].stdout, first);
});

/** Each bad file and the document paths its error must name (a cause's field starts with each). */
const BAD_FILES: Record<string, string[]> = {
  'workers-zero.yaml': ['spec.submissions[1].object.spec.workers'],
  'spot-without-node.yaml': ['spec.events[0].node'],
  'bad-quantity-in-queue.yaml': ['spec.until', 'spec.objects[1].spec.guaranteed'],
};

test('bad scenario files fail before running, naming the file and the document path', async (t) => {
  assert.deepEqual(readdirSync(badDir).filter((f) => f.endsWith('.yaml')).sort(), Object.keys(BAD_FILES).sort());
  for (const [file, paths] of Object.entries(BAD_FILES)) {
    await t.test(file, async () => {
      const path = join(badDir, file);
      await assert.rejects(simulateFile(path), (err: unknown) => {
        assert.ok(err instanceof ScenarioFileError, `expected a ScenarioFileError, got ${String(err)}`);
        assert.equal(err.file, path);
        assert.ok(err.message.includes(path), `the message should name the file: ${err.message}`);
        for (const p of paths) {
          assert.ok(err.causes.some((c) => c.field.startsWith(p)), `no cause names ${p}: ${JSON.stringify(err.causes)}`);
          assert.ok(err.message.includes(p), `the message should name ${p}: ${err.message}`);
        }
        return true;
      });
      // The program behind `qm simulate`: exit 2, one `error: FILE: path: …` line per cause.
      const run = spawnSync(process.execPath, [join(root, 'packages', 'sim', 'dist', 'main.js'), path, '-o', 'json'], { encoding: 'utf8' });
      assert.equal(run.status, 2, `exit code: stderr=${run.stderr}`);
      assert.equal(run.stdout, '');
      for (const p of paths) assert.ok(run.stderr.includes(`error: ${path}: ${p}`), `stderr should name ${p}: ${run.stderr}`);
    });
  }
});
