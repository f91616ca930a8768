import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '@qm/store';
import { validateObject } from '@qm/api';
import type { ApiObject } from '@qm/api';
import { buildHostNode, nodeNameFor, parseNvidiaSmi, registerHostNode } from './host-node.js';
import type { HostFacts } from './host-node.js';

const NVIDIA_SMI_OUTPUT = `0, GPU-5d5c2b6e-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559
1, GPU-6e6d3c7f-1111-2222-3333-444455556666, NVIDIA H100 80GB HBM3, 81559
`;

test('parseNvidiaSmi reads index, uuid, normalized model and memory', () => {
  const gpus = parseNvidiaSmi(NVIDIA_SMI_OUTPUT);
  assert.deepEqual(gpus.map(({ product, ...g }) => g), [
    { index: 0, uuid: 'GPU-5d5c2b6e-1111-2222-3333-444455556666', model: 'H100', memoryMiB: 81559 },
    { index: 1, uuid: 'GPU-6e6d3c7f-1111-2222-3333-444455556666', model: 'H100', memoryMiB: 81559 },
  ]);
  assert.equal(gpus[0].product, 'NVIDIA H100 80GB HBM3');
  assert.deepEqual(parseNvidiaSmi(''), []);
  assert.deepEqual(parseNvidiaSmi('No devices were found\n'), []);
});

test('nodeNameFor makes DNS-1123 labels', () => {
  const cases = [
    ['gpu-box-1', 'gpu-box-1'], ['My_Host.Example.COM', 'my-host-example-com'], ['--x--', 'x'], ['', 'localhost'],
    ['a'.repeat(80), 'a'.repeat(63)],
  ];
  for (const [host, want] of cases) assert.equal(nodeNameFor(host), want, host);
});

const facts: HostFacts = {
  hostname: 'Box.local', cpuCount: 16, memoryBytes: 64 * 2 ** 30,
  gpus: parseNvidiaSmi(NVIDIA_SMI_OUTPUT).map(({ product, ...g }) => g), gpuProduct: 'NVIDIA H100 80GB HBM3',
};

test('buildHostNode: labels, capacity and GPUs (real plus virtual)', () => {
  const node = buildHostNode(facts, 2, 0);
  assert.equal(node.metadata.name, 'box-local');
  assert.deepEqual(node.metadata.labels, {
    'kubernetes.io/hostname': 'box-local',
    'quartermaster.dev/gpu-model': 'H100',
    'quartermaster.dev/gpu-count': '4',
    'quartermaster.dev/pool': 'embedded',
    'quartermaster.dev/capacity-type': 'on-demand',
    'quartermaster.dev/virtual-gpus': 'true',
  });
  assert.deepEqual(node.status.capacity, { cpu: '16', memory: `${64 * 1024 * 1024}Ki`, 'nvidia.com/gpu': '4', pods: '110' });
  assert.deepEqual(node.status.allocatable, node.status.capacity);
  assert.deepEqual(node.status.gpus.map((g: { index: number; model: string }) => [g.index, g.model]),
    [[0, 'H100'], [1, 'H100'], [2, 'virtual'], [3, 'virtual']]);
  assert.equal(node.status.conditions[0].type, 'Ready');
  assert.equal(node.status.conditions[0].status, 'True');
  const result = validateObject(node);
  assert.ok(result.ok, `the host Node must pass the API schema: ${JSON.stringify(!result.ok && result.causes)}`);
});

test('buildHostNode: a CPU-only host has no model label; virtual-only GPUs are model "virtual"', () => {
  const cpuOnly = buildHostNode({ ...facts, gpus: [] }, 0, 0);
  assert.equal(cpuOnly.metadata.labels?.['quartermaster.dev/gpu-model'], undefined);
  assert.equal(cpuOnly.metadata.labels?.['quartermaster.dev/gpu-count'], '0');
  assert.equal(cpuOnly.status.capacity['nvidia.com/gpu'], '0');
  const virtualOnly = buildHostNode({ ...facts, gpus: [] }, 3, 0);
  assert.equal(virtualOnly.metadata.labels?.['quartermaster.dev/gpu-model'], 'virtual');
  assert.equal(virtualOnly.status.gpus.length, 3);
});

test('registerHostNode creates the Node, then refreshes it keeping cordon and user labels', async () => {
  const clock = { now: () => 1_700_000_000_000 };
  const store = new MemoryStore(clock);
  const recorded: string[] = [];
  const recorder = { record: (_o: unknown, _t: string, reason: string) => void recorded.push(reason) };
  const first = await registerHostNode(store, { clock, facts, virtualGpus: 1, recorder });
  assert.equal(first.status.capacity['nvidia.com/gpu'], '3');
  assert.deepEqual(recorded, ['Registered']);

  const cordoned: ApiObject = {
    ...first, spec: { ...first.spec, unschedulable: true },
    metadata: { ...first.metadata, labels: { ...first.metadata.labels, team: 'infra' } },
  };
  await store.update(cordoned);

  const second = await registerHostNode(store, { clock, facts, virtualGpus: 0 });
  assert.equal(second.spec.unschedulable, true);
  assert.equal(second.metadata.labels?.team, 'infra');
  assert.equal(second.metadata.labels?.['quartermaster.dev/virtual-gpus'], undefined);
  assert.equal(second.status.capacity['nvidia.com/gpu'], '2');
  assert.equal(second.metadata.uid, first.metadata.uid);
  assert.equal((await store.list('Node')).items.length, 1);
});
