import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isQmError } from '@qm/api';
import {
  formatLabelSelector, labelSelectorFromObject, matchesLabelSelector, parseLabelSelector,
  type LabelRequirement,
} from './label-selector.js';

describe('parseLabelSelector', () => {
  const cases: Array<{ name: string; text: string; want: LabelRequirement[] }> = [
    { name: 'empty selects everything', text: '', want: [] },
    { name: 'blank selects everything', text: '   ', want: [] },
    { name: 'equals', text: 'app=web', want: [{ key: 'app', operator: 'In', values: ['web'] }] },
    { name: 'double equals', text: 'app==web', want: [{ key: 'app', operator: 'In', values: ['web'] }] },
    { name: 'not equals', text: 'app!=web', want: [{ key: 'app', operator: 'NotIn', values: ['web'] }] },
    { name: 'empty value', text: 'app=', want: [{ key: 'app', operator: 'In', values: [''] }] },
    { name: 'exists', text: 'gpu', want: [{ key: 'gpu', operator: 'Exists', values: [] }] },
    { name: 'does not exist', text: '!legacy', want: [{ key: 'legacy', operator: 'DoesNotExist', values: [] }] },
    { name: 'in set with spaces', text: 'env in ( a , b )', want: [{ key: 'env', operator: 'In', values: ['a', 'b'] }] },
    { name: 'notin set', text: 'env notin (dev)', want: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] },
    { name: 'prefixed key', text: 'quartermaster.dev/gpu-model=H100', want: [{ key: 'quartermaster.dev/gpu-model', operator: 'In', values: ['H100'] }] },
    {
      name: 'several requirements', text: 'app=web, tier!=db ,env in (a,b),!legacy,gpu',
      want: [
        { key: 'app', operator: 'In', values: ['web'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'env', operator: 'In', values: ['a', 'b'] },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
        { key: 'gpu', operator: 'Exists', values: [] },
      ],
    },
    { name: 'key named like an operator when used as exists', text: 'app,in', want: [{ key: 'app', operator: 'Exists', values: [] }, { key: 'in', operator: 'Exists', values: [] }] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(parseLabelSelector(c.text), c.want));
  }

  const bad: Array<{ name: string; text: string; mentions: string }> = [
    { name: 'missing key', text: '=web', mentions: 'expected a label key' },
    { name: 'trailing comma', text: 'app=web,', mentions: 'trailing' },
    { name: 'unclosed set', text: 'env in (a,b', mentions: 'expected "," or ")"' },
    { name: 'empty set', text: 'env in ()', mentions: 'must not be empty' },
    { name: 'set without parenthesis', text: 'env in a', mentions: 'expected "("' },
    { name: 'unknown operator word', text: 'env is a', mentions: 'expected "=", "==", "!="' },
    { name: 'greater-than is unsupported', text: 'gpus>2', mentions: 'not supported' },
    { name: 'bad key characters', text: 'app$=web', mentions: 'label key "app$"' },
    { name: 'bad prefix', text: 'Bad_Prefix/app=web', mentions: 'prefix' },
    { name: 'value too long', text: `app=${'a'.repeat(64)}`, mentions: 'label value' },
    { name: 'two values', text: 'app=web db', mentions: 'expected "," or end' },
    { name: 'bang without key', text: '!', mentions: 'expected a label key' },
  ];
  for (const c of bad) {
    it(`rejects: ${c.name}`, () => {
      assert.throws(() => parseLabelSelector(c.text), (err: unknown) => {
        assert.ok(isQmError(err, 'BadRequest'));
        assert.match(err.message, new RegExp(c.mentions.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
        assert.equal(err.details.causes?.[0]?.field, 'labelSelector');
        return true;
      });
    });
  }
});

describe('matchesLabelSelector', () => {
  const labels = { app: 'web', env: 'prod', gpu: '' };
  const cases: Array<{ name: string; selector: string; labels: Record<string, string> | undefined; want: boolean }> = [
    { name: 'empty selector matches anything', selector: '', labels: undefined, want: true },
    { name: 'equal value', selector: 'app=web', labels, want: true },
    { name: 'different value', selector: 'app=db', labels, want: false },
    { name: 'missing key fails equals', selector: 'team=a', labels, want: false },
    { name: 'not equals with other value', selector: 'app!=db', labels, want: true },
    { name: 'not equals with same value', selector: 'app!=web', labels, want: false },
    { name: 'not equals matches missing key', selector: 'team!=a', labels, want: true },
    { name: 'in set', selector: 'env in (dev,prod)', labels, want: true },
    { name: 'not in set', selector: 'env in (dev,test)', labels, want: false },
    { name: 'notin matches missing key', selector: 'team notin (a)', labels, want: true },
    { name: 'notin refuses member', selector: 'env notin (prod)', labels, want: false },
    { name: 'exists with empty value', selector: 'gpu', labels, want: true },
    { name: 'exists on missing', selector: 'team', labels, want: false },
    { name: 'does not exist on missing', selector: '!team', labels, want: true },
    { name: 'does not exist on present', selector: '!gpu', labels, want: false },
    { name: 'and of all', selector: 'app=web,env!=dev,!team', labels, want: true },
    { name: 'one failing clause fails all', selector: 'app=web,env=dev', labels, want: false },
    { name: 'no labels fail exists', selector: 'app', labels: undefined, want: false },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(matchesLabelSelector(parseLabelSelector(c.selector), c.labels), c.want));
  }
});

describe('formatLabelSelector', () => {
  const cases = ['app=web', 'app!=web', 'env in (a,b)', 'env notin (a,b)', 'gpu', '!legacy', 'app=web,!legacy,env in (a,b)'];
  for (const text of cases) {
    it(`round-trips ${text}`, () => {
      const reqs = parseLabelSelector(text);
      assert.equal(formatLabelSelector(reqs), text);
      assert.deepEqual(parseLabelSelector(formatLabelSelector(reqs)), reqs);
    });
  }
});

describe('labelSelectorFromObject', () => {
  it('converts matchLabels and every operator', () => {
    const reqs = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'env', operator: 'In', values: ['a', 'b'] },
        { key: 'tier', operator: 'NotIn', values: ['db'] },
        { key: 'gpu', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist', values: [] },
      ],
    });
    assert.deepEqual(reqs, [
      { key: 'app', operator: 'In', values: ['web'] },
      { key: 'env', operator: 'In', values: ['a', 'b'] },
      { key: 'tier', operator: 'NotIn', values: ['db'] },
      { key: 'gpu', operator: 'Exists', values: [] },
      { key: 'legacy', operator: 'DoesNotExist', values: [] },
    ]);
    assert.equal(matchesLabelSelector(reqs, { app: 'web', env: 'a', gpu: '1' }), true);
    assert.equal(matchesLabelSelector(reqs, { app: 'web', env: 'a' }), false);
  });

  it('an empty object selects everything', () => {
    assert.deepEqual(labelSelectorFromObject({}), []);
  });

  const bad: Array<{ name: string; sel: Parameters<typeof labelSelectorFromObject>[0]; field: string }> = [
    { name: 'unknown operator', sel: { matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, field: 'spec.selector.matchExpressions[0].operator' },
    { name: 'In without values', sel: { matchExpressions: [{ key: 'a', operator: 'In' }] }, field: 'spec.selector.matchExpressions[0].values' },
    { name: 'Exists with values', sel: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] }, field: 'spec.selector.matchExpressions[0].values' },
    { name: 'bad key', sel: { matchExpressions: [{ key: '-a', operator: 'Exists' }] }, field: 'spec.selector.matchExpressions[0].key' },
    { name: 'bad matchLabels value', sel: { matchLabels: { app: 'has space' } }, field: 'spec.selector.matchLabels.app' },
  ];
  for (const c of bad) {
    it(`rejects: ${c.name}`, () => {
      assert.throws(() => labelSelectorFromObject(c.sel, 'spec.selector'), (err: unknown) => {
        assert.ok(isQmError(err, 'Invalid'));
        assert.equal(err.details.causes?.[0]?.field, c.field);
        return true;
      });
    });
  }
});
