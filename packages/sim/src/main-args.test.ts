import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMainArgs } from './main-args.js';

const cases = [
  { name: 'file only: table output', argv: ['s.yaml'], want: { ok: true, args: { file: 's.yaml', output: 'table', untilSeconds: undefined } } },
  { name: 'json and until', argv: ['s.yaml', '-o', 'json', '--until', '6h'], want: { ok: true, args: { file: 's.yaml', output: 'json', untilSeconds: 21600 } } },
  { name: 'long output flag', argv: ['--output=table', 's.yaml'], want: { ok: true, args: { file: 's.yaml', output: 'table', untilSeconds: undefined } } },
  { name: 'help', argv: ['--help'], want: { ok: true, help: true } },
];
for (const c of cases) {
  test(`parseMainArgs: ${c.name}`, () => assert.deepEqual(parseMainArgs(c.argv), c.want));
}

const bad = [
  { name: 'no file', argv: [], message: /missing the scenario FILE/ },
  { name: 'two files', argv: ['a.yaml', 'b.yaml'], message: /expected one scenario FILE, got 2/ },
  { name: 'bad format', argv: ['s.yaml', '-o', 'yaml'], message: /-o must be json or table, got "yaml"/ },
  { name: 'bad duration', argv: ['s.yaml', '--until', 'soon'], message: /^--until: invalid duration "soon"/ },
  { name: 'unknown flag', argv: ['s.yaml', '--fast'], message: /--fast/ },
];
for (const c of bad) {
  test(`parseMainArgs refuses: ${c.name}`, () => {
    const r = parseMainArgs(c.argv);
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, c.message);
  });
}
