/**
 * Integrates GPU usage over virtual time: per workload (GPU-seconds, cost), per queue
 * (used, within-guarantee, borrowed; a leaf's usage also counts for its ancestors) and for
 * the cluster (allocated vs capacity). Callers say what changed and when; nothing is
 * sampled, so the cost is per change, not per tick.
 *
 * Example:
 * ```ts
 * const ledger = new UsageLedger((q) => queues.get(q));
 * ledger.setCapacity(t0, 8);
 * ledger.setUsage('TrainingJob/team-a/big', t0, { gpus: 8, queue: 'team-a', usdPerSecond: 0 });
 * ledger.setUsage('TrainingJob/team-a/big', t0 + 3_600_000, undefined); // 28 800 GPU-seconds
 * ```
 */

export interface QueueShape {
  parent?: string;
  /** spec.guaranteed nvidia.com/gpu (0 when absent). */
  guaranteedGpus: number;
}

export interface UsageSegment {
  gpus: number;
  /** The leaf queue charged, if any. */
  queue?: string;
  /** USD per second for the whole allocation (0 when no price is known). */
  usdPerSecond: number;
}

interface OpenSegment extends UsageSegment {
  sinceMs: number;
}

export interface WorkloadUsage {
  gpuSeconds: number;
  costUSD: number;
}

export interface QueueUsage {
  gpuSeconds: number;
  guaranteedGpuSeconds: number;
  borrowedGpuSeconds: number;
}

interface QueueAccumulator {
  gpus: number;
  sinceMs: number;
  gpuMs: number;
  guaranteedGpuMs: number;
}

export class UsageLedger {
  private readonly open = new Map<string, OpenSegment>();
  private readonly totals = new Map<string, { gpuMs: number; usd: number }>();
  private readonly queues = new Map<string, QueueAccumulator>();
  private capacityGpus = 0;
  private capacitySinceMs = 0;
  private capacityGpuMs = 0;

  constructor(private readonly queueShape: (name: string) => QueueShape | undefined) {}

  /** Replaces what `key` holds from `nowMs` on (undefined = nothing). */
  setUsage(key: string, nowMs: number, next: UsageSegment | undefined): void {
    const prev = this.open.get(key);
    if (prev) {
      this.closeSegment(key, prev, nowMs);
      this.open.delete(key);
      if (prev.queue !== undefined) this.addQueueGpus(prev.queue, nowMs, -prev.gpus);
    }
    if (next && next.gpus > 0) {
      this.open.set(key, { ...next, sinceMs: nowMs });
      if (next.queue !== undefined) this.addQueueGpus(next.queue, nowMs, next.gpus);
    } else if (!this.totals.has(key)) {
      this.totals.set(key, { gpuMs: 0, usd: 0 });
    }
  }

  /** The cluster's GPU capacity from `nowMs` on. */
  setCapacity(nowMs: number, gpus: number): void {
    this.capacityGpuMs += this.capacityGpus * (nowMs - this.capacitySinceMs);
    this.capacityGpus = gpus;
    this.capacitySinceMs = nowMs;
  }

  get currentCapacityGpus(): number {
    return this.capacityGpus;
  }

  /** Usage of one workload up to `endMs` (open segments counted up to then). */
  workload(key: string, endMs: number): WorkloadUsage {
    const total = this.totals.get(key) ?? { gpuMs: 0, usd: 0 };
    let gpuMs = total.gpuMs;
    let usd = total.usd;
    const seg = this.open.get(key);
    if (seg) {
      const ms = Math.max(0, endMs - seg.sinceMs);
      gpuMs += seg.gpus * ms;
      usd += seg.usdPerSecond * ms / 1000;
    }
    return { gpuSeconds: gpuMs / 1000, costUSD: usd };
  }

  /** Usage of one queue (and its descendants) up to `endMs`. */
  queue(name: string, endMs: number): QueueUsage {
    const acc = this.queues.get(name);
    if (!acc) return { gpuSeconds: 0, guaranteedGpuSeconds: 0, borrowedGpuSeconds: 0 };
    const ms = Math.max(0, endMs - acc.sinceMs);
    const guaranteed = this.queueShape(name)?.guaranteedGpus ?? 0;
    const gpuMs = acc.gpuMs + acc.gpus * ms;
    const guaranteedGpuMs = acc.guaranteedGpuMs + Math.min(acc.gpus, guaranteed) * ms;
    return { gpuSeconds: gpuMs / 1000, guaranteedGpuSeconds: guaranteedGpuMs / 1000, borrowedGpuSeconds: (gpuMs - guaranteedGpuMs) / 1000 };
  }

  /** GPU-seconds of capacity up to `endMs`. */
  capacityGpuSeconds(endMs: number): number {
    return (this.capacityGpuMs + this.capacityGpus * Math.max(0, endMs - this.capacitySinceMs)) / 1000;
  }

  /** GPU-seconds allocated to all workloads up to `endMs`. */
  allocatedGpuSeconds(endMs: number): number {
    let gpuMs = 0;
    for (const t of this.totals.values()) gpuMs += t.gpuMs;
    for (const seg of this.open.values()) gpuMs += seg.gpus * Math.max(0, endMs - seg.sinceMs);
    return gpuMs / 1000;
  }

  private closeSegment(key: string, seg: OpenSegment, nowMs: number): void {
    const ms = Math.max(0, nowMs - seg.sinceMs);
    const total = this.totals.get(key) ?? { gpuMs: 0, usd: 0 };
    total.gpuMs += seg.gpus * ms;
    total.usd += seg.usdPerSecond * ms / 1000;
    this.totals.set(key, total);
  }

  /** Changes a leaf's usage and every ancestor's (cycles in spec.parent are cut). */
  private addQueueGpus(leaf: string, nowMs: number, delta: number): void {
    const seen = new Set<string>();
    for (let name: string | undefined = leaf; name !== undefined && !seen.has(name); name = this.queueShape(name)?.parent) {
      seen.add(name);
      const acc = this.queues.get(name) ?? { gpus: 0, sinceMs: nowMs, gpuMs: 0, guaranteedGpuMs: 0 };
      const ms = Math.max(0, nowMs - acc.sinceMs);
      const guaranteed = this.queueShape(name)?.guaranteedGpus ?? 0;
      acc.gpuMs += acc.gpus * ms;
      acc.guaranteedGpuMs += Math.min(acc.gpus, guaranteed) * ms;
      acc.gpus += delta;
      acc.sinceMs = nowMs;
      this.queues.set(name, acc);
    }
  }
}
