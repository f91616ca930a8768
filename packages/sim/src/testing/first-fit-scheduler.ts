/**
 * A deliberately tiny scheduler for the simulator's own tests, so they do not depend on the
 * real one: each pass lists nodes and jobs, and admits pending TrainingJobs in creation order
 * onto the first nodes with enough free GPUs (skipping cordoned and spot-noticed nodes). No
 * queues' quotas, no preemption; ModelDeployment replicas first-fit too. It writes what the real scheduler writes on admission
 * (phase, admittedAt, queue, workers, event).
 *
 * Example:
 * ```ts
 * await simulateScenario(scenario, { createScheduler: firstFitScheduler });
 * ```
 */
import type { ApiObject } from '@qm/api';
import type { Scheduler, SchedulerDeps, SchedulingPassResult, WorkloadKey } from '@qm/core';
import { gpuCount, nodeGpus } from '../cluster-mirror.js';
import { rfc3339 } from '../virtual-clock.js';

function takesWork(node: ApiObject): boolean {
  if (node.spec?.unschedulable) return false;
  return !(node.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'SpotInterruption' && c.status === 'True');
}

export function firstFitScheduler(deps: SchedulerDeps): Scheduler {
  return {
    async runPass(): Promise<SchedulingPassResult> {
      const { store, clock, recorder } = deps;
      const nodes = (await store.list('Node')).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
      const jobs = (await store.list('TrainingJob')).items
        .sort((a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name));
      const used = new Map<string, number>();
      for (const job of jobs) {
        if (job.status?.phase !== 'Admitted' && job.status?.phase !== 'Running') continue;
        for (const w of job.status.workers ?? []) used.set(w.node, (used.get(w.node) ?? 0) + (w.gpus?.length ?? 0));
      }
      const admitted: WorkloadKey[] = [];
      let pending = 0;
      let writes = 0;
      for (const job of jobs) {
        const phase = job.status?.phase ?? 'Pending';
        if (phase !== 'Pending' || job.metadata.deletionTimestamp) continue;
        const perWorker = job.spec?.gpusPerWorker ?? 0;
        const workers: { rank: number; node: string; gpus: number[]; phase: string }[] = [];
        const trial = new Map(used);
        for (let rank = 0; rank < (job.spec?.workers ?? 1); rank++) {
          const node = nodes.find((n) => takesWork(n) && nodeGpus(n) - (trial.get(n.metadata.name) ?? 0) >= perWorker);
          if (!node) break;
          const from = trial.get(node.metadata.name) ?? 0;
          trial.set(node.metadata.name, from + perWorker);
          workers.push({ rank, node: node.metadata.name, gpus: Array.from({ length: perWorker }, (_, i) => from + i), phase: 'Pending' });
        }
        if (workers.length < (job.spec?.workers ?? 1)) {
          pending++;
          continue;
        }
        for (const [k, v] of trial) used.set(k, v);
        const queue = job.spec?.queue ?? job.metadata.namespace;
        const nodeNames = [...new Set(workers.map((w) => w.node))].join(', ');
        const message = `admitted to queue ${queue} on nodes ${nodeNames}`;
        const { resourceVersion: _rv, ...metadata } = job.metadata;
        await store.update({ ...job, metadata, status: { ...job.status, phase: 'Admitted', admittedAt: rfc3339(clock.now()), queue, priority: 0, workers } }, { subresource: 'status' });
        recorder.record({ kind: 'TrainingJob', namespace: job.metadata.namespace, name: job.metadata.name }, 'Normal', 'Admitted', message);
        admitted.push({ kind: 'TrainingJob', namespace: job.metadata.namespace ?? '', name: job.metadata.name });
        writes++;
      }
      // ModelDeployments: each missing replica index goes to the first node with room.
      for (const md of (await store.list('ModelDeployment')).items) {
        const per = gpuCount(md.spec?.resources);
        const placements: { index: number; node: string; gpus: number[] }[] = (md.status?.replicaPlacements ?? []).filter((p: { node: string }) => nodes.some((n) => n.metadata.name === p.node));
        for (const p of placements) used.set(p.node, (used.get(p.node) ?? 0) + per);
        const before = (md.status?.replicaPlacements ?? []).length;
        for (let index = 0; index < (md.spec?.replicas ?? 1); index++) {
          if (placements.some((p) => p.index === index)) continue;
          const node = nodes.find((n) => takesWork(n) && nodeGpus(n) - (used.get(n.metadata.name) ?? 0) >= per);
          if (!node) break;
          used.set(node.metadata.name, (used.get(node.metadata.name) ?? 0) + per);
          placements.push({ index, node: node.metadata.name, gpus: [] });
          admitted.push({ kind: 'ModelDeployment', namespace: md.metadata.namespace ?? '', name: md.metadata.name, replica: index });
        }
        if (placements.length === before) continue;
        const { resourceVersion: _rv, ...metadata } = md.metadata;
        await store.update({ ...md, metadata, status: { ...md.status, replicaPlacements: placements.sort((a, b) => a.index - b.index) } }, { subresource: 'status' });
        writes++;
      }
      return { admitted, preempted: [], pending, writes };
    },
    close(): void {},
  };
}
