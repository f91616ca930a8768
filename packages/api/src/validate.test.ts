import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Value } from '@sinclair/typebox/value';
import { KINDS } from './kind-registry.js';
import { isQmError } from './errors.js';
import { exampleKinds, exampleManifest } from './examples.js';
import { KIND_SCHEMAS, schemaForKind } from './kinds/index.js';
import { assertValidObject, validateObject } from './validate.js';

type Mutate = (o: any) => void;

function causesOf(obj: unknown) {
  const r = validateObject(obj);
  assert.equal(r.ok, false, 'expected the object to be invalid');
  return r.ok ? [] : r.causes;
}

describe('validateObject: a good manifest of every kind passes', () => {
  it('every served kind has a schema and an example', () => {
    assert.deepEqual(exampleKinds().sort(), KINDS.map((k) => k.kind).sort());
    for (const info of KINDS) {
      const schema = schemaForKind(info.kind) as any;
      assert.ok(schema, `schema for ${info.kind}`);
      assert.equal(schema.properties.apiVersion.const, info.apiVersion, `${info.kind} apiVersion matches the registry`);
      assert.equal(schema.properties.kind.const, info.kind);
    }
    assert.equal(schemaForKind('Scenario'), undefined);
    assert.equal(schemaForKind('toString'), undefined);
  });
  for (const kind of exampleKinds()) {
    it(kind, () => {
      const obj = exampleManifest(kind);
      const r = validateObject(obj);
      assert.deepEqual(r.ok ? [] : r.causes, []);
      // TypeBox's own checker agrees with ours on the same schema (formats are registered).
      assert.equal(Value.Check(KIND_SCHEMAS[kind], obj), true, `Value.Check ${kind}`);
    });
  }
  it('minimal manifests pass', () => {
    const minimal = [
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'j' }, spec: { command: ['train'] } },
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob', metadata: { name: 'j' }, spec: { image: 'ghcr.io/x:1' } },
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: 'q' } },
      { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Node', metadata: { name: 'ip-10-0-0-1.ec2.internal' } },
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns' } },
      { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'p' }, value: -5 },
    ];
    for (const m of minimal) assert.equal(validateObject(m).ok, true, JSON.stringify(m));
  });
  it('Kubernetes kinds keep unknown fields', () => {
    const pc = { ...exampleManifest('PriorityClass'), futureField: { x: 1 } };
    assert.equal(validateObject(pc).ok, true);
    const pdb = exampleManifest('PodDisruptionBudget');
    (pdb.spec as any).someNewField = true;
    assert.equal(validateObject(pdb).ok, true);
  });
});

describe('validateObject: each bad field names its path', () => {
  const cases: Array<{ name: string; kind: string; mutate: Mutate; field: string; message: RegExp }> = [
    { name: 'workers 0', kind: 'TrainingJob', mutate: (o) => { o.spec.workers = 0; }, field: 'spec.workers', message: /^must be an integer ≥ 1, got 0$/ },
    { name: 'workers fractional', kind: 'TrainingJob', mutate: (o) => { o.spec.workers = 1.5; }, field: 'spec.workers', message: /integer ≥ 1, got 1.5/ },
    { name: 'workers as string', kind: 'TrainingJob', mutate: (o) => { o.spec.workers = 'two'; }, field: 'spec.workers', message: /got "two"/ },
    { name: 'gpusPerWorker negative', kind: 'TrainingJob', mutate: (o) => { o.spec.gpusPerWorker = -1; }, field: 'spec.gpusPerWorker', message: /≥ 0, got -1/ },
    { name: 'checkpointInterval 0', kind: 'TrainingJob', mutate: (o) => { o.spec.checkpointInterval = 0; }, field: 'spec.checkpointInterval', message: /a number > 0, got 0/ },
    { name: 'checkpointKeep 0', kind: 'TrainingJob', mutate: (o) => { o.spec.checkpointKeep = 0; }, field: 'spec.checkpointKeep', message: /≥ 1/ },
    { name: 'maxRestarts negative', kind: 'TrainingJob', mutate: (o) => { o.spec.maxRestarts = -1; }, field: 'spec.maxRestarts', message: /≥ 0/ },
    { name: 'typo in spec', kind: 'TrainingJob', mutate: (o) => { o.spec.gpusPerWoker = 2; }, field: 'spec.gpusPerWoker', message: /unknown field "gpusPerWoker"; did you mean "gpusPerWorker"\?/ },
    { name: 'typo deep in spec', kind: 'TrainingJob', mutate: (o) => { o.spec.tolerations[0].efect = 'NoSchedule'; }, field: 'spec.tolerations[0].efect', message: /did you mean "effect"/ },
    { name: 'unknown top-level field of our kind', kind: 'Queue', mutate: (o) => { o.sepc = {}; }, field: 'sepc', message: /did you mean "spec"/ },
    { name: 'no command and no image', kind: 'TrainingJob', mutate: (o) => { delete o.spec.command; }, field: 'spec.command', message: /required when spec.image is not set/ },
    { name: 'bad quantity', kind: 'TrainingJob', mutate: (o) => { o.spec.resources.memory = '64GB'; }, field: 'spec.resources.memory', message: /invalid quantity "64GB": unknown suffix "GB"/ },
    { name: 'negative quantity', kind: 'Queue', mutate: (o) => { o.spec.guaranteed['nvidia.com/gpu'] = -1; }, field: 'spec.guaranteed["nvidia.com/gpu"]', message: /must not be negative/ },
    { name: 'quantity of wrong type', kind: 'Queue', mutate: (o) => { o.spec.max['nvidia.com/gpu'] = true; }, field: 'spec.max["nvidia.com/gpu"]', message: /quantity such as/ },
    { name: 'bad resource name', kind: 'Queue', mutate: (o) => { o.spec.guaranteed['nvidia com/gpu'] = 1; }, field: 'spec.guaranteed["nvidia com/gpu"]', message: /^key "nvidia com\/gpu" /i },
    { name: 'queue weight 0', kind: 'Queue', mutate: (o) => { o.spec.weight = 0; }, field: 'spec.weight', message: /> 0/ },
    { name: 'queue preemption enum', kind: 'Queue', mutate: (o) => { o.spec.preemption.withinQueue = 'lowerPriority'; }, field: 'spec.preemption.withinQueue', message: /one of "Never", "LowerPriority", got "lowerPriority"/ },
    { name: 'flavor without name', kind: 'Queue', mutate: (o) => { delete o.spec.flavors[0].name; }, field: 'spec.flavors[0].name', message: /^is required$/ },
    { name: 'name not DNS-1123', kind: 'TrainingJob', mutate: (o) => { o.metadata.name = 'Bert_Job'; }, field: 'metadata.name', message: /DNS-1123 label/ },
    { name: 'name missing', kind: 'Queue', mutate: (o) => { delete o.metadata.name; }, field: 'metadata.name', message: /is required/ },
    { name: 'name with dots for our kind', kind: 'Queue', mutate: (o) => { o.metadata.name = 'team.a'; }, field: 'metadata.name', message: /DNS-1123 label/ },
    { name: 'name too long', kind: 'Queue', mutate: (o) => { o.metadata.name = 'a'.repeat(64); }, field: 'metadata.name', message: /at most 63 characters/ },
    { name: 'namespace bad', kind: 'TrainingJob', mutate: (o) => { o.metadata.namespace = 'Team'; }, field: 'metadata.namespace', message: /DNS-1123 label/ },
    { name: 'label value not a string', kind: 'TrainingJob', mutate: (o) => { o.metadata.labels.team = 8; }, field: 'metadata.labels.team', message: /must be a string, got 8/ },
    { name: 'label value invalid', kind: 'TrainingJob', mutate: (o) => { o.metadata.labels.team = 'a b'; }, field: 'metadata.labels.team', message: /label value/ },
    { name: 'label key invalid', kind: 'TrainingJob', mutate: (o) => { o.metadata.labels['a/b/c'] = 'x'; }, field: 'metadata.labels["a/b/c"]', message: /qualified name/ },
    { name: 'taint effect', kind: 'Node', mutate: (o) => { o.spec.taints[0].effect = 'Never'; }, field: 'spec.taints[0].effect', message: /"NoSchedule", "PreferNoSchedule", "NoExecute"/ },
    { name: 'node status capacity quantity', kind: 'Node', mutate: (o) => { o.status.capacity.cpu = 'lots'; }, field: 'status.capacity.cpu', message: /invalid quantity/ },
    { name: 'nodepool capacityType', kind: 'NodePool', mutate: (o) => { o.spec.capacityType = 'preemptible'; }, field: 'spec.capacityType', message: /"on-demand", "spot"/ },
    { name: 'nodepool min > max', kind: 'NodePool', mutate: (o) => { o.spec.minNodes = 5; }, field: 'spec.maxNodes', message: /≥ minNodes \(5\)/ },
    { name: 'nodepool maxNodes required', kind: 'NodePool', mutate: (o) => { delete o.spec.maxNodes; }, field: 'spec.maxNodes', message: /is required/ },
    { name: 'budget threshold 0', kind: 'Budget', mutate: (o) => { o.spec.thresholds[0].percent = 0; }, field: 'spec.thresholds[0].percent', message: /> 0 and ≤ 1000, got 0/ },
    { name: 'budget threshold 1001', kind: 'Budget', mutate: (o) => { o.spec.thresholds[1].percent = 1001; }, field: 'spec.thresholds[1].percent', message: /≤ 1000/ },
    { name: 'budget period', kind: 'Budget', mutate: (o) => { o.spec.period = 'Yearly'; }, field: 'spec.period', message: /"Monthly", "Weekly", "Daily"/ },
    { name: 'budget target both', kind: 'Budget', mutate: (o) => { o.spec.target.queue = 'team-a'; }, field: 'spec.target', message: /not both/ },
    { name: 'budget target none', kind: 'Budget', mutate: (o) => { o.spec.target = {}; }, field: 'spec.target', message: /namespace or a queue/ },
    { name: 'admission mode', kind: 'AdmissionPolicy', mutate: (o) => { o.spec.mode = 'Enforce'; }, field: 'spec.mode', message: /"enforce", "audit"/ },
    { name: 'md port range', kind: 'ModelDeployment', mutate: (o) => { o.spec.port = 70000; }, field: 'spec.port', message: /≤ 65535/ },
    { name: 'md maxSurge', kind: 'ModelDeployment', mutate: (o) => { o.spec.strategy.rollingUpdate.maxSurge = 'lots'; }, field: 'spec.strategy.rollingUpdate.maxSurge', message: /percentage such as "25%"/ },
    { name: 'md probe period', kind: 'ModelDeployment', mutate: (o) => { o.spec.readinessProbe.periodSeconds = 0; }, field: 'spec.readinessProbe.periodSeconds', message: /≥ 1/ },
    { name: 'event type', kind: 'Event', mutate: (o) => { o.type = 'Error'; }, field: 'type', message: /"Normal", "Warning"/ },
    { name: 'priority value type', kind: 'PriorityClass', mutate: (o) => { o.value = 'high'; }, field: 'value', message: /integer/ },
    { name: 'priority preemptionPolicy', kind: 'PriorityClass', mutate: (o) => { o.preemptionPolicy = 'Always'; }, field: 'preemptionPolicy', message: /"PreemptLowerPriority", "Never"/ },
    { name: 'quota scopeName', kind: 'ResourceQuota', mutate: (o) => { o.spec.scopeSelector.matchExpressions[0].scopeName = 'Gpu'; }, field: 'spec.scopeSelector.matchExpressions[0].scopeName', message: /"PriorityClass"/ },
    { name: 'quota hard quantity', kind: 'ResourceQuota', mutate: (o) => { o.spec.hard['requests.nvidia.com/gpu'] = 'x'; }, field: 'spec.hard["requests.nvidia.com/gpu"]', message: /invalid quantity/ },
    { name: 'limitrange type', kind: 'LimitRange', mutate: (o) => { o.spec.limits[0].type = 'Node'; }, field: 'spec.limits[0].type', message: /"Container", "Pod"/ },
    { name: 'hpa maxReplicas missing', kind: 'HorizontalPodAutoscaler', mutate: (o) => { delete o.spec.maxReplicas; }, field: 'spec.maxReplicas', message: /is required/ },
    { name: 'hpa min > max', kind: 'HorizontalPodAutoscaler', mutate: (o) => { o.spec.minReplicas = 9; }, field: 'spec.maxReplicas', message: /≥ minReplicas/ },
    { name: 'hpa metric type', kind: 'HorizontalPodAutoscaler', mutate: (o) => { o.spec.metrics[0].type = 'Cpu'; }, field: 'spec.metrics[0].type', message: /"Resource", "Pods", "Object", "External", "ContainerResource"/ },
    { name: 'hpa metric source missing', kind: 'HorizontalPodAutoscaler', mutate: (o) => { delete o.spec.metrics[1].pods; }, field: 'spec.metrics[1].pods', message: /required when type is Pods/ },
    { name: 'hpa target type', kind: 'HorizontalPodAutoscaler', mutate: (o) => { o.spec.metrics[0].resource.target.type = 'Percent'; }, field: 'spec.metrics[0].resource.target.type', message: /"Utilization", "Value", "AverageValue"/ },
    { name: 'hpa policy type', kind: 'HorizontalPodAutoscaler', mutate: (o) => { o.spec.behavior.scaleUp.policies[0].type = 'Replicas'; }, field: 'spec.behavior.scaleUp.policies[0].type', message: /"Pods", "Percent"/ },
    { name: 'hpa policy period', kind: 'HorizontalPodAutoscaler', mutate: (o) => { o.spec.behavior.scaleDown.policies[0].periodSeconds = 0; }, field: 'spec.behavior.scaleDown.policies[0].periodSeconds', message: /≥ 1 and ≤ 1800/ },
    { name: 'hpa selectPolicy', kind: 'HorizontalPodAutoscaler', mutate: (o) => { o.spec.behavior.scaleUp.selectPolicy = 'Maximum'; }, field: 'spec.behavior.scaleUp.selectPolicy', message: /"Max", "Min", "Disabled"/ },
    { name: 'hpa stabilization window', kind: 'HorizontalPodAutoscaler', mutate: (o) => { o.spec.behavior.scaleDown.stabilizationWindowSeconds = 4000; }, field: 'spec.behavior.scaleDown.stabilizationWindowSeconds', message: /≤ 3600/ },
    { name: 'pdb both', kind: 'PodDisruptionBudget', mutate: (o) => { o.spec.maxUnavailable = 1; }, field: 'spec.maxUnavailable', message: /cannot both be set/ },
    { name: 'pdb percent', kind: 'PodDisruptionBudget', mutate: (o) => { o.spec.minAvailable = '50 percent'; }, field: 'spec.minAvailable', message: /percentage/ },
    { name: 'rbac verbs missing', kind: 'Role', mutate: (o) => { delete o.rules[0].verbs; }, field: 'rules[0].verbs', message: /is required/ },
    { name: 'rbac roleRef kind', kind: 'RoleBinding', mutate: (o) => { o.roleRef.kind = 'Group'; }, field: 'roleRef.kind', message: /"Role", "ClusterRole"/ },
    { name: 'rbac subject kind', kind: 'ClusterRoleBinding', mutate: (o) => { o.subjects[1].kind = 'Robot'; }, field: 'subjects[1].kind', message: /"User", "Group", "ServiceAccount"/ },
    { name: 'rbac name with slash', kind: 'ClusterRole', mutate: (o) => { o.metadata.name = 'a/b'; }, field: 'metadata.name', message: /"\/"/ },
    { name: 'status phase', kind: 'TrainingJob', mutate: (o) => { o.status.phase = 'Queued'; }, field: 'status.phase', message: /"Pending", "Admitted", "Running", "Succeeded", "Failed"/ },
    { name: 'apiVersion wrong', kind: 'TrainingJob', mutate: (o) => { o.apiVersion = 'kubeflow.org/v1'; }, field: 'apiVersion', message: /must be "ml.quartermaster.dev\/v1alpha1" for kind TrainingJob, got "kubeflow.org\/v1"/ },
    { name: 'apiVersion missing', kind: 'PriorityClass', mutate: (o) => { delete o.apiVersion; }, field: 'apiVersion', message: /is required; PriorityClass is "scheduling.k8s.io\/v1"/ },
    { name: 'metadata missing', kind: 'Queue', mutate: (o) => { delete o.metadata; }, field: 'metadata', message: /is required/ },
    { name: 'spec not an object', kind: 'TrainingJob', mutate: (o) => { o.spec = [1]; }, field: 'spec', message: /must be an object, got a list/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const obj = exampleManifest(c.kind);
      c.mutate(obj);
      const causes = causesOf(obj);
      assert.equal(causes.length, 1, `expected exactly one cause, got ${JSON.stringify(causes)}`);
      assert.equal(causes[0].field, c.field);
      assert.match(causes[0].message, c.message);
      assert.ok(!/Expected|anyOf|patternProperties|\^\(/.test(causes[0].message), `message reads like schema jargon: ${causes[0].message}`);
    });
  }
});

describe('validateObject: whole-document behaviour', () => {
  it('three wrong fields give three causes, in document order', () => {
    const causes = causesOf({
      apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'TrainingJob',
      metadata: { name: 'Bert' }, spec: { workers: 0, gpusPerWorker: -2, command: ['train'] },
    });
    assert.deepEqual(causes.map((c) => c.field), ['metadata.name', 'spec.workers', 'spec.gpusPerWorker']);
    assert.deepEqual(causes.map((c) => c.reason), ['FieldValueInvalid', 'FieldValueInvalid', 'FieldValueInvalid']);
  });

  const shapeCases: Array<{ name: string; input: unknown; field: string; message: RegExp }> = [
    { name: 'unknown kind lists known kinds', input: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } }, field: 'kind', message: /unknown kind "Pod"; known kinds: Node, NodePool, Queue, TrainingJob/ },
    { name: 'missing kind', input: { apiVersion: 'v1', metadata: { name: 'x' } }, field: 'kind', message: /is required; one of Node/ },
    { name: 'Scenario is not served', input: { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Scenario' }, field: 'kind', message: /qm simulate/ },
    { name: 'not an object', input: 'kind: TrainingJob', field: '', message: /must be an object/ },
    { name: 'null', input: null, field: '', message: /got null/ },
  ];
  for (const c of shapeCases) {
    it(c.name, () => {
      const causes = causesOf(c.input);
      assert.equal(causes.length, 1);
      assert.equal(causes[0].field, c.field);
      assert.match(causes[0].message, c.message);
    });
  }

  it('assertValidObject throws a 422 QmError carrying every cause', () => {
    const bad = exampleManifest('TrainingJob');
    (bad.spec as any).workers = 0;
    (bad.spec as any).checkpointKeep = 0;
    assert.throws(() => assertValidObject(bad), (err: unknown) => {
      assert.ok(isQmError(err, 'Invalid'));
      assert.equal(err.httpStatus, 422);
      assert.equal(err.details.kind, 'TrainingJob');
      assert.equal(err.details.name, 'bert');
      assert.equal(err.details.causes?.length, 2);
      assert.match(err.message, /^TrainingJob "bert" is invalid: spec.workers: must be an integer ≥ 1, got 0; spec.checkpointKeep/);
      return true;
    });
    assert.equal(assertValidObject(exampleManifest('Queue')).kind, 'Queue');
  });

  it('does not change its input', () => {
    const obj = exampleManifest('ModelDeployment');
    const before = structuredClone(obj);
    validateObject(obj);
    assert.deepEqual(obj, before);
  });
});
