/**
 * The simulator's cost ledger: pod intervals and node lifetimes in virtual time, metered with
 * the same pure functions as the live platform (@qm/core resolveNodePrice, meterNode,
 * buildCostReport, budgetSpend). It follows the store through watches: a TrainingJob holds one
 * pod per worker on its `status.workers[].node` while Admitted or Running; a ModelDeployment one
 * per `status.replicaPlacements[]` entry with a node; a Node exists from ADDED to DELETED.
 * Prices come from the scenario's NodePool (`spec.pricePerHour`) and PriceCatalog objects over
 * the built-in catalog.
 *
 * Example:
 * ```ts
 * const costs = await CostLedger.open(store, clock);
 * // … run …
 * const report = costs.report(endMs, 'namespace'); // rows, idle, totals (Σ rows + idle = node cost)
 * costs.workloadCost('TrainingJob/team-a/big', endMs); // { usd, spotUSD, onDemandUSD, gpuHours, … }
 * costs.recordLostWork('TrainingJob/team-a/big', 600_000); // preempted: 10 min of work lost
 * costs.lostUSD('TrainingJob/team-a/big');                  // those 10 min × the job's USD/hour then
 * ```
 */
import { NODE_LABELS, type ApiObject, type NodeObject, type NodePool, type PriceCatalog, type WatchEvent } from '@qm/api';
import {
  buildCostReport, buildPriceBook, costOwnerOf, missingNodePrice, podHourlyUSD, replicaRequests, resolveNodePrice, trainingWorkerRequests,
  workloadCost, type BudgetInterval, type Clock, type CostGrouping, type CostReport, type NodePrice, type PodInterval, type PriceBook, type Store, type WatchHandle,
  type WorkloadCost,
} from '@qm/core';

interface OpenPod {
  interval: PodInterval;
  workload: string;
  /** The workload's expected end (TrainingJob status.expectedEndTime), for budget forecasts. */
  untilMs?: number;
}

interface NodeLife {
  obj: NodeObject;
  startMs: number;
  endMs?: number;
}

const WATCHED = ['Node', 'NodePool', 'PriceCatalog', 'TrainingJob', 'ModelDeployment'] as const;

export class CostLedger {
  /** Open pods in the order they opened (that order is the report's summation order). */
  private readonly open = new Map<string, OpenPod>();
  private readonly closed: Array<{ interval: PodInterval; workload: string }> = [];
  /** Per workload: its open pod ids and closed intervals, in the same order (setPods and workloadCost stay O(own pods)). */
  private readonly openBy = new Map<string, Set<string>>();
  private readonly closedBy = new Map<string, PodInterval[]>();
  /** Node prices as of the last Node/NodePool/PriceCatalog change (cleared on any). */
  private readonly prices = new Map<string, NodePrice>();
  /** The price book of the current PriceCatalogs (cleared when one changes). */
  private book: PriceBook | undefined;
  private readonly nodes = new Map<string, NodeLife>();
  private readonly pools = new Map<string, NodePool>();
  private readonly catalogs = new Map<string, PriceCatalog>();
  private readonly handles: WatchHandle[] = [];
  /** Per workload: USD/hour of the pods it last gave up, at that time (what lost work is priced at once they are gone). */
  private readonly lastClosedUSDPerHour = new Map<string, number>();
  /** Per workload: USD spent on work later lost (recordLostWork). */
  private readonly lost = new Map<string, number>();

  private constructor(private readonly clock: Clock) {}

  static async open(store: Store, clock: Clock): Promise<CostLedger> {
    const ledger = new CostLedger(clock);
    for (const kind of WATCHED) {
      const listed = await store.list(kind);
      for (const obj of listed.items) ledger.apply({ type: 'ADDED', object: obj });
      ledger.handles.push(await store.watch({ kind, resourceVersion: listed.resourceVersion }, (ev) => ledger.apply(ev)));
    }
    return ledger;
  }

  close(): void {
    for (const h of this.handles.splice(0)) h.close();
  }

  private apply(ev: WatchEvent): void {
    const obj = ev.object;
    const now = this.clock.now();
    if (obj.kind === 'Node' || obj.kind === 'NodePool' || obj.kind === 'PriceCatalog') this.prices.clear();
    switch (obj.kind) {
      case 'Node': {
        const life = this.nodes.get(obj.metadata.name);
        if (ev.type === 'DELETED') {
          if (life && life.endMs === undefined) life.endMs = now;
        } else if (life && life.endMs === undefined) {
          life.obj = obj as NodeObject;
        } else {
          this.nodes.set(obj.metadata.name, { obj: obj as NodeObject, startMs: now });
        }
        return;
      }
      case 'NodePool':
        if (ev.type === 'DELETED') this.pools.delete(obj.metadata.name);
        else this.pools.set(obj.metadata.name, obj as NodePool);
        return;
      case 'PriceCatalog':
        this.book = undefined;
        if (ev.type === 'DELETED') this.catalogs.delete(obj.metadata.name);
        else this.catalogs.set(obj.metadata.name, obj as PriceCatalog);
        return;
      case 'TrainingJob':
      case 'ModelDeployment':
        this.setPods(workloadKey(obj), ev.type === 'DELETED' ? [] : podsOf(obj), now, expectedEndMs(obj));
    }
  }

  /** Closes pods that are gone or moved, opens new ones, keeps the rest. */
  private setPods(workload: string, pods: PodInterval[], now: number, untilMs: number | undefined): void {
    const wanted = new Map(pods.map((p) => [`${workload}#${p.pod}@${p.node}`, p]));
    let ids = this.openBy.get(workload);
    let closedUSDPerHour: number | undefined;
    for (const id of ids ?? []) {
      if (wanted.has(id)) continue;
      const pod = this.open.get(id)!;
      closedUSDPerHour = (closedUSDPerHour ?? 0) + this.podUSDPerHour(pod.interval);
      this.open.delete(id);
      ids!.delete(id);
      if (now > pod.interval.startMs) {
        const interval = { ...pod.interval, endMs: now };
        this.closed.push({ interval, workload });
        let list = this.closedBy.get(workload);
        if (!list) this.closedBy.set(workload, list = []);
        list.push(interval);
      }
    }
    for (const [id, p] of wanted) {
      const open = this.open.get(id);
      if (open) {
        // Same pod, same node: the owner's queue may have become known since.
        open.interval.owner = p.owner;
        open.untilMs = untilMs;
        continue;
      }
      this.open.set(id, { interval: { ...p, startMs: now, endMs: now }, workload, untilMs });
      if (!ids) this.openBy.set(workload, ids = new Set());
      ids.add(id);
    }
    if (ids?.size === 0) this.openBy.delete(workload);
    if (closedUSDPerHour !== undefined) this.lastClosedUSDPerHour.set(workload, closedUSDPerHour);
  }

  private podUSDPerHour(interval: PodInterval): number {
    return podHourlyUSD(interval.requests, this.priceCache()(interval.node), interval.usage);
  }

  /**
   * Prices `lostMs` of a workload's work lost now (a preemption or interruption ended its attempt
   * past its last checkpoint) at its cost rate at this time: the USD/hour of the pods it holds,
   * or, when they are already released (the scheduler's preemption closes them first), of the
   * pods it last gave up. Lost work on unpriced nodes costs 0 here, as in costUSD.
   */
  recordLostWork(workload: string, lostMs: number): void {
    if (!(lostMs > 0)) return;
    let usdPerHour: number | undefined;
    for (const id of this.openBy.get(workload) ?? []) usdPerHour = (usdPerHour ?? 0) + this.podUSDPerHour(this.open.get(id)!.interval);
    usdPerHour ??= this.lastClosedUSDPerHour.get(workload) ?? 0;
    this.lost.set(workload, (this.lost.get(workload) ?? 0) + (lostMs / 3_600_000) * usdPerHour);
  }

  /** USD spent on a workload's work later lost ("Kind/ns/name"); 0 when none was lost. */
  lostUSD(workload: string): number {
    return this.lost.get(workload) ?? 0;
  }

  /** Every pod interval up to `endMs` (open ones end there), with the workload it belongs to. */
  intervals(endMs: number): Array<{ interval: PodInterval; workload: string; running: boolean; untilMs?: number }> {
    return [
      ...this.closed.map((c) => ({ ...c, running: false })),
      ...[...this.open.values()].map((o) => ({
        interval: { ...o.interval, endMs: Math.max(o.interval.startMs, endMs) }, workload: o.workload, running: true,
        ...(o.untilMs !== undefined ? { untilMs: o.untilMs } : {}),
      })),
    ];
  }

  /** The price of a node, as it is now (a node removed keeps its last price). */
  priceOf(node: string): NodePrice {
    return this.priceCache()(node);
  }

  private resolvePrice(node: string): NodePrice {
    const life = this.nodes.get(node);
    if (!life) return missingNodePrice(node);
    const book = this.book ??= buildPriceBook([...this.catalogs.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)));
    const poolName = life.obj.metadata.labels?.[NODE_LABELS.pool];
    return resolveNodePrice(life.obj, book, poolName ? this.pools.get(poolName) : undefined);
  }

  /** One workload's cost up to `endMs` ("Kind/ns/name"). */
  workloadCost(workload: string, endMs: number): WorkloadCost {
    // As intervals(endMs) filtered to this workload: its closed ones, then its open ones, each in order.
    const own: PodInterval[] = [...(this.closedBy.get(workload) ?? [])];
    for (const id of this.openBy.get(workload) ?? []) {
      const o = this.open.get(id)!;
      own.push({ ...o.interval, endMs: Math.max(o.interval.startMs, endMs) });
    }
    return workloadCost(own, this.priceCache());
  }

  /** Showback over [startMs, endMs]: every node that existed then, all pod intervals. */
  report(endMs: number, by: CostGrouping, startMs = -Infinity): CostReport {
    const prices = this.priceCache();
    const window = { startMs: Number.isFinite(startMs) ? startMs : this.firstNodeStartMs(endMs), endMs };
    return buildCostReport({
      window, by,
      intervals: this.intervals(endMs).map((i) => i.interval),
      nodes: [...this.nodes.entries()].map(([name, life]) => ({ price: prices(name), present: { startMs: life.startMs, endMs: life.endMs ?? endMs } })),
    });
  }

  /** The earliest node's start (the showback window's default start), at most endMs. */
  private firstNodeStartMs(endMs: number): number {
    // A loop, not Math.min(...): tens of thousands of nodes would overflow the argument list.
    let from = endMs;
    for (const n of this.nodes.values()) from = Math.min(from, n.startMs);
    return from;
  }

  /** Pod intervals in budgetSpend's shape (running ones at their current USD/hour). */
  budgetIntervals(nowMs: number): BudgetInterval[] {
    return this.intervals(nowMs).map((i) => ({ interval: i.interval, running: i.running, ...(i.untilMs !== undefined ? { untilMs: i.untilMs } : {}) }));
  }

  /** USD per hour the running pods of workloads matching `covers` accrue now. */
  hourlyUSD(covers: (interval: PodInterval) => boolean): number {
    const prices = this.priceCache();
    let usd = 0;
    for (const { interval } of this.open.values()) if (covers(interval)) usd += podHourlyUSD(interval.requests, prices(interval.node), interval.usage);
    return usd;
  }

  /** Prices resolved once per node until a Node, NodePool or PriceCatalog changes. */
  private priceCache(): (node: string) => NodePrice {
    const cache = this.prices;
    return (node) => {
      let p = cache.get(node);
      if (!p) cache.set(node, p = this.resolvePrice(node));
      return p;
    };
  }
}

function expectedEndMs(obj: ApiObject): number | undefined {
  const ms = Date.parse(obj.status?.expectedEndTime ?? '');
  return Number.isFinite(ms) ? ms : undefined;
}

export function workloadKey(obj: ApiObject): string {
  return `${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name}`;
}

/** The pods a workload holds now, as open intervals (start and end are set by the ledger). */
function podsOf(obj: ApiObject): PodInterval[] {
  const owner = costOwnerOf(obj);
  const status = obj.status ?? {};
  if (obj.kind === 'TrainingJob') {
    if (status.phase !== 'Admitted' && status.phase !== 'Running') return [];
    const requests = trainingWorkerRequests(obj.spec);
    return ((status.workers ?? []) as Array<Record<string, any>>)
      .filter((w) => typeof w?.node === 'string')
      .map((w) => ({ owner, pod: `w${w.rank}`, node: w.node as string, startMs: 0, endMs: 0, requests: { ...requests } }));
  }
  if (obj.metadata.deletionTimestamp) return [];
  const requests = replicaRequests(obj.spec);
  return ((status.replicaPlacements ?? []) as Array<Record<string, any>>)
    .filter((p) => typeof p?.node === 'string' && p.node !== '')
    .map((p) => ({ owner, pod: `r${p.index}`, node: p.node as string, startMs: 0, endMs: 0, requests: { ...requests } }));
}
