/**
 * A Prometheus histogram for the request path: a label set is bound once (`labels()`), and
 * `observe()` finds the bucket and bumps three numbers. prom-client's Histogram rebuilds and
 * hashes a key from the label set on every observe, about a microsecond, which is a few per cent
 * of a proxied request. The registry reads this like any prom-client metric, and the exposition is
 * the one prom-client writes: cumulative `_bucket{le=…}` lines, `le="+Inf"`, `_sum`, `_count`;
 * a label set appears once it has an observation, and goes with `remove()`.
 *
 * Example:
 * ```ts
 * const h = new FastHistogram({ name: 'x_seconds', help: '…', labelNames: ['replica'], buckets: [0.1, 1], registers: [registry] });
 * const child = h.labels({ replica: 'a' });
 * child.observe(0.25);   // registry.metrics() now shows x_seconds_bucket{le="0.1",replica="a"} 0 …
 * ```
 */
import type { Registry } from 'prom-client';

export interface FastHistogramOptions<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Upper bounds, ascending. */
  buckets: readonly number[];
  registers: Registry[];
}

/** One label set's counts. */
export class HistogramChild {
  /** Per bucket (not cumulative); the last slot counts values above every bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  /** In the histogram's output (observed since creation or the last remove/reset). */
  listed = false;

  constructor(private readonly owner: FastHistogram<string>, readonly key: string, readonly labels: Readonly<Record<string, string>>) {
    this.counts = new Float64Array(owner.bounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${value}`);
    const bounds = this.owner.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
    if (!this.listed) this.owner.list(this);
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
    this.listed = false;
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels: Readonly<Record<string, string>>;
  value: number;
  metricName: string;
  exemplar: null | undefined;
}

export class FastHistogram<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  readonly name: string;
  readonly help: string;
  readonly bounds: readonly number[];
  private readonly labelNames: readonly L[];
  /** Every child handed out, by label values. */
  private readonly children = new Map<string, HistogramChild>();
  /** Children with observations, in the order they got their first (prom-client's order). */
  private readonly listed = new Set<HistogramChild>();

  constructor(opts: FastHistogramOptions<L>) {
    this.name = opts.name;
    this.help = opts.help;
    this.labelNames = opts.labelNames;
    this.bounds = [...opts.buckets];
    for (const registry of opts.registers) registry.registerMetric(this as never);
  }

  /** The child for a label set (the same one for equal label sets). */
  labels(labels: Record<L, string>): HistogramChild {
    const key = this.key(labels);
    let child = this.children.get(key);
    if (child === undefined) {
      const own: Record<string, string> = {};
      for (const name of this.labelNames) own[name] = labels[name];
      child = new HistogramChild(this as FastHistogram<string>, key, own);
      this.children.set(key, child);
    }
    return child;
  }

  /** Drops a label set's series (a later observe starts it again from zero). */
  remove(labels: Record<L, string>): void {
    const child = this.children.get(this.key(labels));
    if (child === undefined) return;
    this.children.delete(child.key);
    this.listed.delete(child);
    child.clear();
  }

  reset(): void {
    for (const child of this.listed) child.clear();
    this.listed.clear();
  }

  /** Called by a child on its first observation. */
  list(child: HistogramChild): void {
    child.listed = true;
    this.listed.add(child);
    // A removed child that is still held re-enters (as prom-client's observe re-creates the series).
    if (!this.children.has(child.key)) this.children.set(child.key, child);
  }

  /** What the registry formats: the shape of prom-client's Histogram.getForPromString(). */
  getForPromString(): { name: string; help: string; type: string; values: ExportedValue[]; aggregator: string } {
    const values: ExportedValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const child of this.listed) {
      let cumulative = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        cumulative += child.counts[i];
        values.push({ labels: { le: this.bounds[i] }, sharedLabels: child.labels, value: cumulative, metricName: bucketName, exemplar: null });
      }
      values.push({ labels: { le: '+Inf' }, sharedLabels: child.labels, value: child.count, metricName: bucketName, exemplar: null });
      values.push({ labels: {}, sharedLabels: child.labels, value: child.sum, metricName: `${this.name}_sum`, exemplar: undefined });
      values.push({ labels: {}, sharedLabels: child.labels, value: child.count, metricName: `${this.name}_count`, exemplar: undefined });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** As prom-client's Histogram.get(): the label sets merged into each value's labels. */
  async get(): Promise<{ name: string; help: string; type: string; values: Array<Omit<ExportedValue, 'sharedLabels'>>; aggregator: string }> {
    const data = this.getForPromString();
    return { ...data, values: data.values.map(({ sharedLabels, ...v }) => ({ ...v, labels: { ...v.labels, ...sharedLabels } })) };
  }

  private key(labels: Record<L, string>): string {
    let key = '';
    for (const name of this.labelNames) key += `${labels[name]}\u0000`;
    return key;
  }
}
