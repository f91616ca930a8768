import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { NodeObject, NodePool } from '@qm/api';
import { DEFAULT_GPU_MODEL_REFERENCE, DEFAULT_INSTANCE_PRICES, DEFAULT_SPOT_FRACTION } from './default-prices.js';
import { buildPriceBook, canonicalGpuModel, gpuHourPrice } from './price-book.js';
import { nodeCapacityType, resolveNodePrice, splitNodePrice } from './node-price.js';

const API = 'ml.quartermaster.dev/v1alpha1';

function node(name: string, labels: Record<string, string>, capacity: Record<string, string | number>, taints?: NodeObject['spec']): NodeObject {
  return { apiVersion: API, kind: 'Node', metadata: { name, labels }, ...(taints ? { spec: taints } : {}), status: { capacity } } as NodeObject;
}

function pool(name: string, spec: Partial<NodePool['spec']>): NodePool {
  return { apiVersion: API, kind: 'NodePool', metadata: { name }, spec: { maxNodes: 10, ...spec } } as NodePool;
}

const a100 = (labels: Record<string, string> = {}) => node('gpu-1', { 'quartermaster.dev/gpu-model': 'A100-80GB', ...labels }, { cpu: '96', memory: '1152Gi', 'nvidia.com/gpu': 8 });

test('every built-in instance has a source, a date and positive prices; every model reference exists', () => {
  for (const i of DEFAULT_INSTANCE_PRICES) {
    assert.ok(i.onDemandPerHour > 0 && i.spotPerHour > 0 && i.spotPerHour < i.onDemandPerHour, i.name);
    assert.match(i.source, /^https:\/\//, i.name);
    assert.match(i.asOf, /^\d{4}-\d{2}$/, i.name);
  }
  for (const [model, ref] of Object.entries(DEFAULT_GPU_MODEL_REFERENCE)) {
    const inst = DEFAULT_INSTANCE_PRICES.find((i) => i.name === ref);
    assert.equal(inst?.gpuModel, model, `${model} → ${ref}`);
  }
});

test('resolveNodePrice: pool price, then instance type, then GPU model, else unpriced with a reason', () => {
  const book = buildPriceBook();
  const cases: Array<{ name: string; node: NodeObject; pool?: NodePool; source?: string; usdPerHour?: number; reason?: RegExp }> = [
    { name: 'pool price wins', node: a100(), pool: pool('p', { pricePerHour: 20, instanceType: 'p4de.24xlarge' }), source: 'pool', usdPerHour: 20 },
    { name: 'instance type from the pool', node: a100(), pool: pool('p', { instanceType: 'p4de.24xlarge' }), source: 'instance', usdPerHour: 40.9657 },
    { name: 'instance type from the node label, spot', node: a100({ 'node.kubernetes.io/instance-type': 'p4d.24xlarge', 'quartermaster.dev/capacity-type': 'spot' }), source: 'instance', usdPerHour: 13.109 },
    { name: 'GPU model price × GPUs', node: a100(), source: 'gpu-model', usdPerHour: 40.9657 },
    { name: 'model name in another case', node: node('g', { 'quartermaster.dev/gpu-model': 'h100' }, { cpu: 8, memory: '64Gi', 'nvidia.com/gpu': 1 }), source: 'gpu-model', usdPerHour: 98.32 / 8 },
    { name: 'unknown GPU model', node: node('g', { 'quartermaster.dev/gpu-model': 'B300' }, { 'nvidia.com/gpu': 8 }), reason: /GPU model B300 has no gpuHour price/ },
    { name: 'CPU-only node without pool price', node: node('c', {}, { cpu: 8, memory: '32Gi' }), reason: /unpriced: no NodePool; no instance type; no GPU model/ },
  ];
  for (const c of cases) {
    const price = resolveNodePrice(c.node, book, c.pool);
    if (c.reason) {
      assert.equal(price.priced, false, c.name);
      if (!price.priced) assert.match(price.reason, c.reason, c.name);
      continue;
    }
    assert.equal(price.priced, true, c.name);
    if (!price.priced) continue;
    assert.equal(price.source, c.source, c.name);
    assert.ok(Math.abs(price.usdPerHour - c.usdPerHour!) < 1e-9, `${c.name}: ${price.usdPerHour}`);
    const cap = price.capacity;
    const recomposed = cap.gpus * price.rates.gpuHour + cap.cpuCores * price.rates.cpuCoreHour + cap.memoryGiB * price.rates.memoryGiBHour;
    assert.ok(Math.abs(recomposed - price.usdPerHour) < 1e-9, `${c.name}: rates recompose the node price`);
  }
});

test('operator catalog overrides defaults; its gpuHour spot comes from its own instance ratio or the estimate', () => {
  const book = buildPriceBook([
    { apiVersion: API, kind: 'PriceCatalog', metadata: { name: 'ours' }, spec: {
      instances: [{ name: 'box-h100', gpuModel: 'H100', gpus: 8, onDemandPerHour: 40, spotPerHour: 10 }],
      gpuHour: { h100: 5, 'MI300X': 4 },
    } },
  ]);
  assert.deepEqual(pick(gpuHourPrice(book, 'H100')), { onDemandPerHour: 5, spotPerHour: 1.25, spotIsEstimate: false });
  assert.deepEqual(pick(gpuHourPrice(book, 'mi300x')), { onDemandPerHour: 4, spotPerHour: 4 * DEFAULT_SPOT_FRACTION, spotIsEstimate: true });
  assert.equal(gpuHourPrice(buildPriceBook([], { defaults: false }), 'H100'), undefined, 'no defaults: nothing priced');
});

test('canonicalGpuModel accepts case and aliases, refuses unknowns', () => {
  const known = ['A100-80GB', 'H100', 'V100-16GB'];
  assert.equal(canonicalGpuModel('a100-80gb', known), 'A100-80GB');
  assert.equal(canonicalGpuModel('V100', known), 'V100-16GB');
  assert.equal(canonicalGpuModel('H100-SXM', known), 'H100');
  assert.equal(canonicalGpuModel('A100', known), undefined);
});

test('splitNodePrice caps the host share at half a GPU node and puts a CPU node wholly on CPU and memory', () => {
  const host = buildPriceBook().host;
  const cheap = splitNodePrice(0.1, { gpus: 1, cpuCores: 96, memoryGiB: 1024 }, 'on-demand', host);
  assert.ok(Math.abs(cheap.gpuHour - 0.05) < 1e-12, 'GPU keeps at least half');
  const cpu = splitNodePrice(2, { gpus: 0, cpuCores: 16, memoryGiB: 64 }, 'on-demand', host);
  assert.ok(Math.abs(16 * cpu.cpuCoreHour + 64 * cpu.memoryGiBHour - 2) < 1e-12);
  assert.deepEqual(splitNodePrice(3, { gpus: 0, cpuCores: 0, memoryGiB: 0 }, 'spot', host), { gpuHour: 0, cpuCoreHour: 0, memoryGiBHour: 0 });
});

test('nodeCapacityType: label, then pool, then the spot taint', () => {
  const spotTaint = { taints: [{ key: 'quartermaster.dev/capacity-type', value: 'spot', effect: 'NoSchedule' as const }] };
  assert.equal(nodeCapacityType(a100({ 'quartermaster.dev/capacity-type': 'spot' })), 'spot');
  assert.equal(nodeCapacityType(a100(), pool('p', { capacityType: 'spot' })), 'spot');
  assert.equal(nodeCapacityType(node('n', {}, {}, spotTaint)), 'spot');
  assert.equal(nodeCapacityType(a100()), 'on-demand');
});

function pick(r: { onDemandPerHour: number; spotPerHour: number; spotIsEstimate: boolean } | undefined) {
  return r && { onDemandPerHour: r.onDemandPerHour, spotPerHour: r.spotPerHour, spotIsEstimate: r.spotIsEstimate };
}
