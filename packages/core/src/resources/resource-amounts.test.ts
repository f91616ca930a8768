import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isQmError } from '@qm/api';
import {
  add, addInto, describeAmount, dominantShare, equalResources, firstShortfall, fits, formatResources, isEmpty, scale, sub, toAmount, toResources,
  type Resources,
} from './resource-amounts.js';

const parseCases: Array<{ name: string; list: Record<string, string | number>; want: Resources }> = [
  { name: 'cpu in millicores from a whole number', list: { cpu: 2 }, want: { cpu: 2000 } },
  { name: 'cpu in millicores from a milli string', list: { cpu: '500m' }, want: { cpu: 500 } },
  { name: 'memory in bytes from a binary suffix', list: { memory: '1Gi' }, want: { memory: 1024 ** 3 } },
  { name: 'memory in bytes from a decimal suffix', list: { memory: '2G' }, want: { memory: 2e9 } },
  { name: 'GPUs and MIG slices are counts', list: { 'nvidia.com/gpu': '4', 'nvidia.com/mig-1g.10gb': 2 }, want: { 'nvidia.com/gpu': 4, 'nvidia.com/mig-1g.10gb': 2 } },
  { name: 'zero amounts are dropped', list: { cpu: 0, 'nvidia.com/gpu': 1 }, want: { 'nvidia.com/gpu': 1 } },
];
for (const c of parseCases) test(`toResources: ${c.name}`, () => assert.deepEqual(toResources(c.list), c.want));

test('toResources: absent list is empty', () => assert.deepEqual(toResources(undefined), {}));

test('toAmount: a bad quantity is Invalid and names the field', () => {
  assert.throws(() => toAmount('memory', 'lots', 'spec.resources.memory'), (err: unknown) => {
    assert.ok(isQmError(err, 'Invalid'));
    assert.match((err as Error).message, /^spec\.resources\.memory: /);
    return true;
  });
});

const mathCases: Array<{ name: string; got: () => unknown; want: unknown }> = [
  { name: 'add keeps keys of both', got: () => add({ cpu: 1 }, { memory: 2 }), want: { cpu: 1, memory: 2 } },
  { name: 'sub may go negative', got: () => sub({ cpu: 1 }, { cpu: 3 }), want: { cpu: -2 } },
  { name: 'addInto with times', got: () => { const t: Resources = { cpu: 1 }; addInto(t, { cpu: 2 }, 3); return t; }, want: { cpu: 7 } },
  { name: 'scale multiplies every amount', got: () => scale({ cpu: 500, 'nvidia.com/gpu': 2 }, 4), want: { cpu: 2000, 'nvidia.com/gpu': 8 } },
  { name: 'fits when every amount is covered', got: () => fits({ cpu: 1, 'nvidia.com/gpu': 8 }, { cpu: 1, 'nvidia.com/gpu': 8, memory: 5 }), want: true },
  { name: 'does not fit when one amount is short', got: () => fits({ cpu: 1, 'nvidia.com/gpu': 8 }, { cpu: 1, 'nvidia.com/gpu': 7 }), want: false },
  { name: 'a resource the node lacks does not fit', got: () => fits({ 'nvidia.com/mig-1g.10gb': 1 }, { 'nvidia.com/gpu': 8 }), want: false },
  { name: 'zero requests always fit', got: () => fits({ 'nvidia.com/gpu': 0 }, {}), want: true },
  { name: 'first shortfall in name order', got: () => firstShortfall({ memory: 9, cpu: 9 }, { memory: 1, cpu: 1 }), want: 'cpu' },
  { name: 'no shortfall', got: () => firstShortfall({ cpu: 1 }, { cpu: 1 }), want: undefined },
  { name: 'isEmpty ignores zeros', got: () => isEmpty({ cpu: 0 }), want: true },
  { name: 'equalResources treats absent as zero', got: () => equalResources({ cpu: 1, memory: 0 }, { cpu: 1 }), want: true },
  { name: 'equalResources sees a difference', got: () => equalResources({ cpu: 1 }, { cpu: 2 }), want: false },
];
for (const c of mathCases) test(`math: ${c.name}`, () => assert.deepEqual(c.got(), c.want));

const shareCases: Array<{ name: string; amounts: Resources; total: Resources; want: number }> = [
  { name: 'one resource', amounts: { 'nvidia.com/gpu': 4 }, total: { 'nvidia.com/gpu': 16 }, want: 0.25 },
  { name: 'the largest share wins', amounts: { 'nvidia.com/gpu': 4, cpu: 48_000 }, total: { 'nvidia.com/gpu': 16, cpu: 64_000 }, want: 0.75 },
  { name: 'resources the total lacks are skipped', amounts: { 'nvidia.com/mig-1g.10gb': 3 }, total: { 'nvidia.com/gpu': 16 }, want: 0 },
  { name: 'negative amounts count as nothing', amounts: { 'nvidia.com/gpu': -2 }, total: { 'nvidia.com/gpu': 16 }, want: 0 },
];
for (const c of shareCases) test(`dominantShare: ${c.name}`, () => assert.equal(dominantShare(c.amounts, c.total), c.want));

const roundTrips: Array<Record<string, string | number>> = [
  { cpu: '500m' }, { cpu: '8' }, { memory: '64Gi' }, { memory: '1Ti' }, { 'nvidia.com/gpu': 8 }, { cpu: '1500m', memory: '512Mi', 'nvidia.com/mig-3g.40gb': 2 },
];
for (const list of roundTrips) {
  test(`formatResources round trip: ${JSON.stringify(list)}`, () => {
    const parsed = toResources(list);
    assert.deepEqual(toResources(formatResources(parsed)), parsed);
  });
}

test('formatResources: names in order, zeros dropped, cpu as millis, memory binary', () => {
  assert.deepEqual(formatResources({ memory: 1024 ** 3, cpu: 500, 'nvidia.com/gpu': 0 }), { cpu: '500m', memory: '1Gi' });
});

const describeCases: Array<[string, number, string]> = [
  ['nvidia.com/gpu', 1, '1 GPU'], ['nvidia.com/gpu', 8, '8 GPUs'], ['cpu', 500, '500m CPU'], ['cpu', 2000, '2 CPU'],
  ['memory', 64 * 1024 ** 3, '64Gi memory'], ['nvidia.com/mig-1g.10gb', 2, '2 nvidia.com/mig-1g.10gb'],
];
for (const [name, amount, want] of describeCases) test(`describeAmount ${name} ${amount}`, () => assert.equal(describeAmount(name, amount), want));
