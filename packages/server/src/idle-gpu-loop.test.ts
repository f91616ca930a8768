import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { ApiObject } from '@qm/api';
import type { Recorder } from '@qm/core';
import { MemoryStore } from '@qm/store';
import { createGpuSampler } from './gpu-sampler.js';
import { startIdleGpuLoop, type IdleGpuLoop } from './idle-gpu-loop.js';

const H = 3_600_000;
const API = 'ml.quartermaster.dev/v1alpha1';
const clock = { t: Date.UTC(2025, 0, 1), now() { return this.t; } };
/** GPU index → utilization percent that the canned nvidia-smi prints. */
const busy = new Map<number, number>();
const events: Array<{ object: string; type: string; reason: string; message: string }> = [];
const recorder: Recorder = { record: (o, type, reason, message) => { events.push({ object: `${o.namespace ?? ''}/${o.name}`, type, reason, message }); } };
let store: MemoryStore;
let loop: IdleGpuLoop;

// host: GPUs 0-7 physical, 8 virtual. team-a: window 1h, Warn. team-b: window 1h, Stop.
const host: ApiObject = {
  apiVersion: API, kind: 'Node', metadata: { name: 'host' },
  status: { gpus: [...Array(9).keys()].map((i) => ({ index: i, uuid: `GPU-${i}`, model: i === 8 ? 'virtual' : 'A100-80GB', memoryMiB: 0 })) },
};
const ns = (name: string, annotations: Record<string, string>): ApiObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, annotations } });
const job = (namespace: string, name: string, gpus: number[], node = 'host'): ApiObject => ({
  apiVersion: API, kind: 'TrainingJob', metadata: { name, namespace }, spec: { workers: 1, gpusPerWorker: gpus.length, command: ['train'] },
  status: { phase: 'Running', workers: [{ rank: 0, node, gpus, phase: 'Running' }] },
});

async function create(obj: ApiObject): Promise<void> {
  const created = await store.create(obj);
  if (obj.status) await store.update({ ...created, status: obj.status }, { subresource: 'status' });
}
const get = async (kind: string, namespace: string, name: string) => (await store.get(kind, namespace, name))!;
const idleCondition = async (kind: string, namespace: string, name: string) => (await get(kind, namespace, name)).status?.conditions?.find((c: any) => c.type === 'IdleGpus');
const count = (object: string, reason: string) => events.filter((e) => e.object === object && e.reason === reason).length;

async function tickAt(hours: number): Promise<void> {
  clock.t = Date.UTC(2025, 0, 1) + hours * H;
  await loop.tick();
}

before(async () => {
  store = new MemoryStore(clock);
  for (const i of [0, 1, 3, 4, 5, 6, 7]) busy.set(i, 3);
  busy.set(2, 60);
  await create(host);
  await create(ns('team-a', { 'quartermaster.dev/idle-gpu-window': '1h' }));
  await create(ns('team-b', { 'quartermaster.dev/idle-gpu-window': '1h', 'quartermaster.dev/idle-gpu-action': 'Stop' }));
  await create(job('team-a', 'idle', [0, 1]));
  await create(job('team-a', 'busy', [2]));
  await create(job('team-a', 'virt', [8]));
  await create(job('team-a', 'remote', [0], 'other-node'));
  await create(job('team-b', 'stop-me', [3]));
  await create({
    apiVersion: API, kind: 'ModelDeployment', metadata: { name: 'chat', namespace: 'team-b' }, spec: { command: ['serve'], port: 8000, replicas: 3, resources: { 'nvidia.com/gpu': 1 } },
    status: { replicaPlacements: [4, 5, 6].map((g, index) => ({ index, node: 'host', gpus: [g] })) },
  });
  await create({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'chat', namespace: 'team-b' }, spec: { scaleTargetRef: { kind: 'ModelDeployment', name: 'chat' }, minReplicas: 2, maxReplicas: 5 } });
  const run = async () => [...busy.entries()].map(([i, pct]) => `${i}, ${pct}, 1000`).join('\n');
  loop = await startIdleGpuLoop({ store, clock, recorder, nodeName: 'host', sampler: createGpuSampler({ run }), intervalMs: 0 });
});
after(async () => { await loop.stop(); await store.close(); });

test('idle for the window: one IdleGpus warning per episode and a condition; busy GPUs and unsampled ones are not idle', async () => {
  await tickAt(0);
  await tickAt(0.5);
  assert.equal(events.filter((e) => e.reason === 'IdleGpus').length, 0, 'half the window: nothing yet');
  assert.match((await idleCondition('TrainingJob', 'team-a', 'virt')).message, /GPU 8 on host is virtual/);
  assert.equal((await idleCondition('TrainingJob', 'team-a', 'virt')).status, 'Unknown');
  assert.match((await idleCondition('TrainingJob', 'team-a', 'remote')).message, /not sampled on node other-node/);

  await tickAt(1);
  await tickAt(1.5);
  assert.equal(count('team-a/idle', 'IdleGpus'), 1, 'warned once');
  const c = await idleCondition('TrainingJob', 'team-a', 'idle');
  assert.equal(c.status, 'True');
  assert.match(c.message, /below 10% utilization \(max 3%\).*window 1h/);
  assert.equal((await get('TrainingJob', 'team-a', 'idle')).status!.phase, 'Running', 'Warn does not stop');
  assert.equal(await idleCondition('TrainingJob', 'team-a', 'busy'), undefined);
  assert.equal(count('team-a/virt', 'IdleGpus') + count('team-a/remote', 'IdleGpus'), 0);

  busy.set(1, 40); // one of its GPUs gets busy: the episode ends
  await tickAt(2);
  assert.equal((await idleCondition('TrainingJob', 'team-a', 'idle')).status, 'False');
  busy.set(1, 3);
  await tickAt(2.5);
  await tickAt(3.5);
  assert.equal(count('team-a/idle', 'IdleGpus'), 2, 'a new episode warns again');
});

test('action Stop: the job is marked, Pending with a Stopped condition naming threshold and window; resuming clears it', async () => {
  const stopped = await get('TrainingJob', 'team-b', 'stop-me');
  assert.equal(stopped.metadata.annotations?.['quartermaster.dev/stopped'], 'IdleGpus');
  assert.equal(stopped.status!.phase, 'Pending');
  assert.deepEqual(stopped.status!.workers, []);
  const cond = stopped.status!.conditions.find((c: any) => c.type === 'Stopped');
  assert.equal(cond.status, 'True');
  assert.match(cond.message, /^Stopped: idle GPUs below 10% .*window 1h.*remove annotation quartermaster\.dev\/stopped/);
  assert.equal(count('team-b/stop-me', 'IdleGpus'), 1);
  assert.equal(count('team-b/stop-me', 'Stopped'), 1);

  const { annotations: _a, ...metadata } = stopped.metadata;
  await store.update({ ...stopped, metadata: { ...metadata, annotations: {} } });
  await tickAt(4);
  const resumed = await get('TrainingJob', 'team-b', 'stop-me');
  assert.equal(resumed.status!.conditions.find((c: any) => c.type === 'Stopped').status, 'False');
  assert.equal(resumed.status!.conditions.find((c: any) => c.type === 'IdleGpus').reason, 'Resumed');
});

test('action Stop on serving: scaled to the HPA minReplicas, the owner told why', async () => {
  const md = await get('ModelDeployment', 'team-b', 'chat');
  assert.equal(md.spec!.replicas, 2);
  assert.match((await idleCondition('ModelDeployment', 'team-b', 'chat')).message, /window 1h.*scaled from 3 to 2 replicas/);
  assert.equal(count('team-b/chat', 'IdleGpus'), 1);
});

test('no nvidia-smi: logged once, workloads say they are not sampled', async () => {
  const lines: string[] = [];
  const log = { info: (_o: object, m: string) => { lines.push(m); }, warn: (_o: object, m: string) => { lines.push(m); } };
  const absent = async (): Promise<string> => { throw Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' }); };
  const other = await startIdleGpuLoop({ store, clock, recorder, nodeName: 'host', sampler: createGpuSampler({ run: absent, logger: log }), intervalMs: 0, logger: log });
  await other.tick();
  await other.tick();
  await other.stop();
  assert.equal(lines.filter((l) => l.includes('not found')).length, 1);
  const c = await idleCondition('TrainingJob', 'team-a', 'busy');
  assert.equal(c.status, 'Unknown');
  assert.match(c.message, /nvidia-smi is not installed on host/);
});
