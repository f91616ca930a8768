// The docs promise things the code must keep: the error table lists every code of the
// registry with its HTTP status and reason, and every relative link in README and docs/ resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ERROR_CODES } from '@qm/api';
import { REPO_ROOT } from './support/platform.js';

test('docs/api-reference.md lists every error code with its HTTP status and reason', () => {
  const text = readFileSync(join(REPO_ROOT, 'docs', 'api-reference.md'), 'utf8');
  const rows = new Map<string, { http: number; reason: string }>();
  for (const m of text.matchAll(/^\| `(\w+)` \| (\d+) \| `(\w+)` \|/gm)) rows.set(m[1]!, { http: Number(m[2]), reason: m[3]! });
  for (const [code, entry] of Object.entries(ERROR_CODES)) {
    assert.deepEqual(rows.get(code), { http: entry.httpStatus, reason: entry.reason }, `error code ${code} in docs/api-reference.md`);
  }
  assert.deepEqual([...rows.keys()].filter((c) => !(c in ERROR_CODES)), [], 'docs list codes the registry does not have');
});

test('relative links in README.md and docs/ point at files that exist', () => {
  const files = ['README.md', ...readdirSync(join(REPO_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(REPO_ROOT, file), 'utf8');
    for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = m[1]!;
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(join(REPO_ROOT, dirname(file), target))) broken.push(`${file} → ${target}`);
    }
  }
  assert.deepEqual(broken, []);
});
