/**
 * A SimExecutor wired to a MemoryStore and a virtual clock, with the test playing the
 * scheduler (it writes Admitted / Pending itself) and firing the timers the executor asks for.
 *
 * Example:
 * ```ts
 * const h = await executorHarness([node('gpu-1', 8)]);
 * await h.submit(job('big', { workers: 1, gpusPerWorker: 8 }), 7200);
 * await h.admit('big', ['gpu-1']);
 * await h.advanceTo(7200);          // fires the finish timer
 * (await h.job('big')).status.phase === 'Succeeded';
 * ```
 */
import { QM_API_VERSION, applyDefaults, type ApiObject } from '@qm/api';
import { MemoryStore } from '@qm/store';
import { ClusterMirror } from '../cluster-mirror.js';
import { DeploymentTracker } from '../deployment-tracker.js';
import { EventQueue } from '../event-queue.js';
import { MemoryRecorder } from '../memory-recorder.js';
import { ScenarioActions, type ActionTimer } from '../scenario-actions.js';
import { SimExecutor, jobKey, type ExecutorTimer } from '../sim-executor.js';
import { UsageLedger } from '../usage-ledger.js';
import { VirtualClock, epochMsAt } from '../virtual-clock.js';

export const NS = 'team-a';

export function node(name: string, gpus: number, labels: Record<string, string> = {}): ApiObject {
  return { apiVersion: QM_API_VERSION, kind: 'Node', metadata: { name, labels }, status: { capacity: { cpu: '96', memory: '1Ti', 'nvidia.com/gpu': gpus } } };
}

export function job(name: string, spec: Record<string, unknown>): ApiObject {
  return { apiVersion: QM_API_VERSION, kind: 'TrainingJob', metadata: { name, namespace: NS }, spec: { command: ['train'], ...spec } };
}

export type Harness = Awaited<ReturnType<typeof executorHarness>>;

export async function executorHarness(objects: ApiObject[]) {
  const clock = new VirtualClock();
  const recorder = new MemoryRecorder(clock);
  const store = new MemoryStore(clock);
  const late: { mirror?: ClusterMirror } = {};
  const ledger = new UsageLedger((q) => late.mirror?.queueShape(q));
  const mirror = await ClusterMirror.open(store, (gpus) => ledger.setCapacity(clock.now(), gpus));
  late.mirror = mirror;
  const timers = new EventQueue<{ executor?: ExecutorTimer; action?: ActionTimer }>();
  const executor = await SimExecutor.open({ store, clock, recorder, ledger, mirror, schedule: (at, t) => timers.push(at, 0, { executor: t }) });
  const deployments = await DeploymentTracker.open({ store, clock, recorder, ledger, mirror });
  const actions = new ScenarioActions({ store, clock, recorder, mirror, executor, deployments, schedule: (at, t) => timers.push(at, 1, { action: t }) });
  for (const obj of objects) await store.create(applyDefaults(obj));

  const get = async (name: string) => (await store.get('TrainingJob', NS, name))!;
  const writeStatus = async (name: string, patch: Record<string, unknown>) => {
    const obj = await get(name);
    await store.update({ ...obj, status: { ...obj.status, ...patch } }, { subresource: 'status' });
  };
  return {
    clock, store, recorder, ledger, mirror, executor, actions, timers,
    job: get,
    record: (name: string) => executor.record(jobKey(NS, name))!,
    reasons: () => recorder.events.map((e) => e.reason),
    async submit(obj: ApiObject, workSeconds?: number) {
      executor.expectWork(jobKey(NS, obj.metadata.name), workSeconds);
      await store.create(applyDefaults(obj));
    },
    /** Plays the scheduler: Admitted on these nodes (one worker per entry), then the executor starts it. */
    async admit(name: string, nodes: string[]) {
      await writeStatus(name, { phase: 'Admitted', queue: NS, workers: nodes.map((n, rank) => ({ rank, node: n, gpus: [0], phase: 'Pending' })) });
      return executor.startAdmitted();
    },
    /** Plays the scheduler preempting: phase back to Pending, workers dropped. */
    async preempt(name: string) {
      await writeStatus(name, { phase: 'Pending', workers: [] });
    },
    /** Moves virtual time to `seconds`, firing every timer due on the way (in order). Returns how many applied. */
    async advanceTo(seconds: number) {
      const target = epochMsAt(seconds);
      let applied = 0;
      while ((timers.peekTime() ?? Infinity) <= target) {
        const { timeMs, item } = timers.pop()!;
        clock.advanceTo(timeMs);
        if (item.executor && (await executor.onTimer(item.executor))) applied++;
        if (item.action?.type === 'spotEnd' && (await actions.spotEnd(item.action.node))) applied++;
        if (item.action?.type === 'nodeReady' && (await actions.addNode(item.action.node))) applied++;
      }
      clock.advanceTo(target);
      return applied;
    },
  };
}
