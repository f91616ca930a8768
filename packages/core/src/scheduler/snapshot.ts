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
import { ClusterState, type FreedMark, type NodeState } from './cluster-state.js';
import { NamespaceQuotas } from './namespace-quota.js';
import { EligibilityCache, matchesSelector, type Eligibility } from './placer.js';
import { QuotaTree } from './quota-tree.js';
import { VictimOrders, workSinceMs, type VictimRun } from './victim-orders.js';
import type { AdmittedState, CycleInput, NamespaceQuotaInput, NodeInput, PdbInput, PodPlacement, QueueInput, WorkloadInput } from './types.js';

export interface AdmittedEntry {
  w: WorkloadInput;
  state: AdmittedState;
  /** Device indices actually taken per pod (nodes that are gone take nothing). */
  taken: Array<Record<string, number[]> | undefined>;
  /** Each pod's node, resolved once (undefined: the node is gone); forget and the estimates walk these often. */
  nodes: Array<NodeState | undefined>;
  /** workSinceMs(state), kept: victim orders compare it n log n times. */
  sinceMs: number;
  /** False while forgotten (a victim order may still list it). */
  alive?: boolean;
  /** Work lost if preempted at `lostAtMs` (victim ordering computes it once per cycle time). */
  lostAtMs?: number;
  lostMs?: number;
}

function budgetAmount(v: number | string, of: number, roundUp: boolean): number {
  if (typeof v === 'number') return v;
  const pct = Number(v.replace('%', '')) / 100;
  return roundUp ? Math.ceil(pct * of) : Math.floor(pct * of);
}

/** What the nodes matching `selector` offer together (a flavor's capacity). */
function capacityOf(nodes: readonly NodeInput[], selector: Record<string, string>): Resources {
  const capacity: Resources = {};
  for (const n of nodes) if (matchesSelector(n.labels, selector)) addInto(capacity, n.allocatable);
  return capacity;
}

export class Snapshot {
  /** Replaced (with `elig`) only by replaceNodes, between cycles. */
  cluster: ClusterState;
  elig: EligibilityCache;
  readonly trees = new Map<string, QuotaTree>();
  readonly queues = new Map<string, QueueInput>();
  /** Flavor name → node selector ('' = every node). */
  readonly flavorSelectors = new Map<string, Record<string, string>>();
  /** Replaced (with the trees) only by replaceQuotas, between cycles. */
  nsQuotas: NamespaceQuotas;
  readonly admitted = new Map<string, AdmittedEntry>();
  /** The admitted set by charged queue (preemption looks only at the queues a rule allows). */
  readonly admittedByQueue = new Map<string, Map<string, AdmittedEntry>>();
  /** PDB key → disruptions still allowed this cycle. */
  readonly pdbAllowed = new Map<string, number>();
  private pdbs: PdbInput[];

  constructor(input: CycleInput) {
    this.cluster = new ClusterState(input.nodes);
    this.elig = new EligibilityCache(this.cluster);
    this.nsQuotas = this.setQuotas(input.queues, input.namespaceQuotas, input.nodes);
    this.cluster.bulkLoad(() => {
      for (const w of input.workloads) if (w.admitted) this.assume(w, w.admitted);
    });
    this.pdbs = input.pdbs;
    this.initPdbs(input.workloads);
  }

  /**
   * The same snapshot over other nodes (added, removed, relabelled, cordoned...), as
   * `new Snapshot` would build it, without rebuilding the admitted set: each admitted pod takes
   * its devices again on its node (none when the node is gone) and each flavor's capacity is
   * recomputed. False, and nothing changed, when an admitted workload whose flavor was inferred
   * from its node's labels would move to another flavor: the caller then builds a new snapshot.
   * Between cycles only.
   */
  replaceNodes(nodes: readonly NodeInput[]): boolean {
    const cluster = new ClusterState(nodes);
    for (const e of this.admitted.values()) {
      if (e.w.admitted && this.flavorFor(e.w.admitted, cluster) !== e.state.flavor) return false;
    }
    this.cluster = cluster;
    this.elig = new EligibilityCache(cluster);
    for (const [flavor, selector] of this.flavorSelectors) this.trees.get(flavor)!.setCapacity(capacityOf(nodes, selector));
    cluster.bulkLoad(() => {
      for (const e of this.admitted.values()) Object.assign(e, this.takeAdmittedPods(e.w, e.state));
    });
    return true;
  }

  /** Queues, flavors and one empty quota tree per flavor; returns the (empty) namespace quotas. */
  private setQuotas(queues: readonly QueueInput[], namespaceQuotas: readonly NamespaceQuotaInput[], nodes: readonly NodeInput[]): NamespaceQuotas {
    this.queues.clear();
    this.flavorNames.clear();
    this.flavorSelectors.clear();
    this.trees.clear();
    for (const q of queues) this.queues.set(q.name, q);
    this.flavorSelectors.set('', {});
    for (const q of queues) for (const f of q.flavors) if (!this.flavorSelectors.has(f.name)) this.flavorSelectors.set(f.name, f.nodeSelector);
    for (const [flavor, selector] of this.flavorSelectors) this.trees.set(flavor, new QuotaTree(queues, capacityOf(nodes, selector), flavor));
    return new NamespaceQuotas(namespaceQuotas);
  }

  /**
   * The same snapshot under other queues or namespace quotas, as `new Snapshot` would build it,
   * without rebuilding the admitted set or the nodes: new quota trees, and every admitted
   * workload charged again (to the flavor it is charged to now). Between cycles only.
   */
  replaceQuotas(queues: readonly QueueInput[], namespaceQuotas: readonly NamespaceQuotaInput[], nodes: readonly NodeInput[]): void {
    this.nsQuotas = this.setQuotas(queues, namespaceQuotas, nodes);
    // Eligibility is cached per flavor name, and a flavor's selector may have changed.
    this.elig = new EligibilityCache(this.cluster);
    for (const e of this.admitted.values()) {
      const flavor = e.w.admitted ? this.flavorFor(e.w.admitted) : e.state.flavor;
      if (flavor !== e.state.flavor) e.state = { ...e.state, flavor };
      this.chargeQuotas(e.w, e.state.queue, flavor, 1);
    }
  }

  /** The flavors a workload of `queue` may use, in order ('' when the queue has none). */
  flavorsOf(queue: string): readonly string[] {
    let names = this.flavorNames.get(queue);
    if (!names) {
      const q = this.queues.get(queue);
      this.flavorNames.set(queue, (names = q && q.flavors.length ? q.flavors.map((f) => f.name) : ['']));
    }
    return names;
  }

  /** The node classes that may ever host `w`'s pods in `flavor` ('' = the queue has no flavors). */
  eligibility(w: WorkloadInput, flavor: string): Eligibility {
    return this.elig.get(w, flavor || undefined, flavor ? this.flavorSelectors.get(flavor) : undefined);
  }

  /** flavorsOf per queue, worked out once (every attempt asks). */
  private readonly flavorNames = new Map<string, readonly string[]>();

  /** The flavor an admitted workload is charged to: as recorded, else the first whose selector matches its first node. */
  private flavorFor(state: AdmittedState, cluster = this.cluster): string {
    if (state.flavor && this.trees.has(state.flavor)) return state.flavor;
    const flavors = this.flavorsOf(state.queue);
    if (flavors.length === 1) return flavors[0];
    const node = state.pods[0] && cluster.byName.get(state.pods[0].node);
    for (const f of flavors) if (!node || matchesSelector(node.input.labels, this.flavorSelectors.get(f))) return f;
    return flavors[0];
  }

  /** Each admitted pod's node, and the devices it takes there (none on a node that is gone). */
  private takeAdmittedPods(w: WorkloadInput, state: AdmittedState): Pick<AdmittedEntry, 'nodes' | 'taken'> {
    const nodes = state.pods.map((p) => this.cluster.byName.get(p.node));
    const taken = state.pods.map((p, i) => {
      const node = nodes[i];
      return node ? this.cluster.take(node, w.podRequest, p.devices) : undefined;
    });
    return { nodes, taken };
  }

  /** Gives back (release) or takes again (take) the devices an entry holds on its nodes. */
  private moveEntryDevices(e: AdmittedEntry, how: 'release' | 'take'): void {
    for (let i = 0; i < e.nodes.length; i++) {
      const node = e.nodes[i];
      const devices = e.taken[i];
      if (node && devices) this.cluster[how](node, e.w.podRequest, devices);
    }
  }

  /**
   * Charges (1) or credits (−1) a workload's request to its queue's tree in `flavor` and to its
   * namespace's quotas. Usage only: the estimates' what-ifs use it as it is.
   */
  chargeUsage(w: WorkloadInput, queue: string, flavor: string, sign: 1 | -1): void {
    this.trees.get(flavor)?.charge(queue, w.totalRequest, sign);
    this.nsQuotas.charge(w, sign);
  }

  /** chargeUsage, and the admitted counts along the queue's path. */
  private chargeQuotas(w: WorkloadInput, queue: string, flavor: string, sign: 1 | -1): void {
    this.chargeUsage(w, queue, flavor, sign);
    const qn = this.trees.get(flavor)?.byName.get(queue);
    if (qn) for (let n: typeof qn | undefined = qn; n && !n.isRoot; n = n.parent) n.admittedCount += sign;
  }

  /** Takes the workload's resources on its nodes and charges its quotas. */
  assume(w: WorkloadInput, state: AdmittedState): void {
    const flavor = this.flavorFor(state);
    const st = flavor === state.flavor ? state : { ...state, flavor };
    const { nodes, taken } = this.takeAdmittedPods(w, st);
    this.chargeQuotas(w, st.queue, flavor, 1);
    this.addAdmitted({ w, state: st, taken, nodes, sinceMs: workSinceMs(st), alive: true, lostAtMs: NaN, lostMs: 0 });
    this.journalAdd(w.id);
  }

  /** Puts back exactly the entry `forget` removed (same devices). */
  private reinstate(e: AdmittedEntry): void {
    this.moveEntryDevices(e, 'take');
    this.chargeQuotas(e.w, e.state.queue, e.state.flavor, 1);
    this.addAdmitted(e);
    if (this.journal?.removed.get(e.w.id) === e) {
      this.journal.removed.delete(e.w.id);
      this.journalMix(`-${this.entryKey(e)}`, -1);
    } else this.journalAdd(e.w.id);
  }

  private journalAdd(id: string): void {
    const e = this.journal && this.admitted.get(id);
    if (!e) return;
    this.journal!.added.add(id);
    this.journalMix(`+${this.entryKey(e)}`, 1);
  }

  private readonly entryKeys = new WeakMap<AdmittedEntry, string>();

  private entryKey(e: AdmittedEntry): string {
    let k = this.entryKeys.get(e);
    if (k === undefined) this.entryKeys.set(e, (k = `${e.w.id}@${JSON.stringify(e.state.pods)}@${e.state.queue}@${e.state.flavor}`));
    return k;
  }

  /** Adds (1) or takes out (−1) one net change in the journal's order-independent hash. */
  private journalMix(change: string, sign: 1 | -1): void {
    const j = this.journal!;
    let h1 = 0x811c9dc5;
    let h2 = 0x01000193;
    for (let i = 0; i < change.length; i++) {
      const c = change.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 + c, 0x5bd1e995) ^ (h2 >>> 15);
    }
    j.hash1 = (j.hash1 + sign * (h1 >>> 0)) >>> 0;
    j.hash2 = (j.hash2 + sign * (h2 >>> 0)) >>> 0;
  }

  /**
   * The cycle's net changes so far (admissions with their placements, removed entries) and the
   * holds, as a key: equal keys over the same starting snapshot mean equal states, whatever
   * what-ifs came and went in between (a what-if's changes cancel out of the hash). Empty
   * outside a cycle.
   */
  stateKey(): string {
    const j = this.journal;
    if (!j) return '';
    // Kept while nothing changes: a cycle asks for it once per workload it searches for.
    const c = this.stateKeyCache;
    if (c && c.journal === j && c.hash1 === j.hash1 && c.hash2 === j.hash2 && c.added === j.added.size && c.removed === j.removed.size
      && c.holdVersion === this.cluster.holdVersion) return c.key;
    let key = `${j.added.size}/${j.removed.size}/${j.hash1.toString(36)}/${j.hash2.toString(36)}`;
    if (this.cluster.held.size > 0) key += `|${[...this.cluster.held].map((n) => `${n.name}>${n.heldBy?.id ?? ''}`).sort().join('|')}`;
    this.stateKeyCache = { journal: j, hash1: j.hash1, hash2: j.hash2, added: j.added.size, removed: j.removed.size, holdVersion: this.cluster.holdVersion, key };
    return key;
  }

  private stateKeyCache?: { journal: object; hash1: number; hash2: number; added: number; removed: number; holdVersion: number; key: string };

  /**
   * What a cycle changed, so `endCycle` can undo it and the snapshot can serve the next cycle
   * (see CycleMemo): admissions added, admitted entries removed, freed counters, PDB budgets.
   */
  private journal?: { added: Set<string>; removed: Map<string, AdmittedEntry>; freed: FreedMark; pdb: Map<string, number>; hash1: number; hash2: number };

  /**
   * For the estimates: gives back what an admitted entry holds (nodes, queue and namespace
   * quota) without removing it from the admitted set — the simulation never reads that set
   * again, and this is most of its work. `unsimulateEnd` puts it back.
   */
  simulateEnd(e: AdmittedEntry): void {
    this.moveEntryDevices(e, 'release');
    this.chargeUsage(e.w, e.state.queue, e.state.flavor, -1);
  }

  unsimulateEnd(e: AdmittedEntry): void {
    this.moveEntryDevices(e, 'take');
    this.chargeUsage(e.w, e.state.queue, e.state.flavor, 1);
  }

  /** Starts recording what the cycle changes. */
  beginCycle(): void {
    this.journal = { added: new Set(), removed: new Map(), freed: this.cluster.markFreed(), pdb: new Map(this.pdbAllowed), hash1: 0, hash2: 0 };
  }

  /** Undoes everything since `beginCycle`: the snapshot is again what its inputs say. */
  endCycle(): void {
    const j = this.journal;
    if (!j) return;
    this.journal = undefined;
    for (const id of j.added) this.forget(id);
    for (const e of j.removed.values()) this.reinstate(e);
    this.cluster.unhold();
    this.cluster.restoreFreed(j.freed);
    this.pdbAllowed.clear();
    for (const [k, v] of j.pdb) this.pdbAllowed.set(k, v);
  }

  /** Recomputes the disruption budgets from (new) inputs. */
  resetPdbs(pdbs: PdbInput[], workloads: readonly WorkloadInput[]): void {
    this.pdbs = pdbs;
    this.pdbAllowed.clear();
    this.initPdbs(workloads);
  }

  private addAdmitted(e: AdmittedEntry): void {
    e.alive = true;
    this.admitted.set(e.w.id, e);
    let byId = this.admittedByQueue.get(e.state.queue);
    if (!byId) this.admittedByQueue.set(e.state.queue, (byId = new Map()));
    byId.set(e.w.id, e);
    this.victimOrders.added(e);
    if (e.sinceMs > this.latestVictimSinceMs) this.latestVictimSinceMs = e.sinceMs;
  }

  private readonly victimOrders = new VictimOrders();
  /**
   * The latest start or checkpoint of any entry ever admitted here (it never goes down). Until
   * `now` passes it, no entry's work lost is clamped at zero and the victim order does not
   * depend on the time (preemption then uses one comparator, and the orders are kept).
   */
  latestVictimSinceMs = -Infinity;

  /** `queue`'s admitted entries in victim order (`compare`), in runs of equal total request; see VictimOrders. */
  admittedRuns(queue: string, compare: (a: AdmittedEntry, b: AdmittedEntry) => number): readonly VictimRun[] {
    return this.victimOrders.runs(queue, compare, () => this.admittedByQueue.get(queue)?.values() ?? []);
  }

  /**
   * Records a workload the placer already placed with `commit: true` (node resources taken):
   * charges quotas and adds it to the admitted set.
   */
  assumePlaced(w: WorkloadInput, queue: string, flavor: string, pods: PodPlacement[], nowMs: number): AdmittedState {
    const state: AdmittedState = { pods, queue, flavor, admittedMs: nowMs };
    this.chargeQuotas(w, queue, flavor, 1);
    this.addAdmitted({ w, state, taken: pods.map((p) => p.devices), nodes: pods.map((p) => this.cluster.byName.get(p.node)), sinceMs: workSinceMs(state), alive: true, lostAtMs: NaN, lostMs: 0 });
    this.journalAdd(w.id);
    return state;
  }

  /** Gives back an admitted workload's resources; returns restore(). */
  forget(id: string): () => void {
    const e = this.admitted.get(id);
    if (!e) return () => {};
    this.moveEntryDevices(e, 'release');
    this.chargeQuotas(e.w, e.state.queue, e.state.flavor, -1);
    this.admitted.delete(id);
    this.admittedByQueue.get(e.state.queue)?.delete(id);
    e.alive = false;
    this.victimOrders.removed(e);
    const j = this.journal;
    if (j) {
      if (j.added.has(id)) {
        j.added.delete(id);
        this.journalMix(`+${this.entryKey(e)}`, -1);
      } else if (!j.removed.has(id)) {
        j.removed.set(id, e);
        this.journalMix(`-${this.entryKey(e)}`, 1);
      }
    }
    return () => this.reinstate(e);
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
