import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiObject } from '@qm/api';
import {
  DEFAULT_IDLE_POLICY, IdleGpuTracker, STOPPED_ANNOTATION, detectIdleGpus, gpusHeldBy, heldGpusKey, idleDecision, idleMinReplicas,
  idlePolicyFor, isStoppedByPlatform, resumedStatus, stoppedTrainingJobStatus, type GpuUtilizationSample, type IdleFinding,
} from './idle-gpus.js';
import { reconcileTrainingJob } from '../training/reconcile.js';
import { cycleInputFrom, makeDeployment, makeJob, makeQueue } from '../../testing/index.js';

const H = 3_600_000;
/** Readings every 30 min for two GPUs, utilization from `pct(hour, gpu)`. */
function readings(hours: number, pct: (h: number, gpu: number) => number): GpuUtilizationSample[] {
  const out: GpuUtilizationSample[] = [];
  for (let t = 0; t <= hours * H; t += H / 2) for (const gpu of [0, 1]) out.push({ timeMs: t, gpu: `GPU-${gpu}`, utilizationPercent: pct(t / H, gpu) });
  return out;
}

test('detectIdleGpus: all GPUs below the threshold for the whole window', () => {
  const policy = { thresholdPercent: 10, windowMs: 24 * H };
  const cases: Array<[string, GpuUtilizationSample[], number, boolean]> = [
    ['idle for 25 h', readings(25, () => 3), 25 * H, true],
    ['idle, but observed for 20 h only', readings(20, () => 3), 20 * H, false],
    ['one GPU busy', readings(25, (_h, g) => (g === 1 ? 60 : 2)), 25 * H, false],
    ['busy until hour 5, idle since: not 24 h yet', readings(25, (h) => (h <= 5 ? 80 : 1)), 25 * H, false],
    ['busy until hour 5, idle since: 24 h later it is', readings(30, (h) => (h <= 5 ? 80 : 1)), 30 * H, true],
    ['exactly at the threshold counts as busy', readings(25, () => 10), 25 * H, false],
    ['no readings (no nvidia-smi)', [], 25 * H, false],
  ];
  for (const [name, samples, now, idle] of cases) assert.equal(detectIdleGpus(samples, policy, now).idle, idle, name);
  assert.equal(detectIdleGpus(readings(25, () => 3), policy, 25 * H).maxPercent, 3);
});

test('idlePolicyFor: namespace annotations over the defaults; bad values name the annotation', () => {
  assert.deepEqual(idlePolicyFor(undefined), DEFAULT_IDLE_POLICY);
  assert.deepEqual(idlePolicyFor({ 'quartermaster.dev/idle-gpu-threshold-percent': '5', 'quartermaster.dev/idle-gpu-window': '6h' }), { thresholdPercent: 5, windowMs: 6 * H });
  assert.equal(idlePolicyFor({ 'quartermaster.dev/idle-gpu-action': 'Stop' }).action, 'Stop');
  for (const [key, value] of [['quartermaster.dev/idle-gpu-threshold-percent', '150'], ['quartermaster.dev/idle-gpu-threshold-percent', 'low'], ['quartermaster.dev/idle-gpu-window', 'soon'], ['quartermaster.dev/idle-gpu-action', 'stop']]) {
    assert.throws(() => idlePolicyFor({ [key]: value }), (err: Error) => err.message.startsWith(`metadata.annotations[${key}]`), `${key}=${value}`);
  }
});

const running = (gpus: number[][], extra: Record<string, unknown> = {}): ApiObject => makeJob('big', {
  status: { phase: 'Running', workers: gpus.map((g, rank) => ({ rank, node: rank === 0 ? 'gpu-1' : 'gpu-2', gpus: g })), ...extra },
});

test('gpusHeldBy: Running jobs by worker node, deployments by replica placement; nothing otherwise', () => {
  const md = { ...makeDeployment('chat'), status: { replicaPlacements: [{ index: 0, node: 'n', gpus: [3] }, { index: 1, node: 'n', gpus: [1] }] } };
  const cases: Array<[string, ApiObject, string]> = [
    ['two workers on two nodes', running([[1, 0], [2]]), 'gpu-1:0,1;gpu-2:2'],
    ['pending job', makeJob('p', { status: { phase: 'Pending', workers: [{ rank: 0, node: 'gpu-1', gpus: [0] }] } }), ''],
    ['CPU-only worker', running([[]]), ''],
    ['deployment replicas merge per node', md, 'n:1,3'],
  ];
  for (const [name, obj, key] of cases) assert.equal(heldGpusKey(gpusHeldBy(obj)), key, name);
});

test('IdleGpuTracker: a new placement starts over; pruning keeps the verdict of a long idle stretch', () => {
  const policy = { thresholdPercent: 10, windowMs: 2 * H };
  const tracker = new IdleGpuTracker();
  const at = (t: number, pct: number) => [{ timeMs: t, gpu: 'gpu-1/0', utilizationPercent: pct }];
  assert.equal(tracker.observe('j', 'a', at(0, 50), policy, 0).busy, true);
  assert.equal(tracker.observe('j', 'a', at(H, 3), policy, H).idleAtMs, 3 * H, 'idle stretch starts after the busy reading');
  let last;
  for (let t = 1.5 * H; t <= 10 * H; t += H / 2) last = tracker.observe('j', 'a', at(t, t === 4 * H ? 7 : 2), policy, t);
  assert.deepEqual(last!.verdict, { idle: true, belowSinceMs: H, maxPercent: 7 }, 'first and highest reading survive pruning');
  assert.equal(tracker.observe('j', 'b', at(10 * H, 2), policy, 10 * H).verdict.idle, false, 'moved: not judged yet');
  tracker.retain(new Set());
  assert.equal(tracker.size, 0);
});

test('idleDecision: warn once per episode, busy ends it, Stop asks to act, no readings say why', () => {
  const policy = { thresholdPercent: 10, windowMs: 24 * H };
  const idle: IdleFinding = { type: 'idle', verdict: { idle: true, belowSinceMs: 0, maxPercent: 4 } };
  const flagged = running([[0]], { conditions: [{ type: 'IdleGpus', status: 'True', reason: 'IdleGpus' }] });
  const cases: Array<[string, ApiObject, IdleFinding, typeof policy & { action?: 'Stop' }, Record<string, unknown>]> = [
    ['first idle finding', running([[0]]), idle, policy, { status: 'True', warn: true, stop: false }],
    ['already flagged: nothing', flagged, idle, policy, {}],
    ['Stop policy', running([[0]]), idle, { ...policy, action: 'Stop' }, { status: 'True', warn: true, stop: true }],
    ['busy ends a flagged episode', flagged, { type: 'busy', maxPercent: 80 }, policy, { status: 'False', warn: false, stop: false }],
    ['busy without an episode: nothing', running([[0]]), { type: 'busy', maxPercent: 80 }, policy, {}],
    ['not sampled', running([[0]]), { type: 'notSampled', why: 'virtual' }, policy, { status: 'Unknown', warn: false, stop: false }],
  ];
  for (const [name, obj, finding, p, want] of cases) {
    const d = idleDecision(obj, finding, p, 25 * H);
    const got = d.condition ? { status: d.condition.status, warn: d.warning !== undefined, stop: d.stop === true } : {};
    assert.deepEqual(got, want, name);
  }
  const message = idleDecision(running([[0]]), idle, policy, 25 * H).condition!.message!;
  assert.match(message, /below 10% .*max 4%.* for 25h \(window 24h/);
});

test('a stopped job: Pending with Stopped, not queued by the scheduler until resumed; the runtime stops it like a preemption', () => {
  const message = 'Stopped: idle GPUs below 10% for 24h';
  const status = stoppedTrainingJobStatus(running([[0]]).status, message, 25 * H);
  assert.equal(status.phase, 'Pending');
  assert.deepEqual(status.workers, []);
  assert.equal(status.pendingReason, message);
  assert.deepEqual(status.conditions.map((c: any) => `${c.type}=${c.status}`), ['Stopped=True', 'Running=False', 'Admitted=False']);

  const marked = { ...makeJob('big', { status }), metadata: { ...makeJob('big').metadata, annotations: { [STOPPED_ANNOTATION]: 'IdleGpus' } } };
  const queue = makeQueue('q', { namespaces: ['team-a'], guaranteed: { 'nvidia.com/gpu': 8 } });
  assert.equal(cycleInputFrom([queue, marked]).workloads.length, 0, 'stopped: not queued');
  const resumedObj = { ...marked, metadata: { ...marked.metadata, annotations: { [STOPPED_ANNOTATION]: 'false' } } };
  assert.equal(isStoppedByPlatform(resumedObj), false);
  assert.equal(cycleInputFrom([queue, resumedObj]).workloads.length, 1, 'resumed: queued again');
  assert.equal(resumedStatus(marked, 26 * H), undefined, 'still marked: nothing to change');
  const resumed = resumedStatus(resumedObj, 26 * H)!;
  assert.equal(resumed.conditions.find((c: any) => c.type === 'Stopped').status, 'False');
  assert.equal(resumed.pendingReason, undefined);

  // The training runtime sees Pending while its attempt is live: a stop with the Stopped message and a grace period.
  const observed = { job: { namespace: 'team-a', name: 'big', uid: '' }, attempt: 0, startedAtMs: 0, workers: [{ rank: 0, node: 'gpu-1', gpus: [0], phase: 'Running' as const }] };
  const d = reconcileTrainingJob({ job: makeJob('big', { status: { ...status, attempts: [{ index: 0, startTime: new Date(0).toISOString() }] } }), observed, nowMs: 25 * H });
  const stop = d.actions.find((a) => a.type === 'stop');
  assert.ok(stop && stop.type === 'stop');
  assert.equal(stop.request.stopClass, 'Preempted');
  assert.equal(stop.request.message, message);
  assert.ok(stop.request.gracePeriodMs > 0, 'ranks get their grace period to checkpoint');
});

test('idleMinReplicas: the HPA targeting the deployment sets the minimum, else 1; never above the current count', () => {
  const md = makeDeployment('chat', { replicas: 5 });
  const hpa = (name: string, min?: number, ns = 'team-a'): ApiObject => ({
    apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: ns },
    spec: { scaleTargetRef: { kind: 'ModelDeployment', name }, maxReplicas: 10, ...(min !== undefined ? { minReplicas: min } : {}) },
  });
  const cases: Array<[string, ApiObject, ApiObject[], number]> = [
    ['no HPA', md, [], 1],
    ['HPA minReplicas 2', md, [hpa('chat', 2)], 2],
    ['HPA without minReplicas', md, [hpa('chat')], 1],
    ['HPA of another deployment', md, [hpa('other', 3)], 1],
    ['HPA in another namespace', md, [hpa('chat', 3, 'team-b')], 1],
    ['already below the minimum', makeDeployment('chat', { replicas: 1 }), [hpa('chat', 2)], 1],
  ];
  for (const [name, obj, hpas, want] of cases) assert.equal(idleMinReplicas(obj, hpas), want, name);
});
