/**
 * Queue quota as a tree (one tree per flavor). The root is the whole cluster (or the flavor's
 * nodes). Each queue has a guarantee G, an optional max and lendingLimit; the part of G that
 * may not be lent, R = G − lendingLimit, is reserved for the queue.
 *
 * Each queue claims from its parent `max(E, R)` per resource, where E is its own usage (leaf)
 * or the sum of its children's claims (inner queue). A request fits when no queue on the path
 * goes over its max and the root's claims stay within the cluster's capacity. Idle guarantees
 * are therefore borrowable; reclaiming them is preemption's job.
 *
 * Example:
 * ```ts
 * const tree = new QuotaTree(queues, { 'nvidia.com/gpu': 16 }, '');
 * tree.check('team-a', { 'nvidia.com/gpu': 8 }); // undefined (fits) or "queue team-a is at its max of 8 GPUs (…)"
 * tree.charge('team-a', { 'nvidia.com/gpu': 8 }, 1);
 * ```
 */
import { describeAmount, type Resources } from '../resources/index.js';
import type { QueueInput } from './types.js';

export class QuotaNode {
  readonly children: QuotaNode[] = [];
  parent?: QuotaNode;
  readonly usage: Resources = {};
  /** Sum of children's claims (inner queues and the root). */
  readonly claimSum: Resources = {};
  admittedCount = 0;
  pendingCount = 0;
  constructor(
    readonly name: string,
    readonly guaranteed: Resources,
    readonly reserved: Resources,
    readonly max: Resources | undefined,
    readonly weight: number,
    readonly isRoot = false,
  ) {}

  get isLeaf(): boolean {
    return this.children.length === 0 && !this.isRoot;
  }

  /** E: what this queue uses or its children claim. */
  effective(r: string): number {
    return this.isLeaf ? (this.usage[r] ?? 0) : (this.claimSum[r] ?? 0);
  }

  /** What it claims from its parent. */
  claim(r: string): number {
    return Math.max(this.effective(r), this.reserved[r] ?? 0);
  }

  /** Per resource, usage above the guarantee. */
  borrowed(): Resources {
    const out: Resources = {};
    for (const k in this.usage) {
      const b = this.usage[k] - (this.guaranteed[k] ?? 0);
      if (b > 0) out[k] = b;
    }
    return out;
  }
}

export interface FlavorQuotaSpec {
  guaranteed: Resources;
  max?: Resources;
  lendingLimit?: Resources;
}

/** Picks a queue's lists in one flavor ('' = the queue's top-level lists). */
export function flavorSpecOf(q: QueueInput, flavor: string): FlavorQuotaSpec | undefined {
  if (flavor === '') return q.flavors.length ? { guaranteed: {} , max: {} } : q;
  const f = q.flavors.find((x) => x.name === flavor);
  return f ?? { guaranteed: {}, max: {} };
}

function reservedOf(spec: FlavorQuotaSpec): Resources {
  const out: Resources = {};
  if (!spec.lendingLimit) return out;
  for (const k in spec.guaranteed) {
    const r = spec.guaranteed[k] - Math.min(spec.guaranteed[k], spec.lendingLimit[k] ?? spec.guaranteed[k]);
    if (r > 0) out[k] = r;
  }
  return out;
}

export class QuotaTree {
  readonly root: QuotaNode;
  readonly byName = new Map<string, QuotaNode>();
  /** Bumped by every charge: derived answers (the top shares) are cached per version. */
  private version = 0;
  private topShares?: { version: number; first: [string, number]; second: [string, number] };

  constructor(queues: readonly QueueInput[], readonly capacity: Resources, readonly flavor: string) {
    this.root = new QuotaNode('(cluster)', capacity, {}, capacity, 1, true);
    for (const q of queues) {
      const spec = flavorSpecOf(q, flavor)!;
      this.byName.set(q.name, new QuotaNode(q.name, spec.guaranteed, reservedOf(spec), spec.max, q.weight));
    }
    for (const q of queues) {
      const node = this.byName.get(q.name)!;
      const parent = (q.parent && this.byName.get(q.parent)) || this.root;
      node.parent = parent;
      parent.children.push(node);
    }
    // An inner queue without its own guarantee guarantees what its children do.
    const fill = (n: QuotaNode): void => {
      for (const c of n.children) fill(c);
      if (n.isRoot || n.children.length === 0) return;
      if (Object.keys(n.guaranteed).length === 0) {
        for (const c of n.children) for (const k in c.guaranteed) n.guaranteed[k] = (n.guaranteed[k] ?? 0) + c.guaranteed[k];
      }
    };
    fill(this.root);
    for (const c of this.root.children) this.addClaims(c);
  }

  /** The cluster's capacity for this flavor changed (nodes came, went or changed). */
  setCapacity(next: Resources): void {
    // The root's guarantee and max are this same object.
    for (const k of Object.keys(this.capacity)) delete this.capacity[k];
    Object.assign(this.capacity, next);
    this.version++;
  }

  private addClaims(n: QuotaNode): void {
    for (const c of n.children) this.addClaims(c);
    for (const k in n.reserved) n.parent!.claimSum[k] = (n.parent!.claimSum[k] ?? 0) + n.reserved[k];
  }

  /** Why `request` does not fit in `queue` now, or undefined when it does. */
  check(queue: string, request: Resources): string | undefined {
    const leaf = this.byName.get(queue);
    if (!leaf) return `queue ${queue} does not exist`;
    for (const r in request) {
      const amount = request[r];
      if (amount <= 0) continue;
      let deltaE = amount;
      for (let n: QuotaNode = leaf; ; n = n.parent!) {
        const used = n.usage[r] ?? 0;
        if (n.isRoot) {
          const cap = this.capacity[r] ?? 0;
          const claimed = n.claimSum[r] ?? 0;
          // Only reservations are quota's business here; plain lack of room is the placer's to explain.
          if (deltaE > 0 && claimed + deltaE > cap && used + amount <= cap) {
            const g = leaf.guaranteed[r] ?? 0;
            return `queue ${leaf.name} would borrow ${describeAmount(r, amount)} but only ${describeAmount(r, Math.max(0, cap - claimed))} of the cluster's ${describeAmount(r, cap)}${this.flavor ? ` in flavor ${this.flavor}` : ''} is unclaimed (queue guarantee ${describeAmount(r, g)}, in use ${describeAmount(r, leaf.usage[r] ?? 0)})`;
          }
          break;
        }
        const max = n.max?.[r];
        if (max !== undefined && used + amount > max) {
          const who = n === leaf ? `queue ${n.name}` : `parent queue ${n.name}`;
          return `${who} is at its max of ${describeAmount(r, max)}${this.flavor ? ` in flavor ${this.flavor}` : ''} (${describeAmount(r, used)} in use, needs ${describeAmount(r, amount)} more)`;
        }
        if (deltaE !== 0) {
          const oldClaim = n.claim(r);
          const newE = n.effective(r) + deltaE;
          deltaE = Math.max(newE, n.reserved[r] ?? 0) - oldClaim;
        }
      }
    }
    return undefined;
  }

  /** Adds (sign 1) or removes (sign −1) usage along the path from `queue` to the root. */
  charge(queue: string, request: Resources, sign: 1 | -1): void {
    const leaf = this.byName.get(queue);
    if (!leaf) return;
    this.version++;
    for (const r in request) {
      const amount = request[r] * sign;
      if (amount === 0) continue;
      let deltaE = amount;
      for (let n: QuotaNode = leaf; ; n = n.parent!) {
        if (n.isRoot) {
          n.usage[r] = (n.usage[r] ?? 0) + amount;
          n.claimSum[r] = (n.claimSum[r] ?? 0) + deltaE;
          break;
        }
        const oldClaim = n.claim(r);
        n.usage[r] = (n.usage[r] ?? 0) + amount;
        if (!n.isLeaf) n.claimSum[r] = (n.claimSum[r] ?? 0) + deltaE;
        deltaE = n.claim(r) - oldClaim;
        if (deltaE === 0) {
          // Claims above stop changing, usage still does.
          for (let p = n.parent!; ; p = p.parent!) {
            p.usage[r] = (p.usage[r] ?? 0) + amount;
            if (p.isRoot) break;
          }
          break;
        }
      }
    }
  }

  /** Weighted dominant share of usage above the guarantee (0 within it). */
  dominantShare(queue: string): number {
    const n = this.byName.get(queue);
    if (!n) return 0;
    return this.shareOf(n, n.usage);
  }

  /**
   * The highest dominant share of any queue but `except` (cached until the next charge): when it
   * is not above a preemptor's share, no fair-share victim exists anywhere.
   */
  maxShareExcept(except: string): number {
    if (!this.topShares || this.topShares.version !== this.version) {
      let first: [string, number] = ['', 0];
      let second: [string, number] = ['', 0];
      for (const [name, n] of this.byName) {
        const s = this.shareOf(n, n.usage);
        if (s > first[1]) {
          second = first;
          first = [name, s];
        } else if (s > second[1]) second = [name, s];
      }
      this.topShares = { version: this.version, first, second };
    }
    return this.topShares.first[0] === except ? this.topShares.second[1] : this.topShares.first[1];
  }

  /** The share `n` would have with `usage` instead of its own. */
  shareOf(n: QuotaNode, usage: Resources): number {
    let share = 0;
    for (const k in usage) {
      const above = usage[k] - (n.guaranteed[k] ?? 0);
      const cap = this.capacity[k] ?? 0;
      if (above <= 0 || cap <= 0) continue;
      share = Math.max(share, above / cap);
    }
    return share / n.weight;
  }

  /**
   * The share `n` would have with `delta` added (sign 1) or taken away (sign −1): shareOf(n,
   * usage ± delta) without building the usage object (preemption asks this per candidate).
   */
  shareWith(n: QuotaNode, delta: Resources, sign: 1 | -1): number {
    let share = 0;
    for (const k in n.usage) {
      const above = n.usage[k] + sign * (delta[k] ?? 0) - (n.guaranteed[k] ?? 0);
      const cap = this.capacity[k] ?? 0;
      if (above > 0 && cap > 0 && above / cap > share) share = above / cap;
    }
    for (const k in delta) {
      if (k in n.usage) continue;
      const above = sign * delta[k] - (n.guaranteed[k] ?? 0);
      const cap = this.capacity[k] ?? 0;
      if (above > 0 && cap > 0 && above / cap > share) share = above / cap;
    }
    return share / n.weight;
  }

  /** True when the queue uses more than its guarantee of any resource in `of`. */
  isBorrowing(queue: string, of: Resources): boolean {
    const n = this.byName.get(queue);
    if (!n) return false;
    for (const k in of) if (of[k] > 0 && (n.usage[k] ?? 0) > (n.guaranteed[k] ?? 0)) return true;
    return false;
  }

  /** True when usage + request stays within the guarantee for every requested resource. */
  withinGuarantee(queue: string, request: Resources): boolean {
    const n = this.byName.get(queue);
    if (!n) return false;
    for (const k in request) if (request[k] > 0 && (n.usage[k] ?? 0) + request[k] > (n.guaranteed[k] ?? 0)) return false;
    return true;
  }
}
