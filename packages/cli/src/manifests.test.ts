import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT_USAGE } from './errors.js';
import { parseManifestText, readManifests } from './manifests.js';

const ns = (name: string) => `apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${name}\n`;

test('parseManifestText splits documents, skips empty ones and counts every document', () => {
  const cases: [string, string, string[], string[]][] = [
    ['one document', ns('a'), ['f.yaml#1'], ['a']],
    ['two documents', `${ns('a')}---\n${ns('b')}`, ['f.yaml#1', 'f.yaml#2'], ['a', 'b']],
    ['leading separator and empty documents', `---\n${ns('a')}---\n# only a comment\n---\n---\n${ns('b')}`, ['f.yaml#1', 'f.yaml#4'], ['a', 'b']],
    ['empty file', '', [], []],
    ['a List is expanded', 'apiVersion: v1\nkind: List\nitems:\n  - {apiVersion: v1, kind: Namespace, metadata: {name: x}}\n  - {apiVersion: v1, kind: Namespace, metadata: {name: y}}\n',
      ['f.yaml#1.items[0]', 'f.yaml#1.items[1]'], ['x', 'y']],
    ['JSON', '{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "j"}}', ['f.yaml#1'], ['j']],
  ];
  for (const [name, text, labels, names] of cases) {
    const docs = parseManifestText(text, 'f.yaml');
    assert.deepEqual(docs.map((d) => d.label), labels, name);
    assert.deepEqual(docs.map((d) => d.object?.metadata.name), names, name);
  }
});

test('a document that is not an object is flagged, not dropped', () => {
  const docs = parseManifestText(`${ns('a')}---\n- just\n- a list\n---\nhello\n`, 'f.yaml');
  assert.equal(docs.length, 3);
  assert.equal(docs[0].problem, undefined);
  assert.match(docs[1].problem ?? '', /is a list/);
  assert.match(docs[2].problem ?? '', /is a string/);
});

test('YAML syntax errors name the file, line and column and yield no documents', () => {
  const cases: [string, string, RegExp][] = [
    ['bad indentation on line 4', `${ns('a')}---\napiVersion: v1\n kind: Namespace\n`, /^f\.yaml:6:\d+: invalid YAML: /],
    ['unclosed flow mapping', 'metadata: {name: a\n', /^f\.yaml:\d+:\d+: invalid YAML: /],
    ['duplicate key', 'kind: A\nkind: B\n', /^f\.yaml:2:1: invalid YAML: Map keys must be unique/],
    ['tab indentation', 'metadata:\n\tname: a\n', /^f\.yaml:2:\d+: invalid YAML/],
  ];
  for (const [name, text, want] of cases) {
    assert.throws(() => parseManifestText(text, 'f.yaml'), (err: unknown) => {
      assert.ok(err instanceof CliError, name);
      assert.equal(err.exitCode, EXIT_USAGE, name);
      assert.match(err.message, want, name);
      return true;
    }, name);
  }
});

test('readManifests walks directories recursively in sorted order, reads stdin, and keeps bad files apart', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'qm-manifests-'));
  try {
    mkdirSync(join(dir, 'sub'));
    mkdirSync(join(dir, '.hidden'));
    writeFileSync(join(dir, 'b.yaml'), ns('b'));
    writeFileSync(join(dir, 'a.yml'), ns('a'));
    writeFileSync(join(dir, 'sub', 'c.json'), JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'c' } }));
    writeFileSync(join(dir, 'notes.txt'), 'not a manifest');
    writeFileSync(join(dir, '.hidden', 'h.yaml'), ns('h'));
    writeFileSync(join(dir, 'z-bad.yaml'), 'kind: [unclosed\n');
    const stdin = (async function* () { yield ns('from-stdin'); })();
    const set = await readManifests(['.', '-'], { cwd: dir, stdin });
    assert.deepEqual(set.docs.map((d) => d.object?.metadata.name), ['a', 'b', 'c', 'from-stdin']);
    assert.deepEqual(set.docs.map((d) => d.source), ['a.yml', 'b.yaml', 'sub/c.json', '<stdin>']);
    assert.equal(set.fileErrors.length, 1);
    assert.match(set.fileErrors[0].message, /^z-bad\.yaml:2:1: invalid YAML: Flow sequence/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('readManifests refuses missing paths and empty input lists with exit 2', async () => {
  const stdin = (async function* () {})();
  const cases: [string, string[], RegExp][] = [
    ['missing file', ['/nonexistent/x.yaml'], /cannot read \/nonexistent\/x\.yaml: no such file or directory/],
    ['no -f', [], /no manifests given/],
    ['stdin twice', ['-', '-'], /only once/],
  ];
  for (const [name, args, want] of cases) {
    await assert.rejects(readManifests(args, { cwd: '/', stdin }), (err: unknown) => err instanceof CliError && err.exitCode === EXIT_USAGE && want.test(err.message), name);
  }
});
