import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from '@qm/api';
import { makeNode, makeQueue } from '../../testing/builders.js';
import { InputBuilder } from './build-input.js';
import type { Mirror } from './mirror.js';

/** A mirror over fixed lists, enough for InputBuilder. */
function mirrorOf(objects: ApiObject[]): Mirror {
  const byKind = new Map<string, ApiObject[]>();
  for (const o of objects) byKind.set(o.kind, [...(byKind.get(o.kind) ?? []), o]);
  return { list: (kind: string) => byKind.get(kind) ?? [], values: (kind: string) => byKind.get(kind) ?? [], versions: new Map<string, number>() } as unknown as Mirror;
}

/** The same object as the store would return it after an update: a new object and resourceVersion. */
function updated(obj: ApiObject, change: (o: ApiObject) => ApiObject): ApiObject {
  return change({ ...obj, metadata: { ...obj.metadata, resourceVersion: String(Number(obj.metadata.resourceVersion ?? 1) + 1) } });
}

const quota = (used: number, hardGpus = 8): ApiObject => ({
  apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'gpu-cap', namespace: 'team-a', resourceVersion: '1' },
  spec: { hard: { 'requests.nvidia.com/gpu': String(hardGpus) } }, status: { used: { 'requests.nvidia.com/gpu': String(used) } },
});

describe('InputBuilder keeps an input whose object changed in nothing the scheduler reads', () => {
  const node = { ...makeNode('n1'), metadata: { ...makeNode('n1').metadata, resourceVersion: '1' } };
  const queue = makeQueue('team-a', { namespaces: ['team-a'] });
  const cases: Array<{ name: string; before: ApiObject; after: ApiObject; pick: (b: ReturnType<InputBuilder['build']>) => unknown; same: boolean }> = [
    {
      name: 'a node whose status gained a field the scheduler ignores keeps its input',
      before: node, after: updated(node, (o) => ({ ...o, status: { ...o.status, lastHeartbeatTime: '2026-11-29T10:00:00Z' } })),
      pick: (b) => b.nodes[0], same: true,
    },
    {
      name: 'a node with new labels gets a new input',
      before: node, after: updated(node, (o) => ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, zone: 'b' } } })),
      pick: (b) => b.nodes[0], same: false,
    },
    {
      name: 'a cordoned node gets a new input',
      before: node, after: updated(node, (o) => ({ ...o, spec: { ...o.spec, unschedulable: true } })),
      pick: (b) => b.nodes[0], same: false,
    },
    {
      name: 'a ResourceQuota whose status.used moved keeps its input',
      before: quota(2), after: updated(quota(2), () => ({ ...quota(5), metadata: { ...quota(5).metadata, resourceVersion: '2' } })),
      pick: (b) => b.namespaceQuotas[0], same: true,
    },
    {
      name: 'a ResourceQuota with a new hard cap gets a new input',
      before: quota(2), after: { ...quota(2, 16), metadata: { ...quota(2, 16).metadata, resourceVersion: '2' } },
      pick: (b) => b.namespaceQuotas[0], same: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const builder = new InputBuilder();
      const first = c.pick(builder.build(mirrorOf([queue, c.before])));
      const second = c.pick(builder.build(mirrorOf([queue, c.after])));
      assert.ok(first !== undefined && second !== undefined);
      if (c.same) assert.equal(second, first);
      else {
        assert.notEqual(second, first);
        assert.notDeepEqual(second, first);
      }
    });
  }
});
