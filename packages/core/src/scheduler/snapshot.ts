/**
 * Phase 1 of a cycle: the mutable snapshot. Nodes with what is free, one quota tree per
 * flavor, namespace quotas, disruption budgets and the admitted set. Decisions are assumed
 * into it (`assume`), and a what-if undoes them with the `restore()` that `forget` returns.
 *
 * Example:
 * ```ts
 * const snap = new Snapshot(input);
 * const restore = snap.forget(victimId); // as if the victim were gone
 * restore();                             // back exactly as it was
 * ```
 */
import { addInto, scale, type Resources } from '../resources/index.js';
import { matchesLabelSelector } from '../selectors/index.js';
import { ClusterState } from './cluster-state.js';
import { NamespaceQuotas } from './namespace-quota.js';
import { EligibilityCache } from './placer.js';
import { QuotaTree } from './quota-tree.js';
import type { AdmittedState, CycleInput, PdbInput, PodPlacement, QueueInput, WorkloadInput } from './types.js';

export interface AdmittedEntry {
  w: WorkloadInput;
  state: AdmittedState;
  /** Device indices actually taken per pod (nodes that are gone take nothing). */
  taken: Array<Record<string, number[]> | undefined>;
}

function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  for (const k in selector) if (labels[k] !== selector[k]) return false;
  return true;
}

function budgetAmount(v: number | string, of: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.replace('%', '')) / 100;
  return roundUp ? Math.ceil(pct * of) : Math.floor(pct * of);
}

export class Snapshot {
  readonly cluster: ClusterState;
  readonly elig: EligibilityCache;
  readonly trees = new Map<string, QuotaTree>();
  readonly queues = new Map<string, QueueInput>();
  /** Flavor name → node selector ('' = every node). */
  readonly flavorSelectors = new Map<string, Record<string, string>>();
  readonly nsQuotas: NamespaceQuotas;
  readonly admitted = new Map<string, AdmittedEntry>();
  /** The admitted set by charged queue (preemption looks only at the queues a rule allows). */
  readonly admittedByQueue = new Map<string, Map<string, AdmittedEntry>>();
  /** PDB key → disruptions still allowed this cycle. */
  readonly pdbAllowed = new Map<string, number>();
  private readonly pdbs: PdbInput[];

  constructor(input: CycleInput) {
    this.cluster = new ClusterState(input.nodes);
    this.elig = new EligibilityCache(this.cluster);
    for (const q of input.queues) this.queues.set(q.name, q);
    this.flavorSelectors.set('', {});
    for (const q of input.queues) for (const f of q.flavors) if (!this.flavorSelectors.has(f.name)) this.flavorSelectors.set(f.name, f.nodeSelector);
    for (const [flavor, selector] of this.flavorSelectors) {
      const capacity: Resources = {};
      for (const n of input.nodes) if (matchesSelector(n.labels, selector)) addInto(capacity, n.allocatable);
      this.trees.set(flavor, new QuotaTree(input.queues, capacity, flavor));
    }
    this.nsQuotas = new NamespaceQuotas(input.namespaceQuotas);
    for (const w of input.workloads) if (w.admitted) this.assume(w, w.admitted);
    this.pdbs = input.pdbs;
    this.initPdbs(input.workloads);
  }

  /** The flavors a workload of `queue` may use, in order ('' when the queue has none). */
  flavorsOf(queue: string): string[] {
    const q = this.queues.get(queue);
    return q && q.flavors.length ? q.flavors.map((f) => f.name) : [''];
  }

  /** The flavor an admitted workload is charged to: as recorded, else the first whose selector matches its first node. */
  private flavorFor(w: WorkloadInput, state: AdmittedState): string {
    if (state.flavor && this.trees.has(state.flavor)) return state.flavor;
    const flavors = this.flavorsOf(state.queue);
    if (flavors.length === 1) return flavors[0];
    const node = state.pods[0] && this.cluster.byName.get(state.pods[0].node);
    for (const f of flavors) if (!node || matchesSelector(node.input.labels, this.flavorSelectors.get(f) ?? {})) return f;
    void w;
    return flavors[0];
  }

  totalRequest(w: WorkloadInput): Resources {
    return scale(w.podRequest, w.pods);
  }

  /** Takes the workload's resources on its nodes and charges its quotas. */
  assume(w: WorkloadInput, state: AdmittedState): void {
    const flavor = this.flavorFor(w, state);
    const st = flavor === state.flavor ? state : { ...state, flavor };
    const taken = st.pods.map((p) => {
      const node = this.cluster.byName.get(p.node);
      return node ? this.cluster.take(node, w.podRequest, p.devices) : undefined;
    });
    this.trees.get(flavor)?.charge(st.queue, this.totalRequest(w), 1);
    this.nsQuotas.charge(w, 1);
    const tree = this.trees.get(flavor);
    const qn = tree?.byName.get(st.queue);
    if (qn) for (let n: typeof qn | undefined = qn; n && !n.isRoot; n = n.parent) n.admittedCount++;
    this.addAdmitted({ w, state: st, taken });
  }

  private addAdmitted(e: AdmittedEntry): void {
    this.admitted.set(e.w.id, e);
    let byId = this.admittedByQueue.get(e.state.queue);
    if (!byId) this.admittedByQueue.set(e.state.queue, (byId = new Map()));
    byId.set(e.w.id, e);
    const order = this.victimOrders.get(e.state.queue);
    if (order && !order.ids.has(e.w.id)) this.victimOrders.delete(e.state.queue);
  }

  private readonly victimOrders = new Map<string, { ids: Set<string>; order: string[]; compare: unknown }>();

  /**
   * Ids of `queue`'s admitted workloads sorted by `compare`, cached for the cycle (a victim that
   * is forgotten and restored keeps its place; a new admission re-sorts). Callers skip ids no
   * longer admitted.
   */
  admittedOrder(queue: string, compare: (a: AdmittedEntry, b: AdmittedEntry) => number): readonly string[] {
    const cached = this.victimOrders.get(queue);
    if (cached && cached.compare === compare) return cached.order;
    const entries = [...(this.admittedByQueue.get(queue)?.values() ?? [])].sort(compare);
    const order = entries.map((e) => e.w.id);
    this.victimOrders.set(queue, { ids: new Set(order), order, compare });
    return order;
  }

  /**
   * Records a workload the placer already placed with `commit: true` (node resources taken):
   * charges quotas and adds it to the admitted set.
   */
  assumePlaced(w: WorkloadInput, queue: string, flavor: string, pods: PodPlacement[], nowMs: number): AdmittedState {
    const state: AdmittedState = { pods, queue, flavor, admittedMs: nowMs };
    this.trees.get(flavor)?.charge(queue, this.totalRequest(w), 1);
    this.nsQuotas.charge(w, 1);
    const qn = this.trees.get(flavor)?.byName.get(queue);
    if (qn) for (let n: typeof qn | undefined = qn; n && !n.isRoot; n = n.parent) n.admittedCount++;
    this.addAdmitted({ w, state, taken: pods.map((p) => p.devices) });
    return state;
  }

  /** Gives back an admitted workload's resources; returns restore(). */
  forget(id: string): () => void {
    const e = this.admitted.get(id);
    if (!e) return () => {};
    e.state.pods.forEach((p, i) => {
      const node = this.cluster.byName.get(p.node);
      const devices = e.taken[i];
      if (node && devices) this.cluster.release(node, e.w.podRequest, devices);
    });
    const tree = this.trees.get(e.state.flavor);
    tree?.charge(e.state.queue, this.totalRequest(e.w), -1);
    const qn = tree?.byName.get(e.state.queue);
    if (qn) for (let n: typeof qn | undefined = qn; n && !n.isRoot; n = n.parent) n.admittedCount--;
    this.nsQuotas.charge(e.w, -1);
    this.admitted.delete(id);
    this.admittedByQueue.get(e.state.queue)?.delete(id);
    return () => this.assume(e.w, e.state);
  }

  private pdbKey(p: PdbInput): string {
    return `${p.namespace}/${p.name}`;
  }

  private pdbsOf(w: WorkloadInput): PdbInput[] {
    if (w.key.kind !== 'ModelDeployment') return [];
    return this.pdbs.filter((p) => p.namespace === w.namespace && matchesLabelSelector(p.selector, w.labels));
  }

  private initPdbs(workloads: readonly WorkloadInput[]): void {
    for (const p of this.pdbs) {
      let expected = 0;
      let healthy = 0;
      for (const w of workloads) {
        if (w.key.kind !== 'ModelDeployment' || w.namespace !== p.namespace || !matchesLabelSelector(p.selector, w.labels)) continue;
        expected++;
        if (w.admitted) healthy++;
      }
      let allowed = Number.MAX_SAFE_INTEGER;
      if (p.minAvailable !== undefined) allowed = healthy - budgetAmount(p.minAvailable, expected, true);
      else if (p.maxUnavailable !== undefined) allowed = budgetAmount(p.maxUnavailable, expected, true) - (expected - healthy);
      this.pdbAllowed.set(this.pdbKey(p), Math.max(0, allowed));
    }
  }

  /** The first PDB that forbids disrupting `w`, or undefined. */
  pdbBlocking(w: WorkloadInput): string | undefined {
    for (const p of this.pdbsOf(w)) if ((this.pdbAllowed.get(this.pdbKey(p)) ?? 0) <= 0) return this.pdbKey(p);
    return undefined;
  }

  /** Uses (−1) or gives back (+1) one disruption of every PDB covering `w`. */
  spendPdb(w: WorkloadInput, delta: -1 | 1): void {
    for (const p of this.pdbsOf(w)) this.pdbAllowed.set(this.pdbKey(p), (this.pdbAllowed.get(this.pdbKey(p)) ?? 0) + delta);
  }
}
