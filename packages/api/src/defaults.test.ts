import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiObject } from './meta.js';
import { applyDefaults } from './defaults.js';
import { validateObject } from './validate.js';
import { exampleKinds, exampleManifest } from './examples.js';
import type { HorizontalPodAutoscaler, Queue, TrainingJob } from './kinds/index.js';

const QM = 'ml.quartermaster.dev/v1alpha1';

describe('applyDefaults', () => {
  it('TrainingJob gets API.md defaults and namespace "default"', () => {
    const job: TrainingJob = { apiVersion: QM, kind: 'TrainingJob', metadata: { name: 'bert' }, spec: { command: ['train'] } };
    const asApiObject: ApiObject = job; // kind types fit the shared envelope
    const out = applyDefaults(asApiObject) as TrainingJob;
    assert.equal(out.metadata.namespace, 'default');
    assert.deepEqual(out.spec, {
      command: ['train'], workers: 1, gpusPerWorker: 0, checkpointKeep: 3, maxRestarts: 3, terminationGracePeriodSeconds: 30, useSpot: false,
    });
    assert.equal(job.metadata.namespace, undefined, 'input not mutated');
    assert.deepEqual(job.spec, { command: ['train'] });
  });

  it('never overrides what the user wrote', () => {
    const job = applyDefaults(exampleManifest('TrainingJob')) as TrainingJob;
    assert.equal(job.metadata.namespace, 'team-nlp');
    assert.equal(job.spec.terminationGracePeriodSeconds, 60);
    assert.equal(job.spec.useSpot, true);
    assert.equal(job.spec.workers, 2);
  });

  it('Queue: weight 1, preemption LowerPriority/Any, no cap invented', () => {
    const q = applyDefaults({ apiVersion: QM, kind: 'Queue', metadata: { name: 'q' } }) as Queue;
    assert.deepEqual(q.spec, { weight: 1, preemption: { withinQueue: 'LowerPriority', reclaim: 'Any' } });
    assert.equal(q.metadata.namespace, undefined);
    const partial = applyDefaults({ apiVersion: QM, kind: 'Queue', metadata: { name: 'q' }, spec: { preemption: { reclaim: 'Never' } } }) as Queue;
    assert.deepEqual(partial.spec?.preemption, { withinQueue: 'LowerPriority', reclaim: 'Never' });
    assert.equal(partial.spec?.max, undefined);
    assert.equal(partial.spec?.lendingLimit, undefined);
  });

  it('cluster-scoped kinds lose a stray namespace (as in Kubernetes)', () => {
    const q = applyDefaults({ apiVersion: QM, kind: 'Queue', metadata: { name: 'q', namespace: 'team-a' } });
    assert.equal(q.metadata.namespace, undefined);
  });

  const specCases: Array<{ name: string; obj: ApiObject; expect: Record<string, unknown> }> = [
    {
      name: 'ModelDeployment replicas, strategy and probe timing',
      obj: { apiVersion: QM, kind: 'ModelDeployment', metadata: { name: 'm' }, spec: { command: ['serve'], readinessProbe: { httpGet: { path: '/' } } } },
      expect: {
        command: ['serve'], replicas: 1, useSpot: false, terminationGracePeriodSeconds: 30,
        strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
        readinessProbe: { httpGet: { path: '/' }, initialDelaySeconds: 0, periodSeconds: 10, timeoutSeconds: 1, successThreshold: 1, failureThreshold: 3 },
      },
    },
    {
      name: 'Budget action Notify and threshold type Actual',
      obj: { apiVersion: QM, kind: 'Budget', metadata: { name: 'b' }, spec: { target: { queue: 'q' }, period: 'Daily', amountUSD: 10, thresholds: [{ percent: 50 }] } },
      expect: { target: { queue: 'q' }, period: 'Daily', amountUSD: 10, thresholds: [{ percent: 50, type: 'Actual' }], action: 'Notify' },
    },
    {
      name: 'NodePool capacity type, minNodes and scale-down delay',
      obj: { apiVersion: QM, kind: 'NodePool', metadata: { name: 'p' }, spec: { maxNodes: 3 } },
      expect: { maxNodes: 3, capacityType: 'on-demand', minNodes: 0, scaleDownUnneededSeconds: 600 },
    },
    {
      name: 'AdmissionPolicy mode enforce',
      obj: { apiVersion: QM, kind: 'AdmissionPolicy', metadata: { name: 'a' }, spec: { disallowLatestTag: true } },
      expect: { disallowLatestTag: true, mode: 'enforce' },
    },
    {
      name: 'LimitRange Container defaults follow Kubernetes (default ← max, defaultRequest ← default, ← min)',
      obj: { apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'l' }, spec: { limits: [
        { type: 'Container', max: { cpu: '4', memory: '16Gi' }, default: { memory: '8Gi' }, min: { 'nvidia.com/gpu': 0 } },
        { type: 'Pod', max: { cpu: '8' } },
      ] } },
      expect: { limits: [
        { type: 'Container', max: { cpu: '4', memory: '16Gi' }, default: { memory: '8Gi', cpu: '4' }, min: { 'nvidia.com/gpu': 0 },
          defaultRequest: { memory: '8Gi', cpu: '4', 'nvidia.com/gpu': 0 } },
        { type: 'Pod', max: { cpu: '8' } },
      ] },
    },
  ];
  for (const c of specCases) {
    it(c.name, () => assert.deepEqual(applyDefaults(c.obj).spec, c.expect));
  }

  it('HPA: minReplicas 1, CPU 80% when no metrics, behavior filled only when present', () => {
    const bare = applyDefaults({
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
      spec: { scaleTargetRef: { kind: 'ModelDeployment', name: 'chat' }, maxReplicas: 4 },
    }) as HorizontalPodAutoscaler;
    assert.equal(bare.spec.minReplicas, 1);
    assert.deepEqual(bare.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.equal(bare.spec.behavior, undefined);
    const withBehavior = applyDefaults({
      apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
      spec: { scaleTargetRef: { kind: 'ModelDeployment', name: 'chat' }, maxReplicas: 4, behavior: { scaleDown: { stabilizationWindowSeconds: 60 } } },
    }) as HorizontalPodAutoscaler;
    assert.equal(withBehavior.spec.behavior?.scaleDown?.stabilizationWindowSeconds, 60);
    assert.equal(withBehavior.spec.behavior?.scaleDown?.selectPolicy, 'Max');
    assert.equal(withBehavior.spec.behavior?.scaleUp?.stabilizationWindowSeconds, 0);
    assert.equal(withBehavior.spec.behavior?.scaleUp?.policies?.length, 2);
  });

  it('PriorityClass preemptionPolicy defaults to PreemptLowerPriority', () => {
    const pc: ApiObject = applyDefaults<ApiObject>({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'p' }, value: 1 });
    assert.equal(pc.preemptionPolicy, 'PreemptLowerPriority');
  });

  for (const kind of exampleKinds()) {
    it(`${kind}: defaulted example is still valid and defaulting is idempotent`, () => {
      const once = applyDefaults(exampleManifest(kind));
      const r = validateObject(once);
      assert.deepEqual(r.ok ? [] : r.causes, []);
      assert.deepEqual(applyDefaults(once), once);
    });
  }
});
