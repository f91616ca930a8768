/**
 * Mirror → CycleInput, with parsed objects cached by resourceVersion so a pass over an
 * unchanged cluster parses nothing.
 *
 * Example: `const input = builder.build(mirror);`
 */
import { RECLAIM_DELAY_ANNOTATION, isQmError, type ApiObject } from '@qm/api';
import type { CycleInput, NamespaceQuotaInput, NodeInput, PdbInput, QueueInput, WorkloadInput } from '../../scheduler/types.js';
import { workloadInput } from '../../scheduler/workload-input.js';
import type { Mirror } from './mirror.js';
import {
  limitDefaultsOf, parseModelDeployment, parseNode, parsePdb, parseQueue, parseResourceQuota, parseTrainingJob, stableKey, type Routing,
} from './parse-objects.js';

interface Cached<T> { rv: string; gen: number; value: T; key?: string }
/** A parse cached against the object itself (and, for workloads, the routing generation it used). */
interface ByObject<T> { gen: number; value: T; key?: string }

function problemWorkload(obj: ApiObject, message: string): WorkloadInput {
  const ns = obj.metadata.namespace ?? '';
  return workloadInput({
    key: { kind: obj.kind as 'TrainingJob', namespace: ns, name: obj.metadata.name },
    id: `${obj.kind}/${ns}/${obj.metadata.name}`,
    namespace: ns, queueProblem: message, priority: 0, preemptNever: true, createdMs: 0, pendingSinceMs: 0,
    pods: 1, podRequest: {}, nodeSelector: {}, tolerations: [], useSpot: false, labels: {}, constraintKey: '',
  });
}

/**
 * `value`, or the previous input when it says exactly the same: a status-only change (a heartbeat,
 * a quota's used counts) then keeps the input's identity, and with it the scheduler's snapshot.
 */
function unchangedOrNew<T>(previous: { value: T | undefined; key?: string } | undefined, value: T): { value: T; key: string } {
  const key = stableKey(value);
  return previous?.value !== undefined && previous.key === key ? { value: previous.value, key } : { value, key };
}

export class InputBuilder {
  private routing?: Routing;
  private routingKey = '';
  private generation = 0;
  private readonly nodeCache = new WeakMap<ApiObject, ByObject<NodeInput | undefined>>();
  /** Node name → its last parse (input and key). */
  private nodesByName = new Map<string, ByObject<NodeInput | undefined>>();
  private readonly workloadCache = new WeakMap<ApiObject, ByObject<WorkloadInput[]>>();
  private readonly queueCache = new Map<string, Cached<QueueInput | undefined>>();

  private versionsKey = '';
  /** Queue name → resourceVersion and the parts of it routing reads (spec, reclaim-delay annotation). */
  private readonly queueSpecKeys = new Map<string, { rv: string; key: string }>();

  /**
   * What routing depends on. Queue status writes (ours, every pass that changes usage) bump the
   * Queue kind's version but change nothing routing reads: key queues by spec, so they do not
   * force every workload to be parsed again.
   */
  private routingKeyOf(mirror: Mirror): string {
    const versions = ['Queue', 'PriorityClass', 'LimitRange'].map((k) => mirror.versions.get(k)).join('/');
    if (versions === this.versionsKey) return this.routingKey;
    this.versionsKey = versions;
    const parts = [String(mirror.versions.get('PriorityClass')), String(mirror.versions.get('LimitRange'))];
    const seen = new Set<string>();
    for (const obj of mirror.list('Queue').sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const name = obj.metadata.name;
      seen.add(name);
      const rv = obj.metadata.resourceVersion ?? '';
      let c = this.queueSpecKeys.get(name);
      if (!c || c.rv !== rv) {
        c = { rv, key: JSON.stringify([name, obj.spec ?? null, obj.metadata.annotations?.[RECLAIM_DELAY_ANNOTATION] ?? null]) };
        this.queueSpecKeys.set(name, c);
      }
      parts.push(c.key);
    }
    for (const k of this.queueSpecKeys.keys()) if (!seen.has(k)) this.queueSpecKeys.delete(k);
    return parts.join('\n');
  }

  private routingOf(mirror: Mirror): Routing {
    const key = this.routingKeyOf(mirror);
    if (this.routing && key === this.routingKey) return this.routing;
    this.routingKey = key;
    this.generation++;
    const queues = new Map<string, QueueInput>();
    for (const obj of mirror.list('Queue').sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const rv = obj.metadata.resourceVersion ?? '';
      let c = this.queueCache.get(obj.metadata.name);
      if (!c || c.rv !== rv) {
        let value: QueueInput | undefined;
        try { value = parseQueue(obj); } catch (err) { if (!isQmError(err)) throw err; }
        c = { rv, gen: 0, value };
        this.queueCache.set(obj.metadata.name, c);
      }
      if (c.value) queues.set(c.value.name, c.value);
    }
    const parents = new Set<string>();
    for (const q of queues.values()) if (q.parent) parents.add(q.parent);
    const namespaceQueue = new Map<string, string>();
    for (const obj of mirror.list('Queue').sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      if (parents.has(obj.metadata.name)) continue;
      for (const ns of ((obj.spec as any)?.namespaces ?? []) as string[]) if (!namespaceQueue.has(ns)) namespaceQueue.set(ns, obj.metadata.name);
    }
    const priorityClasses = new Map<string, { value: number; never: boolean }>();
    let defaultPriority: Routing['defaultPriority'];
    for (const pc of mirror.list('PriorityClass').sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1))) {
      const entry = { value: Number(pc.value ?? 0), never: pc.preemptionPolicy === 'Never' };
      priorityClasses.set(pc.metadata.name, entry);
      if (pc.globalDefault === true && (!defaultPriority || entry.value > defaultPriority.value)) defaultPriority = { name: pc.metadata.name, ...entry };
    }
    const byNs = new Map<string, ApiObject[]>();
    for (const lr of mirror.list('LimitRange')) {
      const ns = lr.metadata.namespace ?? '';
      byNs.set(ns, [...(byNs.get(ns) ?? []), lr]);
    }
    const limitDefaults = new Map<string, Record<string, number>>();
    for (const [ns, list] of byNs) {
      try { limitDefaults.set(ns, limitDefaultsOf(list.sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1)))); } catch (err) { if (!isQmError(err)) throw err; }
    }
    this.routing = { generation: this.generation, queues, parents, namespaceQueue, priorityClasses, defaultPriority, limitDefaults };
    return this.routing;
  }

  private readonly quotaCache = new Map<string, Cached<NamespaceQuotaInput | undefined>>();
  private readonly pdbCache = new Map<string, Cached<PdbInput | undefined>>();

  private parsedList<T>(mirror: Mirror, kind: string, cache: Map<string, Cached<T | undefined>>, parse: (obj: ApiObject) => T): T[] {
    const out: T[] = [];
    const seen = new Set<string>();
    for (const obj of mirror.list(kind)) {
      const key = `${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
      seen.add(key);
      const rv = obj.metadata.resourceVersion ?? '';
      let c = cache.get(key);
      if (!c || c.rv !== rv) {
        let value: T | undefined;
        try { value = parse(obj); } catch (err) { if (!isQmError(err)) throw err; }
        c = { rv, gen: 0, ...(value === undefined ? { value } : unchangedOrNew(c, value)) };
        cache.set(key, c);
      }
      if (c.value) out.push(c.value);
    }
    for (const k of cache.keys()) if (!seen.has(k)) cache.delete(k);
    return out;
  }

  build(mirror: Mirror): CycleInput {
    const routing = this.routingOf(mirror);
    // Parsed inputs are cached by object identity: the mirror keeps an unchanged object as the same
    // reference, so a pass over a large cluster builds no keys and parses only what changed.
    const nodes: NodeInput[] = [];
    const nodesByName = new Map<string, ByObject<NodeInput | undefined>>();
    for (const obj of mirror.values('Node')) {
      let c = this.nodeCache.get(obj);
      if (!c) {
        let value: NodeInput | undefined;
        try { value = parseNode(obj); } catch (err) { if (!isQmError(err)) throw err; }
        c = { gen: 0, ...(value === undefined ? { value } : unchangedOrNew(this.nodesByName.get(value.name), value)) };
        this.nodeCache.set(obj, c);
      }
      if (c.value) {
        nodes.push(c.value);
        nodesByName.set(c.value.name, c);
      }
    }
    this.nodesByName = nodesByName;

    const workloads: WorkloadInput[] = [];
    for (const kind of ['TrainingJob', 'ModelDeployment']) {
      for (const obj of mirror.values(kind)) {
        let c = this.workloadCache.get(obj);
        if (!c || c.gen !== routing.generation) {
          let value: WorkloadInput[];
          try {
            value = kind === 'TrainingJob' ? parseTrainingJob(obj, routing) : parseModelDeployment(obj, routing);
          } catch (err) {
            if (!isQmError(err)) throw err;
            value = [problemWorkload(obj, `invalid spec: ${err.message}`)];
          }
          c = { gen: routing.generation, value };
          this.workloadCache.set(obj, c);
        }
        for (const w of c.value) workloads.push(w);
      }
    }

    // Cached by resourceVersion too: unchanged inputs keep their identity, so a CycleMemo can reuse its snapshot.
    const namespaceQuotas = this.parsedList(mirror, 'ResourceQuota', this.quotaCache, parseResourceQuota);
    const pdbs = this.parsedList(mirror, 'PodDisruptionBudget', this.pdbCache, parsePdb);
    return { nodes, queues: [...routing.queues.values()], workloads, namespaceQuotas, pdbs };
  }
}
