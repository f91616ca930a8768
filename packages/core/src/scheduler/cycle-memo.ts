/**
 * What one cycle may hand to the next: the snapshot of nodes, quotas and the admitted set. A
 * cycle records what it changes and undoes it at the end (Snapshot.beginCycle/endCycle), and
 * the next cycle applies only the inputs that changed — compared by identity, since the
 * controller keeps parsed inputs per resourceVersion. Nodes, queues or namespace quotas that
 * changed are taken over by the snapshot (Snapshot.replaceNodes, replaceQuotas: its admitted
 * set stays); admitted workloads that came, went or changed are forgotten and assumed one by
 * one. A snapshot is built from scratch only by the first cycle, after a cycle that threw, or
 * when a node change would move a workload whose flavor was inferred from its node's labels.
 *
 * Over an unchanged starting snapshot (a `generation`) it also keeps, until a time-based rule
 * is due, what searches found: a failed admission/preemption search per (shape, state of the
 * cycle so far), and the estimates per (state after the decisions, candidates) — so a cycle
 * whose only news is a pending workload more does not search again.
 *
 * Example:
 * ```ts
 * const memo = new CycleMemo();
 * scheduleCycle(input1, { nowMs, rng, config, memo });
 * scheduleCycle(input2, { nowMs, rng, config, memo }); // reuses what input1 built
 * ```
 */
import { PendingOrders } from './pending-orders.js';
import type { PreemptionPlan } from './preemption.js';
import { Snapshot } from './snapshot.js';
import type { CycleInput, WorkloadInput } from './types.js';

const MAX_REMEMBERED = 100_000;

function sameRefs<T>(a: readonly T[] | undefined, b: readonly T[]): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** What a failed search concluded (before any hold text). */
export interface RememberedFailure {
  reason: string | undefined;
  placementFailed: boolean;
}

/** A preemption search that found victims, and what the attempts before it concluded. */
export interface RememberedPlan extends RememberedFailure {
  plan: PreemptionPlan;
}

export class CycleMemo {
  /** Bumped whenever the starting snapshot changes: remembered answers of older generations are void. */
  generation = 0;
  private snap?: Snapshot;
  /** Snapshot state key → search key → what the search concluded. */
  private readonly failures = new Map<string, Map<string, RememberedFailure>>();
  /** Successful preemption searches: state key → workload id → the search key and the victims to take out again. */
  private readonly plans = new Map<string, Map<string, { searchKey: string; plan: RememberedPlan }>>();
  /** Entries in `failures` and `plans` together: bounded, over a long run of changing cycles. */
  private remembered = 0;
  private failuresGeneration = -1;
  private lastNowMs = -Infinity;
  private validUntilMs = -Infinity;
  private estimate?: { generation: number; stateKey: string; candidates: readonly WorkloadInput[]; result: Map<string, number> };
  private inUse = false;
  private base?: Pick<CycleInput, 'nodes' | 'queues' | 'namespaceQuotas' | 'pdbs'>;
  /** Each queue's pending workloads in scheduling order, carried from cycle to cycle. */
  pendingOrders = new PendingOrders();
  /** Admitted workload id → the input assumed into the snapshot, stamped with the last acquire that saw it. */
  private readonly assumed = new Map<string, { w: WorkloadInput; stamp: number }>();
  private stamp = 0;

  /** A snapshot for `input`, as a fresh `new Snapshot(input)` would be; call `release` after the cycle. */
  acquire(input: CycleInput, nowMs: number): Snapshot {
    if (this.inUse) throw new Error('CycleMemo: a cycle is already using this memo');
    const b = this.base;
    // Other nodes, queues or quotas: the snapshot takes them over, keeping its admitted set.
    const nodesChanged = !!b && !sameRefs(b.nodes, input.nodes);
    const quotasChanged = !!b && (!sameRefs(b.queues, input.queues) || !sameRefs(b.namespaceQuotas, input.namespaceQuotas));
    if (!this.snap || !b || (nodesChanged && !this.snap.replaceNodes(input.nodes))) {
      this.generation++;
      this.snap = new Snapshot(input);
      this.assumed.clear();
      for (const w of input.workloads) if (w.admitted) this.assumed.set(w.id, { w, stamp: this.stamp });
    } else {
      const snap = this.snap;
      if (quotasChanged) snap.replaceQuotas(input.queues, input.namespaceQuotas, input.nodes);
      let changed = nodesChanged || quotasChanged;
      const stamp = ++this.stamp;
      for (const w of input.workloads) {
        if (!w.admitted) continue;
        const old = this.assumed.get(w.id);
        if (old?.w === w) {
          old.stamp = stamp;
          continue;
        }
        changed = true;
        if (old) snap.forget(w.id);
        snap.assume(w, w.admitted);
        this.assumed.set(w.id, { w, stamp });
      }
      // Not seen this time: no longer admitted.
      for (const [id, a] of this.assumed) {
        if (a.stamp === stamp) continue;
        changed = true;
        snap.forget(id);
        this.assumed.delete(id);
      }
      if (!sameRefs(b.pdbs, input.pdbs) || input.pdbs.length > 0) {
        // Budgets count replicas, admitted or not: cheap to recompute, hard to compare.
        snap.resetPdbs(input.pdbs, input.workloads);
        changed = true;
      }
      if (changed) this.generation++;
    }
    if (this.failuresGeneration !== this.generation || nowMs >= this.validUntilMs || nowMs < this.lastNowMs) {
      this.forgetSearches();
      this.failuresGeneration = this.generation;
    }
    this.lastNowMs = nowMs;
    this.base = { nodes: input.nodes, queues: input.queues, namespaceQuotas: input.namespaceQuotas, pdbs: input.pdbs };
    this.inUse = true;
    this.snap.beginCycle();
    return this.snap;
  }

  /**
   * Undoes the cycle's changes. `validUntilMs`: until when (time-based rules) what this cycle
   * found stays true; undefined when the cycle threw, which drops everything instead.
   */
  release(snap: Snapshot, validUntilMs: number | undefined): void {
    this.inUse = false;
    if (snap !== this.snap) return;
    if (validUntilMs !== undefined) {
      snap.endCycle();
      this.pendingOrders.endCycle();
      this.validUntilMs = validUntilMs;
      return;
    }
    this.snap = undefined;
    this.base = undefined;
    this.pendingOrders = new PendingOrders();
    this.forgetSearches();
    this.estimate = undefined;
    this.validUntilMs = -Infinity;
  }

  private forgetSearches(): void {
    this.failures.clear();
    this.plans.clear();
    this.remembered = 0;
  }

  /** Makes room for one more remembered search. */
  private count(): void {
    if (++this.remembered > MAX_REMEMBERED) this.forgetSearches();
  }

  /** A successful search for workload `id` (search key `searchKey`) in state `stateKey`. */
  plan(stateKey: string, searchKey: string, id: string): RememberedPlan | undefined {
    const p = this.plans.get(stateKey)?.get(id);
    return p && p.searchKey === searchKey ? p.plan : undefined;
  }

  rememberPlan(stateKey: string, searchKey: string, id: string, p: RememberedPlan): void {
    this.count();
    let byId = this.plans.get(stateKey);
    if (!byId) this.plans.set(stateKey, (byId = new Map()));
    byId.set(id, { searchKey, plan: p });
  }

  failure(stateKey: string, searchKey: string): RememberedFailure | undefined {
    return this.failures.get(stateKey)?.get(searchKey);
  }

  rememberFailure(stateKey: string, searchKey: string, f: RememberedFailure): void {
    this.count();
    let byKey = this.failures.get(stateKey);
    if (!byKey) this.failures.set(stateKey, (byKey = new Map()));
    byKey.set(searchKey, f);
  }

  /** The estimates for `candidates` from the snapshot as it is now: remembered, or `compute()`d (which consumes the snapshot). */
  estimates(snap: Snapshot, candidates: readonly WorkloadInput[], compute: () => Map<string, number>): Map<string, number> {
    const stateKey = snap.stateKey();
    const e = this.estimate;
    if (e && e.generation === this.generation && e.stateKey === stateKey && sameRefs(e.candidates, candidates)) return e.result;
    const result = compute();
    this.estimate = { generation: this.generation, stateKey, candidates, result };
    return result;
  }
}
