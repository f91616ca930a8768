/**
 * One valid, realistic manifest of every served kind, using most fields. Tests, docs and the
 * CLI's `explain`-style help can start from these.
 *
 * Example:
 * ```ts
 * validateObject(exampleManifest('TrainingJob')).ok === true;
 * ```
 */
import { QmError } from './errors.js';
import type { ApiObject } from './meta.js';

const QM = 'ml.quartermaster.dev/v1alpha1';

const EXAMPLES: Record<string, ApiObject> = {
  Node: {
    apiVersion: QM, kind: 'Node',
    metadata: { name: 'gpu-1', labels: { 'quartermaster.dev/gpu-model': 'A100-80GB', 'quartermaster.dev/capacity-type': 'spot' } },
    spec: { taints: [{ key: 'quartermaster.dev/capacity-type', value: 'spot', effect: 'NoSchedule' }], unschedulable: false },
    status: {
      capacity: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': 8 },
      allocatable: { cpu: '95500m', memory: '1000Gi', 'nvidia.com/gpu': 8 },
      gpus: [{ index: 0, uuid: 'GPU-0', model: 'A100-80GB', memoryMiB: 81920 }, { index: 1, migProfile: '1g.10gb' }],
      conditions: [{ type: 'Ready', status: 'True' }, { type: 'SpotInterruption', status: 'True', terminationTime: '2024-05-01T12:02:00Z' }],
    },
  },
  NodePool: {
    apiVersion: QM, kind: 'NodePool', metadata: { name: 'h100-spot' },
    spec: {
      instanceType: 'p5.48xlarge', gpuModel: 'H100', gpusPerNode: 8, cpu: 192, memory: '2Ti', capacityType: 'spot',
      pricePerHour: 39.5, minNodes: 0, maxNodes: 4, provisioningSeconds: 300, labels: { 'quartermaster.dev/pool': 'h100-spot' },
      taints: [{ key: 'quartermaster.dev/capacity-type', value: 'spot', effect: 'NoSchedule' }], scaleDownUnneededSeconds: 600,
    },
  },
  Queue: {
    apiVersion: QM, kind: 'Queue', metadata: { name: 'team-a' },
    spec: {
      parent: 'research', namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 4, cpu: '64' }, max: { 'nvidia.com/gpu': 8 },
      lendingLimit: { 'nvidia.com/gpu': 2 }, weight: 2,
      flavors: [{ name: 'h100', nodeSelector: { 'quartermaster.dev/gpu-model': 'H100' }, guaranteed: { 'nvidia.com/gpu': 8 } }],
      preemption: { withinQueue: 'LowerPriority', reclaim: 'Any' },
    },
  },
  TrainingJob: {
    apiVersion: QM, kind: 'TrainingJob', metadata: { name: 'bert', namespace: 'team-nlp', labels: { team: 'nlp' } },
    spec: {
      command: ['python', 'train.py'], args: ['--epochs', '3'], workingDir: '/work', env: [{ name: 'LR', value: '0.001' }],
      workers: 2, gpusPerWorker: 4, resources: { cpu: '8', memory: '64Gi' },
      nodeSelector: { 'quartermaster.dev/gpu-model': 'A100-80GB' },
      tolerations: [{ key: 'quartermaster.dev/capacity-type', operator: 'Equal', value: 'spot', effect: 'NoSchedule' }],
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'quartermaster.dev/gpu-model', operator: 'In', values: ['A100-80GB', 'H100'] }] }] } } },
      checkpointPath: '/ckpt/bert', checkpointInterval: 30, checkpointKeep: 3, useSpot: true, queue: 'team-nlp',
      priorityClassName: 'high', maxRestarts: 3, activeDeadlineSeconds: 86400, ttlSecondsAfterFinished: 3600, terminationGracePeriodSeconds: 60,
    },
    status: {
      phase: 'Running', queuePosition: 0, restarts: 0, preemptions: 1,
      lastCheckpoint: { path: '/ckpt/bert/step-100', step: 100, time: '2024-05-01T12:00:00Z' },
      workers: [{ rank: 0, node: 'gpu-1', gpus: [0, 1, 2, 3], phase: 'Running' }],
      attempts: [{ index: 0, endReason: 'Preempted', nodes: ['gpu-2'] }], cost: { gpuHours: 12.5, usd: 40 },
    },
  },
  ModelDeployment: {
    apiVersion: QM, kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'team-a' },
    spec: {
      command: ['python', 'serve.py'], port: 8000, replicas: 2, resources: { 'nvidia.com/gpu': 1, memory: '32Gi' },
      readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 5 }, livenessProbe: { httpGet: { path: '/healthz', port: 8000 } },
      strategy: { rollingUpdate: { maxSurge: 1, maxUnavailable: '0%' } }, queue: 'team-a', useSpot: false,
      simulation: { requestsPerSecondPerReplica: 50 },
    },
  },
  Budget: {
    apiVersion: QM, kind: 'Budget', metadata: { name: 'nlp-monthly', namespace: 'team-nlp' },
    spec: {
      target: { namespace: 'team-nlp' }, period: 'Monthly', amountUSD: 20000,
      thresholds: [{ percent: 80, type: 'Actual' }, { percent: 100, type: 'Forecasted' }], action: 'BlockNewWorkloads',
    },
  },
  AdmissionPolicy: {
    apiVersion: QM, kind: 'AdmissionPolicy', metadata: { name: 'gpu-hygiene' },
    spec: {
      mode: 'audit', namespaces: ['team-a'], requireGpuRequestOnGpuNodes: true, disallowLatestTag: true,
      allowedImagePrefixes: ['ghcr.io/acme/'], maxGpusPerWorkload: 16,
    },
  },
  PriceCatalog: {
    apiVersion: QM, kind: 'PriceCatalog', metadata: { name: 'aws' },
    spec: {
      instances: [{ name: 'p4d.24xlarge', gpuModel: 'A100-40GB', gpus: 8, cpu: 96, memory: '1152Gi', onDemandPerHour: 32.77, spotPerHour: 11.6 }],
      gpuHour: { 'A100-80GB': 4.1, H100: 6.9 },
    },
  },
  Event: {
    apiVersion: 'v1', kind: 'Event', metadata: { name: 'bert.17c0a', namespace: 'team-nlp' },
    reason: 'Preempted', message: 'preempted by team-a/big', type: 'Warning',
    involvedObject: { apiVersion: QM, kind: 'TrainingJob', namespace: 'team-nlp', name: 'bert' },
    count: 1, firstTimestamp: '2024-05-01T12:00:00Z', lastTimestamp: '2024-05-01T12:00:00Z', source: { component: 'qm-scheduler' },
  },
  Namespace: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', labels: { team: 'a' } } },
  ResourceQuota: {
    apiVersion: 'v1', kind: 'ResourceQuota', metadata: { name: 'gpus', namespace: 'team-a' },
    spec: {
      hard: { 'requests.nvidia.com/gpu': 16, 'limits.memory': '1Ti', 'count/trainingjobs.ml.quartermaster.dev': 10 },
      scopeSelector: { matchExpressions: [{ scopeName: 'PriorityClass', operator: 'In', values: ['high'] }] },
    },
  },
  LimitRange: {
    apiVersion: 'v1', kind: 'LimitRange', metadata: { name: 'defaults', namespace: 'team-a' },
    spec: { limits: [{ type: 'Container', default: { cpu: '2', memory: '8Gi' }, defaultRequest: { cpu: '1' }, max: { 'nvidia.com/gpu': 8 } }] },
  },
  PriorityClass: {
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high.priority' },
    value: 1000, globalDefault: false, preemptionPolicy: 'PreemptLowerPriority', description: 'Production training.',
  },
  HorizontalPodAutoscaler: {
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'chat', namespace: 'team-a' },
    spec: {
      scaleTargetRef: { apiVersion: QM, kind: 'ModelDeployment', name: 'chat' }, minReplicas: 1, maxReplicas: 8,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } },
        { type: 'Pods', pods: { metric: { name: 'requests_per_second' }, target: { type: 'AverageValue', averageValue: '100' } } },
        { type: 'Object', object: { describedObject: { kind: 'ModelDeployment', name: 'chat' }, metric: { name: 'p99_latency_ms' }, target: { type: 'Value', value: '250' } } },
        { type: 'External', external: { metric: { name: 'queue_depth', selector: { matchLabels: { queue: 'chat' } } }, target: { type: 'AverageValue', averageValue: 30 } } },
        { type: 'ContainerResource', containerResource: { name: 'memory', container: 'server', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
      behavior: {
        scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }] },
        scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 50, periodSeconds: 60 }] },
      },
    },
  },
  PodDisruptionBudget: {
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'chat', namespace: 'team-a' },
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'chat' } } },
  },
  Role: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'trainer', namespace: 'team-a' },
    rules: [{ apiGroups: ['ml.quartermaster.dev'], resources: ['trainingjobs'], verbs: ['get', 'list', 'create', 'delete'], resourceNames: ['bert'] }],
  },
  ClusterRole: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'system:qm-viewer' },
    rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }],
  },
  RoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'alice-trainer', namespace: 'team-a' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'trainer' },
    subjects: [{ kind: 'User', name: 'alice', apiGroup: 'rbac.authorization.k8s.io' }],
  },
  ClusterRoleBinding: {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'viewers' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:qm-viewer' },
    subjects: [{ kind: 'Group', name: 'everyone' }, { kind: 'ServiceAccount', name: 'ci', namespace: 'ci' }],
  },
};

/** A fresh copy of the example manifest of `kind`; throws NotFound for an unknown kind. */
export function exampleManifest(kind: string): ApiObject {
  const example = Object.hasOwn(EXAMPLES, kind) ? EXAMPLES[kind] : undefined;
  if (!example) throw new QmError('NotFound', `no example manifest for kind ${JSON.stringify(kind)}`);
  return structuredClone(example);
}

/** The kinds that have an example (every served kind). */
export function exampleKinds(): string[] {
  return Object.keys(EXAMPLES);
}
