/**
 * A sliding time window of fixed-width buckets: counts events (for requests per second) and,
 * when given a duration, a log-bucketed histogram (for latency and queue-time percentiles).
 * Time comes in as epoch milliseconds from an injected clock, so the window math is testable.
 *
 * Example:
 * ```ts
 * const w = new SlidingWindow({ windowMs: 30_000, bucketMs: 1000, startedAtMs: clock.now() });
 * w.add(clock.now(), 12.5);        // one request that took 12.5 ms
 * w.ratePerSecond(clock.now());    // events per second over the window
 * w.summary(clock.now()).p99Ms;    // percentile estimate (within ~10 %)
 * ```
 */

/** Count and percentiles of durations seen in the window; all NaN-free (0 when empty). */
export interface DurationSummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface SlidingWindowOptions {
  /** Width of the window the rate and summaries cover. */
  windowMs: number;
  /** Width of one bucket; the window slides in steps of this size. */
  bucketMs: number;
  /** When tracking began: before a full window has passed, the rate divides by the time tracked. */
  startedAtMs: number;
}

// Histogram boundaries grow by 2^(1/4) (≈19 %) from 10 µs to about 11 min: 100 buckets,
// so a percentile read off the geometric middle of a bucket is within ~10 % of the truth.
const MIN_BOUND_MS = 0.01;
const GROWTH = Math.pow(2, 1 / 4);
const LOG_GROWTH = Math.log(GROWTH);
const HISTOGRAM_BUCKETS = 100;

/** The histogram bucket a duration falls into (0 for anything ≤ 10 µs, the last for the overflow). */
export function histogramIndex(durationMs: number): number {
  if (!(durationMs > MIN_BOUND_MS)) return 0;
  const i = Math.ceil(Math.log(durationMs / MIN_BOUND_MS) / LOG_GROWTH);
  return Math.min(HISTOGRAM_BUCKETS - 1, i);
}

/** Upper bound of histogram bucket `i` (the bucket holds (bound(i-1), bound(i)]). */
function upperBoundMs(i: number): number {
  return MIN_BOUND_MS * Math.pow(GROWTH, i);
}

interface Bucket {
  /** Which absolute bucket (floor(timeMs / bucketMs)) this slot currently holds. */
  index: number;
  count: number;
  durations: number;
  sumMs: number;
  maxMs: number;
  histogram: Uint32Array | undefined;
}

export class SlidingWindow {
  readonly windowMs: number;
  readonly bucketMs: number;
  private readonly startedAtMs: number;
  private readonly slots: Bucket[];

  constructor(opts: SlidingWindowOptions) {
    if (!(opts.bucketMs > 0)) throw new RangeError(`bucketMs must be > 0, got ${opts.bucketMs}`);
    if (!(opts.windowMs >= opts.bucketMs)) throw new RangeError(`windowMs must be >= bucketMs (${opts.bucketMs}), got ${opts.windowMs}`);
    this.windowMs = opts.windowMs;
    this.bucketMs = opts.bucketMs;
    this.startedAtMs = opts.startedAtMs;
    const n = Math.ceil(opts.windowMs / opts.bucketMs);
    this.slots = Array.from({ length: n }, () => ({ index: -Infinity, count: 0, durations: 0, sumMs: 0, maxMs: 0, histogram: undefined }));
  }

  /** Records one event at `nowMs`; with `durationMs` it also enters the duration histogram. */
  add(nowMs: number, durationMs?: number): void {
    const index = Math.floor(nowMs / this.bucketMs);
    const slot = this.slots[((index % this.slots.length) + this.slots.length) % this.slots.length];
    if (slot.index !== index) {
      // The slot last held a bucket that has slid out of the window: reuse it.
      slot.index = index;
      slot.count = 0;
      slot.durations = 0;
      slot.sumMs = 0;
      slot.maxMs = 0;
      slot.histogram?.fill(0);
    }
    slot.count++;
    if (durationMs === undefined) return;
    const ms = Math.max(0, durationMs);
    slot.durations++;
    slot.sumMs += ms;
    if (ms > slot.maxMs) slot.maxMs = ms;
    (slot.histogram ??= new Uint32Array(HISTOGRAM_BUCKETS))[histogramIndex(ms)]++;
  }

  /** Events in the window (the current, partly elapsed bucket and the n-1 before it). */
  count(nowMs: number): number {
    let total = 0;
    for (const slot of this.live(nowMs)) total += slot.count;
    return total;
  }

  /**
   * Events per second over the time the window covers: from the start of its oldest bucket (or
   * from `startedAtMs`, if later) to `nowMs`, but never less than one bucket, so the first
   * request after start does not read as a spike.
   */
  ratePerSecond(nowMs: number): number {
    const currentIndex = Math.floor(nowMs / this.bucketMs);
    const oldestStartMs = (currentIndex - this.slots.length + 1) * this.bucketMs;
    const coveredMs = Math.max(this.bucketMs, nowMs - Math.max(oldestStartMs, this.startedAtMs));
    return (this.count(nowMs) * 1000) / coveredMs;
  }

  /** Count, mean and percentile estimates of the durations recorded in the window. */
  summary(nowMs: number): DurationSummary {
    const merged = new Uint32Array(HISTOGRAM_BUCKETS);
    let count = 0;
    let sumMs = 0;
    let maxMs = 0;
    for (const slot of this.live(nowMs)) {
      if (!slot.histogram) continue;
      count += slot.durations;
      sumMs += slot.sumMs;
      if (slot.maxMs > maxMs) maxMs = slot.maxMs;
      for (let i = 0; i < HISTOGRAM_BUCKETS; i++) merged[i] += slot.histogram[i];
    }
    if (count === 0) return { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 };
    const quantile = (q: number) => Math.min(maxMs, quantileFromHistogram(merged, count, q));
    return { count, meanMs: sumMs / count, p50Ms: quantile(0.5), p90Ms: quantile(0.9), p99Ms: quantile(0.99), maxMs };
  }

  private *live(nowMs: number): Iterable<Bucket> {
    const currentIndex = Math.floor(nowMs / this.bucketMs);
    const oldestIndex = currentIndex - this.slots.length + 1;
    for (const slot of this.slots) {
      if (slot.index >= oldestIndex && slot.index <= currentIndex) yield slot;
    }
  }
}

/** The q-quantile: the geometric middle of the bucket holding the ceil(q·count)-th value. */
function quantileFromHistogram(histogram: Uint32Array, count: number, q: number): number {
  const rank = Math.max(1, Math.ceil(q * count));
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i];
    if (seen >= rank) return i === 0 ? MIN_BOUND_MS : Math.sqrt(upperBoundMs(i - 1) * upperBoundMs(i));
  }
  return upperBoundMs(histogram.length - 1);
}
