#!/usr/bin/env node
// Runs every compiled test file with node's test runner, which prints the closing summary.
// Unit tests live next to the code (packages/**/src/*.test.ts → dist/*.test.js);
// integration and end-to-end tests live in test/ (→ test/dist/).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function findTests(dir, out = []) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const path = join(dir, entry);
    const stat = statSync(path);
    if (stat.isDirectory()) findTests(path, out);
    else if (entry.endsWith('.test.js') && path.includes(`${'/'}dist${'/'}`)) out.push(path);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = [...findTests(join(root, 'packages')), ...findTests(join(root, 'test'))]
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();

if (files.length === 0) {
  console.error('run-tests: no compiled test files found; run `npx tsc -b` first');
  process.exit(1);
}

const args = ['--test', '--test-reporter=spec', `--test-concurrency=${process.env.QM_TEST_CONCURRENCY ?? 2}`, ...files];
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(signal ? 1 : code ?? 1));
