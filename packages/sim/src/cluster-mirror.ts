/**
 * What the simulator needs to know about the cluster for accounting, kept current through
 * store.watch (never relisted per event): nodes (GPU capacity, price), queues (tree,
 * guarantees, namespaces), node pools and price catalogs (prices), priority classes.
 *
 * Example:
 * ```ts
 * const mirror = await ClusterMirror.open(store, (gpus) => ledger.setCapacity(clock.now(), gpus));
 * mirror.queueFor(job);               // 'team-a'
 * mirror.usdPerGpuHour('gpu-1');      // 4.1, or 0 when no price is known
 * ```
 */
import { NODE_LABELS, quantityToNumber, type ApiObject, type WatchEvent } from '@qm/api';
import type { Store, WatchHandle } from '@qm/core';
import type { QueueShape } from './usage-ledger.js';

const WATCHED = ['Node', 'Queue', 'NodePool', 'PriceCatalog', 'PriorityClass'] as const;
const GPU = 'nvidia.com/gpu';

/** A resource list's GPU count (0 when absent or unreadable). */
export function gpuCount(resources: Record<string, unknown> | undefined): number {
  const v = resources?.[GPU];
  if (v === undefined) return 0;
  try {
    return quantityToNumber(v as string | number);
  } catch {
    return 0;
  }
}

/** A node's GPUs: allocatable, else capacity. */
export function nodeGpus(node: ApiObject): number {
  return gpuCount(node.status?.allocatable ?? node.status?.capacity);
}

export class ClusterMirror {
  readonly nodes = new Map<string, ApiObject>();
  private readonly queues = new Map<string, ApiObject>();
  private readonly pools = new Map<string, ApiObject>();
  private readonly catalogs = new Map<string, ApiObject>();
  private readonly priorityClasses = new Map<string, ApiObject>();
  private readonly handles: WatchHandle[] = [];
  private capacityGpus = 0;
  private byNamespace: Map<string, string> | undefined;

  private constructor(private readonly onCapacity: (gpus: number) => void) {}

  static async open(store: Store, onCapacity: (gpus: number) => void): Promise<ClusterMirror> {
    const mirror = new ClusterMirror(onCapacity);
    for (const kind of WATCHED) {
      const listed = await store.list(kind);
      for (const obj of listed.items) mirror.apply({ type: 'ADDED', object: obj });
      mirror.handles.push(await store.watch({ kind, resourceVersion: listed.resourceVersion }, (ev) => mirror.apply(ev)));
    }
    return mirror;
  }

  close(): void {
    for (const h of this.handles.splice(0)) h.close();
  }

  private apply(ev: WatchEvent): void {
    const obj = ev.object;
    const map = this.mapFor(obj.kind);
    if (!map) return;
    const name = obj.metadata.name;
    if (obj.kind === 'Node') {
      const before = this.nodes.get(name);
      const after = ev.type === 'DELETED' ? undefined : obj;
      const delta = (after ? nodeGpus(after) : 0) - (before ? nodeGpus(before) : 0);
      if (after) map.set(name, after);
      else map.delete(name);
      if (delta !== 0) {
        this.capacityGpus += delta;
        this.onCapacity(this.capacityGpus);
      }
      return;
    }
    // Queue status changes every pass; only a spec change can re-route namespaces.
    if (obj.kind === 'Queue' && (ev.type !== 'MODIFIED' || JSON.stringify(map.get(name)?.spec) !== JSON.stringify(obj.spec))) {
      this.byNamespace = undefined;
    }
    if (ev.type === 'DELETED') map.delete(name);
    else map.set(name, obj);
  }

  private mapFor(kind: string): Map<string, ApiObject> | undefined {
    switch (kind) {
      case 'Node': return this.nodes;
      case 'Queue': return this.queues;
      case 'NodePool': return this.pools;
      case 'PriceCatalog': return this.catalogs;
      case 'PriorityClass': return this.priorityClasses;
      default: return undefined;
    }
  }

  /** For the usage ledger: parent and GPU guarantee of a queue. */
  queueShape(name: string): QueueShape | undefined {
    const q = this.queues.get(name);
    if (!q) return undefined;
    return { parent: q.spec?.parent, guaranteedGpus: gpuCount(q.spec?.guaranteed) };
  }

  /** Queue names, sorted. */
  queueNames(): string[] {
    return [...this.queues.keys()].sort();
  }

  queueAnnotation(name: string, key: string): string | undefined {
    return this.queues.get(name)?.metadata.annotations?.[key];
  }

  queueWeight(name: string): number {
    const w = this.queues.get(name)?.spec?.weight;
    return typeof w === 'number' && w > 0 ? w : 1;
  }

  /**
   * The queue a workload goes to, as the scheduler routes it: status.queue once the scheduler
   * set it, else spec.queue, else the (alphabetically first) queue listing its namespace.
   */
  queueFor(obj: ApiObject): string | undefined {
    const fromStatus = obj.status?.queue;
    if (typeof fromStatus === 'string' && fromStatus !== '') return fromStatus;
    if (typeof obj.spec?.queue === 'string') return obj.spec.queue;
    return this.namespaceQueues().get(obj.metadata.namespace ?? '');
  }

  /** namespace → first queue (by name) that lists it; rebuilt only after a queue changed. */
  private namespaceQueues(): Map<string, string> {
    if (this.byNamespace) return this.byNamespace;
    const index = new Map<string, string>();
    for (const name of this.queueNames()) {
      const namespaces = this.queues.get(name)?.spec?.namespaces;
      if (!Array.isArray(namespaces)) continue;
      for (const ns of namespaces) if (!index.has(ns)) index.set(ns, name);
    }
    this.byNamespace = index;
    return index;
  }

  /** status.priority once set, else spec.priorityClassName's value, else the global default's, else 0. */
  priorityOf(obj: ApiObject): number {
    if (typeof obj.status?.priority === 'number') return obj.status.priority;
    const named = obj.spec?.priorityClassName;
    if (typeof named === 'string') {
      const pc = this.priorityClasses.get(named);
      return typeof pc?.value === 'number' ? pc.value : 0;
    }
    const defaults = [...this.priorityClasses.values()].filter((pc) => pc.globalDefault === true)
      .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    return typeof defaults[0]?.value === 'number' ? defaults[0].value : 0;
  }

  /**
   * USD per GPU-hour on a node: its pool's pricePerHour / GPUs per node (spot pools: the
   * same price; the pool says what it costs), else a PriceCatalog's gpuHour for the node's
   * GPU model (catalogs by name, first match), else 0.
   */
  usdPerGpuHour(nodeName: string): number {
    const node = this.nodes.get(nodeName);
    if (!node) return 0;
    const labels = node.metadata.labels ?? {};
    const pool = labels[NODE_LABELS.pool] ? this.pools.get(labels[NODE_LABELS.pool]) : undefined;
    const poolPrice = pool?.spec?.pricePerHour;
    if (typeof poolPrice === 'number') {
      const gpus = nodeGpus(node) || pool?.spec?.gpusPerNode || 0;
      if (gpus > 0) return poolPrice / gpus;
    }
    const model = labels[NODE_LABELS.gpuModel];
    if (model) {
      for (const name of [...this.catalogs.keys()].sort()) {
        const price = this.catalogs.get(name)?.spec?.gpuHour?.[model];
        if (typeof price === 'number') return price;
      }
    }
    return 0;
  }

  pool(name: string): ApiObject | undefined {
    return this.pools.get(name);
  }
}
