import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SPOT_TAINT } from '@qm/api';
import type { NodeInput, WorkloadInput } from '../types.js';
import { workloadInput, type WorkloadFields } from '../workload-input.js';
import {
  freeResourcesPlugin, migPlugin, nodeConditionPlugin, nodeSelectorPlugin, preferredAffinityScore, requiredAffinityPlugin, staticReject, taintsPlugin, wholePodPlugin,
} from './index.js';

const GPU = 'nvidia.com/gpu';
const MIG = 'nvidia.com/mig-1g.10gb';

function node(o: Partial<NodeInput> = {}): NodeInput {
  return { name: 'n1', labels: { 'quartermaster.dev/gpu-model': 'A100-80GB', zone: 'a' }, taints: [], allocatable: { cpu: 96_000, memory: 2 ** 40, [GPU]: 8 }, deviceIndices: {}, ...o };
}

function workload(o: Partial<WorkloadFields> = {}): WorkloadInput {
  return workloadInput({
    key: { kind: 'TrainingJob', namespace: 'ns', name: 'w' }, id: 'TrainingJob/ns/w', namespace: 'ns', queue: 'q', priority: 0, preemptNever: false,
    createdMs: 0, pendingSinceMs: 0, pods: 1, podRequest: { [GPU]: 1 }, nodeSelector: {}, tolerations: [], useSpot: false, labels: {}, constraintKey: '', ...o,
  });
}

const inTerm = (key: string, values: string[]) => ({ matchExpressions: [{ key, operator: 'In' as const, values }] });

const staticCases: Array<{ name: string; plugin: { check(w: WorkloadInput, n: NodeInput): string | undefined }; w: WorkloadInput; n: NodeInput; want: string | undefined }> = [
  { name: 'condition: schedulable node passes', plugin: nodeConditionPlugin, w: workload(), n: node(), want: undefined },
  { name: 'condition: cordoned node says why', plugin: nodeConditionPlugin, w: workload(), n: node({ unschedulableReason: 'is cordoned' }), want: 'is cordoned' },
  { name: 'selector: matching label passes', plugin: nodeSelectorPlugin, w: workload({ nodeSelector: { zone: 'a' } }), n: node(), want: undefined },
  { name: 'selector: wrong GPU model', plugin: nodeSelectorPlugin, w: workload({ nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' } }), n: node(), want: 'lacks label quartermaster.dev/gpu-model=H100' },
  { name: 'selector: missing label', plugin: nodeSelectorPlugin, w: workload({ nodeSelector: { rack: 'r1' } }), n: node(), want: 'lacks label rack=r1' },
  { name: 'affinity: none required passes', plugin: requiredAffinityPlugin, w: workload(), n: node(), want: undefined },
  { name: 'affinity: one of the OR-ed terms matches', plugin: requiredAffinityPlugin,
    w: workload({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [inTerm('zone', ['b']), inTerm('zone', ['a'])] } } } }), n: node(), want: undefined },
  { name: 'affinity: no term matches', plugin: requiredAffinityPlugin,
    w: workload({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [inTerm('zone', ['b'])] } } } }), n: node(), want: 'does not match required node affinity' },
  { name: 'affinity: NotIn on an absent label matches', plugin: requiredAffinityPlugin,
    w: workload({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'rack', operator: 'NotIn', values: ['r1'] }] }] } } } }), n: node(), want: undefined },
  { name: 'affinity: Gt compares numbers', plugin: requiredAffinityPlugin,
    w: workload({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'gen', operator: 'Gt', values: ['3'] }] }] } } } }),
    n: node({ labels: { gen: '10' } }), want: undefined },
  { name: 'affinity: matchFields on the node name', plugin: requiredAffinityPlugin,
    w: workload({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }] } } } }),
    n: node(), want: 'does not match required node affinity' },
  { name: 'taints: untolerated NoSchedule', plugin: taintsPlugin, w: workload(), n: node({ taints: [{ key: 'gpu', value: 'broken', effect: 'NoSchedule' }] }), want: 'has untolerated taint gpu=broken:NoSchedule' },
  { name: 'taints: PreferNoSchedule never rejects', plugin: taintsPlugin, w: workload(), n: node({ taints: [{ key: 'gpu', effect: 'PreferNoSchedule' }] }), want: undefined },
  { name: 'taints: Equal toleration', plugin: taintsPlugin, w: workload({ tolerations: [{ key: 'gpu', operator: 'Equal', value: 'broken', effect: 'NoSchedule' }] }),
    n: node({ taints: [{ key: 'gpu', value: 'broken', effect: 'NoSchedule' }] }), want: undefined },
  { name: 'taints: Exists with no key tolerates everything', plugin: taintsPlugin, w: workload({ tolerations: [{ operator: 'Exists' }] }),
    n: node({ taints: [{ key: 'a', effect: 'NoExecute' }] }), want: undefined },
  { name: 'taints: toleration with the wrong effect', plugin: taintsPlugin, w: workload({ tolerations: [{ key: 'gpu', operator: 'Exists', effect: 'NoExecute' }] }),
    n: node({ taints: [{ key: 'gpu', effect: 'NoSchedule' }] }), want: 'has untolerated taint gpu:NoSchedule' },
  { name: 'taints: spot taint without useSpot', plugin: taintsPlugin, w: workload(), n: node({ taints: [{ ...SPOT_TAINT }] }), want: `has untolerated taint ${SPOT_TAINT.key}=${SPOT_TAINT.value}:${SPOT_TAINT.effect}` },
  { name: 'taints: useSpot tolerates the spot taint', plugin: taintsPlugin, w: workload({ useSpot: true }), n: node({ taints: [{ ...SPOT_TAINT }] }), want: undefined },
  { name: 'whole pod: 8 GPUs on an 8-GPU node', plugin: wholePodPlugin, w: workload({ podRequest: { [GPU]: 8 } }), n: node(), want: undefined },
  { name: 'whole pod: 16 GPUs never fit one 8-GPU node', plugin: wholePodPlugin, w: workload({ podRequest: { [GPU]: 16 } }), n: node(), want: 'has 8 GPUs in all; one worker needs 16 GPUs' },
  { name: 'whole pod: MIG profile the node lacks', plugin: wholePodPlugin, w: workload({ podRequest: { [MIG]: 1 } }), n: node(), want: `has 0 ${MIG} in all; one worker needs 1 ${MIG}` },
];
for (const c of staticCases) test(`static ${c.name}`, () => assert.equal(c.plugin.check(c.w, c.n), c.want));

const dynamicCases: Array<{ name: string; plugin: { check(w: WorkloadInput, n: NodeInput, free: Record<string, number>): string | undefined }; w: WorkloadInput; free: Record<string, number>; want: string | undefined }> = [
  { name: 'free: enough GPUs', plugin: freeResourcesPlugin, w: workload({ podRequest: { [GPU]: 4 } }), free: { [GPU]: 4 }, want: undefined },
  { name: 'free: too few GPUs', plugin: freeResourcesPlugin, w: workload({ podRequest: { [GPU]: 4 } }), free: { [GPU]: 3 }, want: 'has 3 GPUs free; one worker needs 4 GPUs' },
  { name: 'free: too little CPU', plugin: freeResourcesPlugin, w: workload({ podRequest: { cpu: 2000 } }), free: { cpu: 500 }, want: 'has 500m CPU free; one worker needs 2 CPU' },
  { name: 'free: MIG is left to the MIG plugin', plugin: freeResourcesPlugin, w: workload({ podRequest: { [MIG]: 2 } }), free: {}, want: undefined },
  { name: 'mig: enough slices', plugin: migPlugin, w: workload({ podRequest: { [MIG]: 2 } }), free: { [MIG]: 2 }, want: undefined },
  { name: 'mig: one slice short', plugin: migPlugin, w: workload({ podRequest: { [MIG]: 2 } }), free: { [MIG]: 1 }, want: 'has 1 free 1g.10gb MIG slice; one worker needs 2' },
];
for (const c of dynamicCases) test(`dynamic ${c.name}`, () => assert.equal(c.plugin.check(c.w, node(), c.free), c.want));

test('staticReject: the first plugin in order names the problem', () => {
  const n = node({ unschedulableReason: 'is cordoned', taints: [{ key: 'gpu', effect: 'NoSchedule' }] });
  assert.equal(staticReject(workload({ nodeSelector: { zone: 'b' } }), n), 'is cordoned');
  assert.equal(staticReject(workload({ nodeSelector: { zone: 'b' } }), node()), 'lacks label zone=b');
  assert.equal(staticReject(workload(), node()), undefined);
});

test('preferredAffinityScore sums the weights of matching terms', () => {
  const affinity = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 10, preference: inTerm('zone', ['a']) }, { weight: 5, preference: inTerm('zone', ['b']) }, { weight: 1, preference: inTerm('quartermaster.dev/gpu-model', ['A100-80GB']) },
  ] } };
  assert.equal(preferredAffinityScore(affinity, node()), 11);
  assert.equal(preferredAffinityScore(undefined, node()), 0);
});
