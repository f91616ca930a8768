/**
 * A deliberately tiny scheduler for the simulator's own tests, so they do not depend on the
 * real one: each pass admits pending TrainingJobs in creation order onto the first nodes (by
 * name) with enough free GPUs (skipping cordoned and spot-noticed nodes). No
 * queues' quotas, no preemption; ModelDeployment replicas first-fit too. It writes what the real scheduler writes on admission
 * (phase, admittedAt, queue, workers, event). It is also the benchmark's floor (how fast the
 * simulator itself goes), so it follows nodes and jobs through watches instead of relisting
 * them every pass, and finds "the first node with room" in a max-tree (O(log nodes)).
 *
 * Example:
 * ```ts
 * await simulateScenario(scenario, { createScheduler: firstFitScheduler });
 * ```
 */
import type { ApiObject, WatchEvent } from '@qm/api';
import type { Scheduler, SchedulerDeps, SchedulingPassResult, Store, WatchHandle, WorkloadKey } from '@qm/core';
import { gpuCount, nodeGpus } from '../cluster-mirror.js';
import { rfc3339 } from '../virtual-clock.js';

function takesWork(node: ApiObject): boolean {
  if (node.spec?.unschedulable) return false;
  return !(node.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'SpotInterruption' && c.status === 'True');
}

/** The store's list order: (namespace, name) by code units. */
function storeKey(obj: ApiObject): string {
  return `${obj.metadata.namespace ?? ''}\0${obj.metadata.name}`;
}

/** Creation order as the pass sorts it; ties fall back to the store's list order. */
function byCreation(a: ApiObject, b: ApiObject): number {
  return (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || a.metadata.name.localeCompare(b.metadata.name)
    || (storeKey(a) < storeKey(b) ? -1 : storeKey(a) > storeKey(b) ? 1 : 0);
}

/** GPUs an Admitted or Running job holds per node (what a pass counts as used). */
function heldGpus(job: ApiObject): Map<string, number> | undefined {
  if (job.status?.phase !== 'Admitted' && job.status?.phase !== 'Running') return undefined;
  const held = new Map<string, number>();
  for (const w of job.status.workers ?? []) held.set(w.node, (held.get(w.node) ?? 0) + (w.gpus?.length ?? 0));
  return held;
}

/**
 * Free GPUs per node (in name order) in a max-tree: "first node with at least k free" is a
 * walk down from the root. Nodes that take no work count as -Infinity free.
 */
class FreeTree {
  private readonly size: number;
  private readonly tree: Float64Array;
  readonly used: number[];

  constructor(private readonly caps: number[], private readonly takes: boolean[], used: number[]) {
    let size = 1;
    while (size < caps.length) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(-Infinity);
    this.used = used;
    for (let i = 0; i < caps.length; i++) this.tree[size + i] = this.leaf(i);
    for (let i = size - 1; i >= 1; i--) this.tree[i] = Math.max(this.tree[2 * i], this.tree[2 * i + 1]);
  }

  private leaf(i: number): number {
    const free = this.caps[i] - this.used[i];
    return this.takes[i] && !Number.isNaN(free) ? free : -Infinity;
  }

  /** The first node (index) with at least `gpus` free that takes work, or -1. */
  first(gpus: number): number {
    if (!(this.tree[1] >= gpus)) return -1;
    let i = 1;
    while (i < this.size) i = this.tree[2 * i] >= gpus ? 2 * i : 2 * i + 1;
    return i - this.size;
  }

  add(index: number, gpus: number): void {
    this.used[index] += gpus;
    let i = this.size + index;
    this.tree[i] = this.leaf(index);
    for (i >>= 1; i >= 1; i >>= 1) this.tree[i] = Math.max(this.tree[2 * i], this.tree[2 * i + 1]);
  }
}

interface SortedNodes {
  names: string[];
  index: Map<string, number>;
  caps: number[];
  takes: boolean[];
  used: number[];
}

/** Nodes and TrainingJobs as the watches last delivered them, with the GPUs jobs hold per node. */
class FirstFitView {
  readonly nodes = new Map<string, ApiObject>();
  /**
   * Nodes in the order a pass tries them, with GPUs, whether they take work and GPUs held
   * (kept current as jobs change, so a pass copies an array instead of looking up every node);
   * rebuilt after a node changes.
   */
  private sorted: SortedNodes | undefined;
  readonly jobs = new Map<string, ApiObject>();
  /** Jobs a pass would consider: phase Pending, not being deleted. */
  readonly pending = new Set<string>();
  private readonly held = new Map<string, Map<string, number>>();
  /** node → GPUs held by Admitted/Running jobs. */
  readonly used = new Map<string, number>();
  private readonly handles: WatchHandle[] = [];

  static async open(store: Store): Promise<FirstFitView> {
    const view = new FirstFitView();
    for (const kind of ['Node', 'TrainingJob'] as const) {
      const listed = await store.list(kind);
      for (const obj of listed.items) view.apply({ type: 'ADDED', object: obj });
      view.handles.push(await store.watch({ kind, resourceVersion: listed.resourceVersion }, (ev) => view.apply(ev)));
    }
    return view;
  }

  close(): void {
    for (const h of this.handles.splice(0)) h.close();
  }

  sortedNodes(): SortedNodes {
    if (!this.sorted) {
      const names = [...this.nodes.keys()].sort((a, b) => a.localeCompare(b));
      const nodes = names.map((name) => this.nodes.get(name)!);
      this.sorted = {
        names, index: new Map(names.map((name, i) => [name, i])),
        caps: nodes.map(nodeGpus), takes: nodes.map(takesWork), used: names.map((name) => this.used.get(name) ?? 0),
      };
    }
    return this.sorted;
  }

  private addUsed(node: string, gpus: number): void {
    this.used.set(node, (this.used.get(node) ?? 0) + gpus);
    const at = this.sorted?.index.get(node);
    if (at !== undefined) this.sorted!.used[at] += gpus;
  }

  private apply(ev: WatchEvent): void {
    const obj = ev.object;
    if (obj.kind === 'Node') {
      if (ev.type === 'DELETED') this.nodes.delete(obj.metadata.name);
      else this.nodes.set(obj.metadata.name, obj);
      this.sorted = undefined;
      return;
    }
    const key = storeKey(obj);
    for (const [node, gpus] of this.held.get(key) ?? []) this.addUsed(node, -gpus);
    this.held.delete(key);
    if (ev.type === 'DELETED') {
      this.jobs.delete(key);
      this.pending.delete(key);
      return;
    }
    this.jobs.set(key, obj);
    if ((obj.status?.phase ?? 'Pending') === 'Pending' && !obj.metadata.deletionTimestamp) this.pending.add(key);
    else this.pending.delete(key);
    const held = heldGpus(obj);
    if (!held) return;
    this.held.set(key, held);
    for (const [node, gpus] of held) this.addUsed(node, gpus);
  }
}

export function firstFitScheduler(deps: SchedulerDeps): Scheduler {
  let view: FirstFitView | undefined;
  let closed = false;
  return {
    async runPass(): Promise<SchedulingPassResult> {
      const { store, clock, recorder } = deps;
      view ??= await FirstFitView.open(store);
      const { names, index, caps, takes, used } = view.sortedNodes();
      const free = new FreeTree(caps, takes, used.slice());
      const jobs = [...view.pending].map((key) => view!.jobs.get(key)!).sort(byCreation);
      const admitted: WorkloadKey[] = [];
      let pending = 0;
      let writes = 0;
      for (const job of jobs) {
        const perWorker = job.spec?.gpusPerWorker ?? 0;
        const workers: { rank: number; node: string; gpus: number[]; phase: string }[] = [];
        const trial: number[] = [];
        for (let rank = 0; rank < (job.spec?.workers ?? 1); rank++) {
          const at = free.first(perWorker);
          if (at < 0) break;
          const from = free.used[at];
          free.add(at, perWorker);
          trial.push(at);
          workers.push({ rank, node: names[at], gpus: Array.from({ length: perWorker }, (_, i) => from + i), phase: 'Pending' });
        }
        if (workers.length < (job.spec?.workers ?? 1)) {
          for (const at of trial) free.add(at, -perWorker); // the job does not fit: undo its trial
          pending++;
          continue;
        }
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
        const placements: { index: number; node: string; gpus: number[] }[] = (md.status?.replicaPlacements ?? []).filter((p: { node: string }) => index.has(p.node));
        for (const p of placements) free.add(index.get(p.node)!, per);
        const before = (md.status?.replicaPlacements ?? []).length;
        for (let replica = 0; replica < (md.spec?.replicas ?? 1); replica++) {
          if (placements.some((p) => p.index === replica)) continue;
          const at = free.first(per);
          if (at < 0) break;
          free.add(at, per);
          placements.push({ index: replica, node: names[at], gpus: [] });
          admitted.push({ kind: 'ModelDeployment', namespace: md.metadata.namespace ?? '', name: md.metadata.name, replica });
        }
        if (placements.length === before) continue;
        const { resourceVersion: _rv, ...metadata } = md.metadata;
        await store.update({ ...md, metadata, status: { ...md.status, replicaPlacements: placements.sort((a, b) => a.index - b.index) } }, { subresource: 'status' });
        writes++;
      }
      if (closed) view.close();
      return { admitted, preempted: [], pending, writes };
    },
    close(): void {
      closed = true;
      view?.close();
    },
  };
}
