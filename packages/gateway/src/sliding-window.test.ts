import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SlidingWindow, histogramIndex } from './sliding-window.js';

const T0 = 1_000_000; // a bucket boundary for 1 s buckets

describe('SlidingWindow.ratePerSecond', () => {
  // Each case: events as [atMs offset from T0], the read time offset, and the expected rate.
  const cases: Array<{ name: string; events: number[]; readAt: number; want: number }> = [
    { name: 'empty window reads 0', events: [], readAt: 5000, want: 0 },
    { name: 'first second: divides by one bucket, not by the elapsed few ms', events: [0, 1, 2, 3, 4], readAt: 10, want: 5 },
    { name: 'before a full window: divides by the time since tracking began', events: [0, 500, 1500, 2500], readAt: 4000, want: 1 },
    { name: 'full window of 10 s at 3/s', events: Array.from({ length: 30 }, (_, i) => i * 333), readAt: 9999, want: 30 / 9.999 },
    { name: 'events older than the window slide out', events: [0, 0, 0, 12_000, 12_500], readAt: 12_900, want: 2 / ((12_900 - 3000) / 1000) },
    { name: 'a slot reused after wrap-around forgets its old count', events: [100, 100, 10_100], readAt: 10_200, want: 1 / ((10_200 - 1000) / 1000) },
    { name: 'long idle then nothing: 0', events: [0, 1, 2], readAt: 60_000, want: 0 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const w = new SlidingWindow({ windowMs: 10_000, bucketMs: 1000, startedAtMs: T0 });
      for (const at of c.events) w.add(T0 + at);
      assert.ok(Math.abs(w.ratePerSecond(T0 + c.readAt) - c.want) < 1e-9, `got ${w.ratePerSecond(T0 + c.readAt)}, want ${c.want}`);
    });
  }

  it('tracking that began mid-bucket counts from its start', () => {
    const w = new SlidingWindow({ windowMs: 10_000, bucketMs: 1000, startedAtMs: T0 + 500 });
    for (let i = 0; i < 6; i++) w.add(T0 + 600 + i * 100);
    // 6 events between T0+500 and T0+3500 → 2/s
    assert.equal(w.ratePerSecond(T0 + 3500), 2);
  });
});

describe('SlidingWindow.summary', () => {
  it('empty window is all zeros', () => {
    const w = new SlidingWindow({ windowMs: 5000, bucketMs: 1000, startedAtMs: T0 });
    w.add(T0); // an event without a duration does not enter the histogram
    assert.deepEqual(w.summary(T0), { count: 0, meanMs: 0, p50Ms: 0, p90Ms: 0, p99Ms: 0, maxMs: 0 });
  });

  it('percentiles within the histogram resolution (~10 %)', () => {
    const w = new SlidingWindow({ windowMs: 5000, bucketMs: 1000, startedAtMs: T0 });
    for (let ms = 1; ms <= 1000; ms++) w.add(T0 + (ms % 3) * 1000, ms);
    const s = w.summary(T0 + 2500);
    assert.equal(s.count, 1000);
    assert.equal(s.maxMs, 1000);
    assert.ok(Math.abs(s.meanMs - 500.5) < 1e-9);
    for (const [got, want] of [[s.p50Ms, 500], [s.p90Ms, 900], [s.p99Ms, 990]]) {
      assert.ok(Math.abs(got - want) / want < 0.1, `percentile ${got} not within 10 % of ${want}`);
    }
  });

  it('durations that slid out of the window are not summarised', () => {
    const w = new SlidingWindow({ windowMs: 2000, bucketMs: 1000, startedAtMs: T0 });
    w.add(T0, 500);
    w.add(T0 + 2500, 2);
    const s = w.summary(T0 + 2500);
    assert.equal(s.count, 1);
    assert.equal(s.maxMs, 2);
  });

  it('percentiles never exceed the largest value seen', () => {
    const w = new SlidingWindow({ windowMs: 2000, bucketMs: 1000, startedAtMs: T0 });
    w.add(T0, 3.1); // the top of its histogram bucket lies above 3.1
    const { p99Ms } = w.summary(T0);
    assert.ok(p99Ms <= 3.1 && p99Ms > 3.1 * 0.9, `p99 ${p99Ms}`);
  });
});

describe('histogramIndex', () => {
  const cases: Array<[number, number]> = [[0, 0], [-1, 0], [0.01, 0], [0.0101, 1], [1e12, 99]];
  for (const [ms, want] of cases) it(`${ms} ms → bucket ${want}`, () => assert.equal(histogramIndex(ms), want));
  it('is monotone', () => {
    let last = 0;
    for (let ms = 0.001; ms < 1e6; ms *= 1.07) {
      const i = histogramIndex(ms);
      assert.ok(i >= last);
      last = i;
    }
  });
});

describe('SlidingWindow options', () => {
  it('rejects a window narrower than a bucket', () => {
    assert.throws(() => new SlidingWindow({ windowMs: 500, bucketMs: 1000, startedAtMs: 0 }), /windowMs must be >= bucketMs/);
  });
  it('rejects a zero bucket', () => {
    assert.throws(() => new SlidingWindow({ windowMs: 500, bucketMs: 0, startedAtMs: 0 }), /bucketMs must be > 0/);
  });
});
