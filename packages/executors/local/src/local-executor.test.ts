import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { isQmError } from '@qm/api';
import type { AttemptSpec, JobKey, ObservedAttempt } from '@qm/core';
import { attemptEnded } from '@qm/core';
import { files, attemptDir } from './attempt-files.js';
import { LocalExecutor } from './local-executor.js';
import { LocalLogSource } from './log-source.js';

const root = mkdtempSync(join(tmpdir(), 'qm-exec-test-'));
const clock = { now: () => Date.now() };
const opened: LocalExecutor[] = [];
after(async () => {
  for (const e of opened) {
    for (const a of e.list()) for (const w of a.workers) if (w.pid && !attemptEnded(a)) try { process.kill(-w.pid, 'SIGKILL'); } catch { /* gone */ }
    await e.close();
  }
  rmSync(root, { recursive: true, force: true });
});

/** A worker script: prints its env contract, then behaves as `mode` says. */
const WORKER = join(root, 'worker.mjs');
writeFileSync(WORKER, `
import { readFileSync, existsSync } from 'node:fs';
const mode = process.argv[2];
const keys = ['RANK','WORLD_SIZE','LOCAL_RANK','LOCAL_WORLD_SIZE','NODE_RANK','MASTER_ADDR','MASTER_PORT','CUDA_VISIBLE_DEVICES','QM_RUN_ID','QM_PREEMPT_FILE','FROM_SPEC'];
console.log('env ' + JSON.stringify(Object.fromEntries(keys.map((k) => [k, process.env[k]]))));
if (mode === 'exit') process.exit(Number(process.argv[3]));
if (mode === 'polite') process.on('SIGTERM', () => {
  const notice = existsSync(process.env.QM_PREEMPT_FILE) ? readFileSync(process.env.QM_PREEMPT_FILE, 'utf8').trim() : 'none';
  console.log('notice ' + notice);
  process.exit(0);
});
if (mode === 'stubborn') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
if (mode === 'until-file') setInterval(() => { if (existsSync(process.argv[3])) process.exit(Number(process.argv[4])); }, 20);
else setInterval(() => {}, 1000);
`);

let counter = 0;
function spec(mode: string[], patch: Partial<AttemptSpec> = {}): AttemptSpec {
  counter += 1;
  return {
    job: { namespace: 'team-a', name: `job-${counter}`, uid: `uid-${counter}` },
    attempt: 0, command: [process.execPath, WORKER], args: mode, env: { FROM_SPEC: 'yes', QM_RUN_ID: `uid-${counter}` },
    workers: [{ rank: 0, node: 'host', gpus: [counter * 2] }, { rank: 1, node: 'host', gpus: [counter * 2 + 1] }],
    checkpointDir: join(root, 'ck'),
    ...patch,
  };
}

async function open(dataDir: string): Promise<LocalExecutor> {
  const e = await LocalExecutor.open({ dataDir, clock, pollIntervalMs: 25 });
  opened.push(e);
  return e;
}

async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Both ranks printed their env line (their SIGTERM handlers are installed in the same tick). */
async function handlersReady(dataDir: string, job: JobKey): Promise<void> {
  const dir = attemptDir(dataDir, job, 0);
  const printed = (rank: number) => existsSync(files.log(dir, rank)) && readFileSync(files.log(dir, rank), 'utf8').includes('env ');
  await until('workers ready', () => printed(0) && printed(1));
}

const ended = (e: LocalExecutor, job: JobKey) => () => { const o = e.observe(job); return !!o && attemptEnded(o); };
const observed = (e: LocalExecutor, job: JobKey): ObservedAttempt => e.observe(job)!;

test('runs every rank with the env contract and reports exit codes', async () => {
  const dataDir = join(root, 'd1');
  const e = await open(dataDir);
  const s = spec(['exit', '0'], { workers: [{ rank: 0, node: 'host', gpus: [0, 1] }, { rank: 1, node: 'host', gpus: [2, 3] }] });
  await e.start(s);
  await until('both ranks exit', ended(e, s.job));
  assert.deepEqual(observed(e, s.job).workers.map((w) => [w.phase, w.exitCode]), [['Exited', 0], ['Exited', 0]]);
  const logs = new LocalLogSource(dataDir);
  const rank1 = await logs.open({ namespace: 'team-a', name: s.job.name, rank: 1, follow: false }) as string;
  const env = JSON.parse(rank1.split('\n')[0].slice(4));
  assert.equal(env.RANK, '1');
  assert.equal(env.WORLD_SIZE, '2');
  assert.equal(env.LOCAL_RANK, '1');
  assert.equal(env.LOCAL_WORLD_SIZE, '2');
  assert.equal(env.NODE_RANK, '0');
  assert.equal(env.CUDA_VISIBLE_DEVICES, '2,3');
  assert.equal(env.MASTER_ADDR, '127.0.0.1');
  assert.match(env.MASTER_PORT, /^\d+$/);
  assert.equal(env.FROM_SPEC, 'yes');
  assert.equal(env.QM_PREEMPT_FILE, files.preempt(attemptDir(dataDir, s.job, 0)));
  await e.release(s.job, 0);
  assert.equal(e.observe(s.job), undefined);
});

test('a non-zero exit is reported per rank', async () => {
  const e = await open(join(root, 'd2'));
  const s = spec(['exit', '3']);
  await e.start(s);
  await until('exit', ended(e, s.job));
  assert.deepEqual(observed(e, s.job).workers.map((w) => w.exitCode), [3, 3]);
});

test('a command that cannot start shows up as Lost with the reason', async () => {
  const e = await open(join(root, 'd3'));
  const s = spec([], { command: ['/nonexistent/trainer'] });
  await e.start(s);
  await until('lost', ended(e, s.job));
  const w = observed(e, s.job).workers[0];
  assert.equal(w.phase, 'Lost');
  assert.match(w.error ?? '', /could not start \/nonexistent\/trainer/);
});

test('stop: writes the deadline to QM_PREEMPT_FILE and SIGTERMs every rank; polite ranks exit 0', async () => {
  const e = await open(join(root, 'd4'));
  const s = spec(['polite']);
  await e.start(s);
  await handlersReady(join(root, 'd4'), s.job);
  await e.stop(s.job, { stopClass: 'Preempted', gracePeriodMs: 20_000, message: 'preempted by team-b/llm' });
  await e.stop(s.job, { stopClass: 'Cancelled', gracePeriodMs: 0 }); // second stop keeps the first
  await until('exit', ended(e, s.job));
  const o = observed(e, s.job);
  assert.equal(o.stop?.stopClass, 'Preempted');
  assert.deepEqual(o.workers.map((w) => w.exitCode), [0, 0]);
  const log = readFileSync(files.log(attemptDir(join(root, 'd4'), s.job, 0), 0), 'utf8');
  assert.match(log, /notice \{"deadline":"[^"]+","reason":"Preempted","message":"preempted by team-b\/llm"\}/);
});

test('stop: ranks that ignore SIGTERM are SIGKILLed after the grace period', async () => {
  const e = await open(join(root, 'd5'));
  const s = spec(['stubborn']);
  await e.start(s);
  await handlersReady(join(root, 'd5'), s.job);
  await e.stop(s.job, { stopClass: 'Preempted', gracePeriodMs: 200 });
  await until('killed', ended(e, s.job));
  assert.deepEqual(observed(e, s.job).workers.map((w) => w.signal), ['SIGKILL', 'SIGKILL']);
});

test('a GPU held by a live worker is never handed to another job', async () => {
  const e = await open(join(root, 'd6'));
  const first = spec(['sleep']);
  await e.start(first);
  const second = spec(['sleep'], { workers: [{ rank: 0, node: 'host', gpus: first.workers[1].gpus }] });
  await assert.rejects(e.start(second), (err: unknown) => isQmError(err, 'Conflict') && /still held by team-a\/job-/.test((err as Error).message));
  await assert.rejects(e.start({ ...first }), (err: unknown) => isQmError(err, 'Conflict'));
  assert.equal(e.busyGpus().get('host')?.get(first.workers[0].gpus[0]), `team-a/${first.job.name}`);
  await e.stop(first.job, { stopClass: 'Cancelled', gracePeriodMs: 0 });
  await until('stopped', ended(e, first.job));
  assert.equal(e.busyGpus().get('host')?.get(first.workers[0].gpus[0]), undefined);
});

test('after a platform restart: live workers are found again and their exit codes still arrive', async () => {
  const dataDir = join(root, 'd7');
  const a = await open(dataDir);
  const flag = join(root, 'd7-flag');
  const s = spec(['until-file', flag, '7']);
  await a.start(s);
  const pids = observed(a, s.job).workers.map((w) => w.pid);
  await a.close();
  const b = await open(dataDir);
  const again = observed(b, s.job);
  assert.deepEqual(again.workers.map((w) => [w.phase, w.pid]), pids.map((pid) => ['Running', pid]));
  writeFileSync(flag, '');
  await until('exit seen by the new executor', ended(b, s.job));
  assert.deepEqual(observed(b, s.job).workers.map((w) => w.exitCode), [7, 7]);
});

test('after a platform restart: workers that vanished without an exit record are Lost', async () => {
  const dataDir = join(root, 'd8');
  const a = await open(dataDir);
  const s = spec(['sleep']);
  await a.start(s);
  const pids = observed(a, s.job).workers.map((w) => w.pid!);
  await a.close();
  for (const pid of pids) process.kill(-pid, 'SIGKILL');
  await until('gone', () => pids.every((pid) => { try { process.kill(pid, 0); return false; } catch { return true; } }));
  const b = await open(dataDir);
  const o = observed(b, s.job);
  assert.ok(attemptEnded(o));
  assert.deepEqual(o.workers.map((w) => w.phase), ['Lost', 'Lost']);
  assert.ok(!existsSync(files.exit(attemptDir(dataDir, s.job, 0), 0)));
});

test('follow logs stream until the rank exits', async () => {
  const dataDir = join(root, 'd9');
  const e = await open(dataDir);
  const flag = join(root, 'd9-flag');
  const s = spec(['until-file', flag, '0']);
  await e.start(s);
  const logs = new LocalLogSource(dataDir, { pollIntervalMs: 25 });
  const stream = await logs.open({ namespace: 'team-a', name: s.job.name, follow: true });
  assert.ok(stream && typeof stream !== 'string');
  setTimeout(() => writeFileSync(flag, ''), 200);
  let text = '';
  for await (const chunk of stream) text += String(chunk);
  assert.match(text, /^env \{"RANK":"0"/);
  assert.equal(await logs.open({ namespace: 'team-a', name: 'nope', follow: false }), undefined);
  assert.equal(await logs.open({ namespace: 'team-a', name: s.job.name, attempt: 5, follow: false }), undefined);
});
