/**
 * The live cluster's prices, read from the store: PriceCatalog objects laid over the built-in
 * catalog (by name, later names win), each Node resolved through its NodePool (label
 * `quartermaster.dev/pool`), and the LimitRange cpu/memory defaults a workload without requests
 * is charged for. Read once per metering tick: cheap next to the lists the tick does anyway.
 *
 * Example:
 * ```ts
 * const prices = await loadClusterPrices(store);
 * prices.priceOf('gpu-1'); // PricedNode, or UnpricedNode with a reason (a gone node too)
 * ```
 */
import { NODE_LABELS, type ApiObject, type NodeObject, type NodePool, type PriceCatalog } from '@qm/api';
import {
  CPU, MEMORY, buildPriceBook, missingNodePrice, resolveNodePrice, toAmount,
  type NodePrice, type PriceBook, type Resources, type Store, type TimeWindow,
} from '@qm/core';

export interface ClusterPrices {
  book: PriceBook;
  nodes: NodeObject[];
  /** A node's price; unknown names are unpriced ("not in the cluster"). */
  priceOf(node: string): NodePrice;
  /** cpu/memory defaults of a namespace's LimitRanges (what a workload without requests holds). */
  defaultsFor(namespace: string): Resources;
  /** When a node existed within `window` (from its creationTimestamp). */
  presentIn(node: NodeObject, window: TimeWindow): TimeWindow;
}

export async function loadClusterPrices(store: Store): Promise<ClusterPrices> {
  const [nodes, pools, catalogs, limitRanges] = await Promise.all([
    store.list('Node'), store.list('NodePool'), store.list('PriceCatalog'), store.list('LimitRange'),
  ]);
  const sortedCatalogs = [...catalogs.items].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)) as PriceCatalog[];
  const book = buildPriceBook(sortedCatalogs);
  const poolByName = new Map(pools.items.map((p) => [p.metadata.name, p as NodePool]));
  const prices = new Map<string, NodePrice>();
  for (const node of nodes.items as NodeObject[]) {
    const poolName = node.metadata.labels?.[NODE_LABELS.pool];
    prices.set(node.metadata.name, safeResolve(node, book, poolName ? poolByName.get(poolName) : undefined));
  }
  const defaults = new Map<string, Resources>();
  for (const lr of limitRanges.items) {
    const ns = lr.metadata.namespace ?? '';
    defaults.set(ns, { ...limitDefaults(lr), ...(defaults.get(ns) ?? {}) });
  }
  return {
    book,
    nodes: nodes.items as NodeObject[],
    priceOf: (name) => prices.get(name) ?? missingNodePrice(name),
    defaultsFor: (ns) => defaults.get(ns) ?? {},
    presentIn(node, window) {
      const created = Date.parse(node.metadata.creationTimestamp ?? '');
      return { startMs: Number.isFinite(created) ? Math.max(window.startMs, created) : window.startMs, endMs: window.endMs };
    },
  };
}

// A malformed node (bad capacity quantity) must not stop metering of every other node.
function safeResolve(node: NodeObject, book: PriceBook, pool?: NodePool): NodePrice {
  try {
    return resolveNodePrice(node, book, pool);
  } catch (err) {
    return { ...missingNodePrice(node.metadata.name), reason: `unpriced: ${(err as Error).message}` };
  }
}

/** defaultRequest, else default, of Container/Pod limits (cpu and memory only). */
function limitDefaults(lr: ApiObject): Resources {
  const out: Resources = {};
  for (const item of ((lr.spec as Record<string, any> | undefined)?.limits ?? []) as Array<Record<string, any>>) {
    if (item.type !== 'Container' && item.type !== 'Pod') continue;
    for (const source of [item.defaultRequest, item.default]) {
      for (const k of [CPU, MEMORY]) {
        if (out[k] !== undefined || source?.[k] === undefined) continue;
        try {
          out[k] = toAmount(k, source[k], `limitranges/${lr.metadata.name}.${k}`);
        } catch { /* a bad quantity is refused at validation; ignore here */ }
      }
    }
  }
  return out;
}
