import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LocalServingExecutor, killLeftoverReplicas, servingReplicaKey } from './serving-executor.js';
import type { ServingReplicaSpec } from './serving-replica.js';

const dir = mkdtempSync(join(tmpdir(), 'qm-serving-exec-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const clock = { now: () => Date.now() };

// A tiny replica: /healthz follows the READY env (or /tmp state), /crash exits, /sick fails liveness.
const SERVER = join(dir, 'replica.cjs');
writeFileSync(SERVER, `
const http = require('http');
let sick = false;
if (process.env.BUSY) setInterval(() => { const end = Date.now() + 40; while (Date.now() < end); }, 50);
http.createServer((req, res) => {
  if (req.url === '/healthz') { res.writeHead(process.env.READY === 'never' ? 503 : 200); return res.end(); }
  if (req.url === '/livez') { res.writeHead(sick ? 500 : 200); return res.end(); }
  if (req.url === '/crash') { res.end('bye'); return setTimeout(() => process.exit(3), 10); }
  if (req.url === '/sick') { sick = true; return res.end('sick'); }
  res.end(JSON.stringify({ name: process.env.QM_REPLICA_NAME, port: process.env.PORT, rev: process.env.QM_REVISION }));
}).listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', () => setTimeout(() => { if (process.env.MARKER) require('fs').writeFileSync(process.env.MARKER, 'graceful'); process.exit(0); }, 300));
`);

function spec(name: string, extra: Partial<ServingReplicaSpec> = {}): ServingReplicaSpec {
  return {
    deployment: { namespace: 'ml', name: 'chat', uid: 'u1' }, name, revision: 'r1',
    command: [process.execPath, SERVER], args: [], env: {}, node: 'host', gpus: [],
    readinessProbe: { httpGet: { path: '/healthz' }, periodSeconds: 1, failureThreshold: 1 }, gracePeriodMs: 2000, ...extra,
  };
}

async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

test('a replica starts on its own PORT, turns ready, serves, restarts after a crash, and stops', async () => {
  const executor = await LocalServingExecutor.open({ dataDir: dir, clock, backoffMs: 50, cpuSampleIntervalMs: 200 });
  try {
    await executor.start(spec('chat-r1-0', { env: { BUSY: '1' } }));
    const key = servingReplicaKey('ml', 'chat', 'chat-r1-0');
    const ready = await waitFor('ready', () => executor.observe(key)?.ready && executor.observe(key));
    assert.equal(ready.phase, 'Running');
    const body = await (await fetch(ready.url)).json();
    assert.deepEqual(body, { name: 'chat-r1-0', port: String(ready.port), rev: 'r1' });
    // Real cpu use of a busy replica shows up.
    const cpu = await waitFor('cpu sample', () => executor.observe(key)?.cpuMillis);
    assert.ok(cpu > 50, `busy replica uses cpu (${cpu}m)`);

    const firstPid = ready.pid!;
    await fetch(`${ready.url}/crash`);
    const restarted = await waitFor('restart', () => { const o = executor.observe(key); return o && o.restarts === 1 && o.ready && o.pid !== firstPid && o; });
    assert.equal(restarted.port, ready.port, 'the port survives restarts');

    await executor.stop(key);
    assert.equal(executor.observe(key), undefined);
    assert.equal(alive(restarted.pid!), false, 'process gone after stop');
  } finally {
    await executor.close();
  }
});

test('readiness never passing keeps the replica unready with the probe failure as message', async () => {
  const executor = await LocalServingExecutor.open({ dataDir: dir, clock });
  try {
    await executor.start(spec('chat-r1-1', { env: { READY: 'never' } }));
    const key = servingReplicaKey('ml', 'chat', 'chat-r1-1');
    const o = await waitFor('probe failure', () => (/HTTP 503/.test(executor.observe(key)?.message ?? '') ? executor.observe(key) : undefined));
    assert.equal(o.ready, false);
    assert.equal(o.phase, 'Starting');
    assert.match(o.message!, /readiness probe failed: HTTP 503 from GET \/healthz/);
  } finally {
    await executor.close();
  }
});

test('liveness failures restart the replica', async () => {
  const executor = await LocalServingExecutor.open({ dataDir: dir, clock, backoffMs: 50 });
  try {
    await executor.start(spec('chat-r1-2', { livenessProbe: { httpGet: { path: '/livez' }, periodSeconds: 1, failureThreshold: 2 } }));
    const key = servingReplicaKey('ml', 'chat', 'chat-r1-2');
    const ready = await waitFor('ready', () => executor.observe(key)?.ready && executor.observe(key));
    await fetch(`${ready.url}/sick`);
    const after = await waitFor('liveness restart', () => { const o = executor.observe(key); return o && o.restarts === 1 && o.ready && o; });
    assert.notEqual(after.pid, ready.pid);
  } finally {
    await executor.close();
  }
});

test('a command that cannot start is Failed with the reason, and close() leaves nothing running', async () => {
  const executor = await LocalServingExecutor.open({ dataDir: dir, clock, backoffMs: 10_000 });
  const key = servingReplicaKey('ml', 'chat', 'chat-r1-3');
  await executor.start(spec('chat-r1-3', { command: ['/no/such/server'] }));
  const o = await waitFor('failure', () => executor.observe(key)?.phase === 'Failed' && executor.observe(key));
  assert.match(o.message!, /could not start \/no\/such\/server/);
  await executor.start(spec('chat-r1-4'));
  const key4 = servingReplicaKey('ml', 'chat', 'chat-r1-4');
  const pid = (await waitFor('pid', () => executor.observe(key4)?.pid))!;
  await executor.close();
  assert.equal(alive(pid), false);
});

test('a launcher that leads the group and exits first (like a pyenv shim) still lets the server finish gracefully', async () => {
  const executor = await LocalServingExecutor.open({ dataDir: dir, clock });
  const marker = join(dir, 'graceful-marker');
  try {
    await executor.start(spec('chat-r1-6', { command: ['sh', '-c', `"${process.execPath}" "${SERVER}" & wait`], env: { MARKER: marker } }));
    const key = servingReplicaKey('ml', 'chat', 'chat-r1-6');
    await waitFor('ready', () => executor.observe(key)?.ready);
    await executor.stop(key);
    assert.equal(readFileSync(marker, 'utf8'), 'graceful', 'the server got its grace period after the launcher exited');
  } finally {
    await executor.close();
  }
});

test('killLeftoverReplicas kills what a crashed platform left (and only that)', async () => {
  const executor = await LocalServingExecutor.open({ dataDir: dir, clock });
  await executor.start(spec('chat-r1-5'));
  const pid = (await waitFor('pid', () => executor.observe(servingReplicaKey('ml', 'chat', 'chat-r1-5'))?.pid))!;
  // Simulate a crash: nobody stops it; the next open must kill it.
  assert.equal(killLeftoverReplicas(dir), 1);
  await waitFor('killed', () => !alive(pid));
  await executor.close();
});
