import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, Registry } from 'prom-client';
import { FastHistogram } from './fast-histogram.js';

type Step =
  | { observe: [string, string, number] }
  | { remove: [string, string] }
  | { reset: true };

/** The same steps on prom-client's Histogram and on FastHistogram; both registries' outputs. */
async function both(steps: Step[]) {
  const opts = { name: 'h_seconds', help: 'A histogram.', labelNames: ['namespace', 'replica'] as const, buckets: [0.001, 0.01, 0.1, 1] };
  const promRegistry = new Registry();
  const fastRegistry = new Registry();
  const prom = new Histogram({ ...opts, registers: [promRegistry] });
  const fast = new FastHistogram({ ...opts, registers: [fastRegistry] });
  // Children are bound once and kept, as the gateway does.
  const promChildren = new Map<string, { observe(v: number): void }>();
  const fastChildren = new Map<string, { observe(v: number): void }>();
  for (const step of steps) {
    if ('observe' in step) {
      const [namespace, replica, value] = step.observe;
      const key = `${namespace}/${replica}`;
      if (!promChildren.has(key)) {
        promChildren.set(key, prom.labels({ namespace, replica }));
        fastChildren.set(key, fast.labels({ namespace, replica }));
      }
      promChildren.get(key)!.observe(value);
      fastChildren.get(key)!.observe(value);
    } else if ('remove' in step) {
      const [namespace, replica] = step.remove;
      prom.remove({ namespace, replica });
      fast.remove({ namespace, replica });
    } else {
      prom.reset();
      fast.reset();
    }
  }
  return {
    promText: await promRegistry.metrics(), fastText: await fastRegistry.metrics(),
    promJson: await promRegistry.getMetricsAsJSON(), fastJson: await fastRegistry.getMetricsAsJSON(),
  };
}

describe('FastHistogram writes what prom-client Histogram writes', () => {
  const cases: Array<{ name: string; steps: Step[] }> = [
    { name: 'no observations', steps: [] },
    { name: 'one value per bucket, on and between bounds, and above all', steps: [0.0005, 0.001, 0.005, 0.1, 0.5, 1, 7].map((v) => ({ observe: ['ml', 'a', v] as [string, string, number] })) },
    { name: 'two label sets, in first-observed order', steps: [{ observe: ['ml', 'b', 0.2] }, { observe: ['ml', 'a', 0.02] }, { observe: ['ml', 'b', 0.003] }] },
    { name: 'a removed label set disappears', steps: [{ observe: ['ml', 'a', 0.2] }, { observe: ['ml', 'b', 0.2] }, { remove: ['ml', 'a'] }] },
    { name: 'a removed label set observed again starts from zero, listed last', steps: [{ observe: ['ml', 'a', 0.2] }, { observe: ['ml', 'b', 0.2] }, { remove: ['ml', 'a'] }, { observe: ['ml', 'a', 0.05] }] },
    { name: 'reset', steps: [{ observe: ['ml', 'a', 0.2] }, { reset: true }, { observe: ['ml', 'b', 0.5] }] },
    { name: 'removing an unknown label set is a no-op', steps: [{ observe: ['ml', 'a', 0.2] }, { remove: ['x', 'y'] }] },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const out = await both(c.steps);
      assert.equal(out.fastText, out.promText);
      assert.deepEqual(out.fastJson, out.promJson);
    });
  }

  it('refuses a value that is not a number', () => {
    const h = new FastHistogram({ name: 'x', help: 'x', labelNames: ['a'], buckets: [1], registers: [] });
    assert.throws(() => h.labels({ a: '1' }).observe(Number.NaN), /not a valid number/);
  });
});
