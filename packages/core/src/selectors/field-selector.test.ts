import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isQmError } from '@qm/api';
import { fieldValueAt, matchesFieldSelector, parseFieldSelector, type FieldRequirement } from './field-selector.js';

describe('parseFieldSelector', () => {
  const cases: Array<{ name: string; text: string; want: FieldRequirement[] }> = [
    { name: 'empty selects everything', text: '', want: [] },
    { name: 'equals', text: 'metadata.name=bert', want: [{ field: 'metadata.name', operator: 'Equals', value: 'bert' }] },
    { name: 'double equals', text: 'status.phase==Running', want: [{ field: 'status.phase', operator: 'Equals', value: 'Running' }] },
    { name: 'not equals', text: 'status.phase!=Failed', want: [{ field: 'status.phase', operator: 'NotEquals', value: 'Failed' }] },
    { name: 'empty value', text: 'metadata.namespace=', want: [{ field: 'metadata.namespace', operator: 'Equals', value: '' }] },
    {
      name: 'several terms', text: 'metadata.namespace=a,status.phase!=Done',
      want: [
        { field: 'metadata.namespace', operator: 'Equals', value: 'a' },
        { field: 'status.phase', operator: 'NotEquals', value: 'Done' },
      ],
    },
    { name: 'escaped comma and equals in value', text: 'metadata.annotations.note=a\\,b\\=c\\\\', want: [{ field: 'metadata.annotations.note', operator: 'Equals', value: 'a,b=c\\' }] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(parseFieldSelector(c.text), c.want));
  }

  const bad: Array<{ name: string; text: string; mentions: RegExp }> = [
    { name: 'no operator', text: 'status.phase', mentions: /no operator/ },
    { name: 'empty field', text: '=x', mentions: /not a dotted field path/ },
    { name: 'empty path segment', text: 'status..phase=x', mentions: /not a dotted field path/ },
    { name: 'unescaped equals in value', text: 'a=b=c', mentions: /unescaped "="/ },
    { name: 'bad escape', text: 'a=b\\x', mentions: /invalid escape/ },
    { name: 'empty term', text: 'a=b,,c=d', mentions: /no operator/ },
  ];
  for (const c of bad) {
    it(`rejects: ${c.name}`, () => {
      assert.throws(() => parseFieldSelector(c.text), (err: unknown) => {
        assert.ok(isQmError(err, 'BadRequest'));
        assert.match(err.message, c.mentions);
        return true;
      });
    });
  }
});

describe('matchesFieldSelector', () => {
  const job = {
    kind: 'TrainingJob',
    metadata: { name: 'bert', namespace: 'team-nlp' },
    spec: { workers: 4, useSpot: true },
    status: { phase: 'Running' },
  };
  const node = { kind: 'Node', metadata: { name: 'gpu-1' } };
  const cases: Array<{ name: string; selector: string; obj: unknown; want: boolean }> = [
    { name: 'name equals', selector: 'metadata.name=bert', obj: job, want: true },
    { name: 'name differs', selector: 'metadata.name=gpt', obj: job, want: false },
    { name: 'nested status', selector: 'status.phase=Running', obj: job, want: true },
    { name: 'not equals on same', selector: 'status.phase!=Running', obj: job, want: false },
    { name: 'number compared as text', selector: 'spec.workers=4', obj: job, want: true },
    { name: 'boolean compared as text', selector: 'spec.useSpot=true', obj: job, want: true },
    { name: 'missing field equals empty', selector: 'metadata.namespace=', obj: node, want: true },
    { name: 'missing field is not a value', selector: 'status.phase=Running', obj: node, want: false },
    { name: 'missing field differs from a value', selector: 'status.phase!=Running', obj: node, want: true },
    { name: 'all terms must hold', selector: 'metadata.namespace=team-nlp,status.phase=Pending', obj: job, want: false },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(matchesFieldSelector(parseFieldSelector(c.selector), c.obj), c.want));
  }

  it('fieldValueAt renders objects as JSON and stops at scalars', () => {
    assert.equal(fieldValueAt(job, 'status'), '{"phase":"Running"}');
    assert.equal(fieldValueAt(job, 'metadata.name.length'), '');
  });
});
