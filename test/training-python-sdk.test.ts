/** Runs sdk/python's own unittest suite (skips cleanly where python3 is missing). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './support/platform.js';

const SDK = join(REPO_ROOT, 'sdk', 'python');
const python = spawnSync('python3', ['--version'], { encoding: 'utf8' });
const skip = python.error || python.status !== 0 ? 'python3 is not installed: skipping the Python SDK tests' : false;

test('sdk/python unittest suite passes', { skip }, () => {
  const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.', '-v'], {
    cwd: SDK, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  assert.equal(run.status, 0, `python3 -m unittest failed:\n${run.stdout}\n${run.stderr}`);
  assert.match(run.stderr, /Ran \d+ tests/);
  assert.match(run.stderr, /\nOK/);
});
