// The architecture's lint rules run as part of the suite, and each is shown to catch a
// planted violation (so a broken rule cannot pass silently).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/platform.js';

const ESLINT = join(REPO_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js');
const CHECK_IMPORTS = join(REPO_ROOT, 'scripts', 'check-imports.mjs');

function eslintStdin(virtualPath: string, source: string) {
  return spawnSync(process.execPath, [ESLINT, '--stdin', '--stdin-filename', virtualPath], {
    cwd: REPO_ROOT, input: source, encoding: 'utf8',
  });
}

test('eslint passes on the whole repository', () => {
  const res = spawnSync(process.execPath, [ESLINT, '.'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stdout + res.stderr);
});

const coreViolations = [
  { name: 'Node I/O module', source: "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n", expect: /node:fs/ },
  { name: 'child process', source: "import { spawn } from 'child_process';\nexport const f = spawn;\n", expect: /child_process/ },
  { name: 'wall clock via Date.now', source: 'export const t = Date.now();\n', expect: /wall clock/ },
  { name: 'wall clock via new Date()', source: 'export const t = new Date();\n', expect: /wall clock/ },
  { name: 'ambient randomness', source: 'export const r = Math.random();\n', expect: /randomness/ },
  { name: 'timers', source: 'setTimeout(() => undefined, 1);\n', expect: /timers/ },
  { name: 'store dependency', source: "import { MemoryStore } from '@qm/store';\nexport const s = MemoryStore;\n", expect: /core depends only on/ },
];

for (const c of coreViolations) {
  test(`lint refuses ${c.name} in packages/core`, () => {
    const res = eslintStdin('packages/core/src/probe.ts', c.source);
    assert.notEqual(res.status, 0, 'eslint should have failed');
    assert.match(res.stdout, c.expect);
  });
}

test('the same code is allowed outside packages/core', () => {
  const res = eslintStdin('packages/server/src/probe.ts', "import { readFileSync } from 'node:fs';\nexport const t = Date.now() + Math.random();\nexport const f = readFileSync;\n");
  assert.equal(res.status, 0, res.stdout);
});

test('check-imports passes on the repository', () => {
  const res = spawnSync(process.execPath, [CHECK_IMPORTS], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  assert.match(res.stdout, /no cycles/);
});

const importProblems = [
  {
    name: 'an import cycle',
    files: { 'packages/core/src/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n", 'packages/core/src/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n" },
    expect: /import cycle: packages\/core\/src\/a\.ts → packages\/core\/src\/b\.ts/,
  },
  {
    name: 'a layering violation (cli importing the store)',
    files: { 'packages/cli/src/x.ts': "import { MemoryStore } from '@qm/store';\nexport const x = MemoryStore;\n" },
    expect: /package cli may not import @qm\/store/,
  },
  {
    name: 'a deep import across packages',
    files: { 'packages/server/src/x.ts': "import { thing } from '@qm/store/src/thing.js';\nexport const x = thing;\n" },
    expect: /deep import/,
  },
];

for (const c of importProblems) {
  test(`check-imports refuses ${c.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'qm-imports-'));
    try {
      for (const [path, text] of Object.entries(c.files)) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const res = spawnSync(process.execPath, [CHECK_IMPORTS, dir], { encoding: 'utf8' });
      assert.equal(res.status, 1);
      assert.match(res.stderr, c.expect);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
