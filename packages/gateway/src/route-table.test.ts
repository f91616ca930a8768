import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { isQmError } from '@qm/api';
import { GatewayMetrics } from './gateway-metrics.js';
import { DeploymentState, validateRoutes, type ReplicaState } from './route-table.js';

const WINDOW = { windowMs: 10_000, bucketMs: 1000 };
const NOW = 1_000_000;

function deployment(replicas: Array<{ id: string; ready?: boolean; inFlight?: number; avoid?: boolean }>, maxInFlight = Infinity) {
  const d = new DeploymentState('ml/llama', 'ml', 'llama', maxInFlight, new GatewayMetrics(new Registry()), WINDOW, NOW);
  d.setReplicas(replicas.map((r, i) => ({ id: r.id, url: `http://127.0.0.1:${9000 + i}`, ready: r.ready ?? true })), NOW);
  for (const [i, r] of replicas.entries()) {
    d.replicas[i].inFlight = r.inFlight ?? 0;
    if (r.avoid) d.replicas[i].avoidUntilMs = NOW + 1000;
  }
  return d;
}

/** Picks `n` times without releasing; returns the ids chosen ('busy'/'none-ready' when none). */
function pickSequence(d: DeploymentState, n: number, hold: boolean, exclude: ReadonlySet<ReplicaState> = new Set()): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = d.pick(NOW, exclude);
    out.push(p.kind === 'replica' ? p.replica.id : p.kind);
    if (hold && p.kind === 'replica') p.replica.inFlight++;
  }
  return out;
}

describe('DeploymentState.pick', () => {
  const cases: Array<{ name: string; replicas: Parameters<typeof deployment>[0]; max?: number; hold: boolean; n: number; want: string[] }> = [
    { name: 'ties go round-robin', replicas: [{ id: 'a' }, { id: 'b' }, { id: 'c' }], hold: false, n: 6, want: ['a', 'b', 'c', 'a', 'b', 'c'] },
    { name: 'fewest outstanding wins', replicas: [{ id: 'a', inFlight: 3 }, { id: 'b', inFlight: 1 }, { id: 'c', inFlight: 2 }], hold: false, n: 2, want: ['b', 'b'] },
    { name: 'outstanding requests even out when held', replicas: [{ id: 'a', inFlight: 2 }, { id: 'b' }, { id: 'c' }], hold: true, n: 5, want: ['b', 'c', 'b', 'c', 'a'] },
    { name: 'unready replicas get nothing', replicas: [{ id: 'a', ready: false }, { id: 'b' }], hold: false, n: 3, want: ['b', 'b', 'b'] },
    { name: 'no ready replica', replicas: [{ id: 'a', ready: false }], hold: false, n: 1, want: ['none-ready'] },
    { name: 'no replicas at all', replicas: [], hold: false, n: 1, want: ['none-ready'] },
    { name: 'a replica that just refused is passed over while another can serve', replicas: [{ id: 'a', avoid: true }, { id: 'b', inFlight: 5 }], hold: false, n: 2, want: ['b', 'b'] },
    { name: 'a refusing replica is still used when it is the only one', replicas: [{ id: 'a', avoid: true }], hold: false, n: 1, want: ['a'] },
    { name: 'at the per-replica limit: busy', replicas: [{ id: 'a' }, { id: 'b' }], max: 1, hold: true, n: 3, want: ['a', 'b', 'busy'] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(pickSequence(deployment(c.replicas, c.max), c.n, c.hold), c.want));
  }

  it('skips the replicas a retry excludes', () => {
    const d = deployment([{ id: 'a' }, { id: 'b' }]);
    assert.deepEqual(pickSequence(d, 2, false, new Set([d.replicas[0]])), ['b', 'b']);
    assert.deepEqual(pickSequence(d, 1, false, new Set(d.replicas)), ['none-ready']);
  });
});

describe('DeploymentState waiters', () => {
  it('hands a freed slot to the first waiter and refuses all when no replica is ready', () => {
    const d = deployment([{ id: 'a', inFlight: 1 }], 1);
    const log: string[] = [];
    for (const name of ['w1', 'w2']) {
      d.waiters.push({ exclude: new Set(), grant: (r) => { log.push(`${name}→${r.id}`); r.inFlight++; }, refuse: () => log.push(`${name} refused`) });
    }
    d.replicas[0].inFlight--;
    d.released(d.replicas[0], NOW);
    assert.deepEqual(log, ['w1→a']);
    d.setReplicas([{ id: 'a', url: 'http://127.0.0.1:9000', ready: false }], NOW);
    assert.deepEqual(log, ['w1→a', 'w2 refused']);
    assert.equal(d.waiters.length, 0);
  });

  it('keeps in-flight counts of replicas that stay across setReplicas', () => {
    const d = deployment([{ id: 'a', inFlight: 2 }, { id: 'b' }]);
    const a = d.replicas[0];
    d.setReplicas([{ id: 'a', url: 'http://127.0.0.1:9100/base/', ready: true }], NOW);
    assert.equal(d.replicas[0], a);
    assert.equal(a.inFlight, 2);
    assert.equal(a.basePath, '/base');
    assert.equal(a.port, 9100);
  });
});

describe('validateRoutes', () => {
  const bad: Array<{ name: string; key: unknown; replicas: unknown; fields: string[] }> = [
    { name: 'key without a slash', key: 'llama', replicas: [], fields: ['deploymentKey'] },
    { name: 'key with upper case', key: 'ML/llama', replicas: [], fields: ['deploymentKey'] },
    { name: 'key not a string', key: 7, replicas: [], fields: ['deploymentKey'] },
    { name: 'replicas not an array', key: 'ml/llama', replicas: {}, fields: ['replicas'] },
    { name: 'every bad replica field is named', key: 'ml/llama', replicas: [{ id: '', url: 'ftp://x', ready: 'yes' }, null], fields: ['replicas[0].id', 'replicas[0].url', 'replicas[0].ready', 'replicas[1]'] },
    { name: 'duplicate ids', key: 'ml/llama', replicas: [{ id: 'a', url: 'http://h:1', ready: true }, { id: 'a', url: 'http://h:2', ready: true }], fields: ['replicas[1].id'] },
    { name: 'unparseable URL', key: 'ml/llama', replicas: [{ id: 'a', url: 'not a url', ready: true }], fields: ['replicas[0].url'] },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}`, () => {
      assert.throws(() => validateRoutes(c.key, c.replicas), (err: unknown) =>
        isQmError(err, 'Invalid') && assert.deepEqual(err.details.causes?.map((x) => x.field), c.fields) === undefined);
    });
  }
  it('accepts good routes', () => {
    assert.deepEqual(validateRoutes('ml/llama-2', [{ id: 'llama-2-0', url: 'http://[::1]:9000', ready: false }]),
      { namespace: 'ml', name: 'llama-2', routes: [{ id: 'llama-2-0', url: 'http://[::1]:9000', ready: false }] });
  });
});
