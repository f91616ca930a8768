/**
 * Serving gateway benchmark (issue "Model serving", Gateway overhead): p50 added latency and
 * throughput through the qm gateway against hitting the replica directly, measured side by side
 * in the same run, and through nginx (Debian package) as the proxy when /usr/sbin/nginx exists.
 * Targets: p50 added latency < 1 ms; >= 80 % of direct throughput.
 *
 * Replica, gateway and nginx run as child processes, so the load generator shares no event
 * loop with them. Two replica profiles: `echo` (answers at once: the proxy's cost is all there
 * is) and `compute` (a fixed amount of arithmetic per request, ~--work-ms of CPU, standing in for
 * a small model).
 *
 * The targets are measured in interleaved rounds (direct, gateway, nginx, direct, …) and each
 * number is the median over rounds, so a noisy neighbour on a shared machine hits all alike.
 *
 *   npx tsc -b bench && node bench/dist/gateway-overhead.js [--duration 5] [--concurrency 32] [--work-ms 2] [--sequential 2000] [--rounds 3]
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT, percentile, printTable } from './support.js';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '32' },
    'work-ms': { type: 'string', default: '2' },
    sequential: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
  },
});
const DURATION_S = Number(values.duration);
const CONCURRENCY = Number(values.concurrency);
const WORK_MS = Number(values['work-ms']);
const SEQUENTIAL = Number(values.sequential);
const ROUNDS = Number(values.rounds);
const NGINX = '/usr/sbin/nginx';
const BODY = JSON.stringify({ inputs: 'The quick brown fox jumps over the lazy dog', parameters: { max_new_tokens: 8 } });

// The replica: calibrates a fixed number of multiply-adds to ~WORK_MS once, then does exactly
// that many per request, so every target sees the same work per request.
const REPLICA_SCRIPT = `
import { createServer } from 'node:http';
const workMs = Number(process.env.WORK_MS);
const v = new Float64Array(4096).map((_, i) => (i % 97) / 97);
function work(rounds) { let s = 0; for (let r = 0; r < rounds; r++) for (let i = 0; i < v.length; i++) s += v[i] * v[(i + r) & 4095]; return s; }
let rounds = 0;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
// JIT first, then calibrate on CPU time, which a busy neighbour does not stretch the way it stretches wall time.
if (workMs > 0) { for (let t = performance.now(); performance.now() - t < 300;) work(10);
  const c0 = cpuMs(); let n = 0; while (cpuMs() - c0 < 200) { work(10); n += 10; } rounds = Math.max(1, Math.round(n * workMs / (cpuMs() - c0))); }
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const score = work(rounds);
    const body = JSON.stringify({ generated_text: 'ok', score, bytes: Buffer.concat(chunks).length });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + server.address().port));
`;

const GATEWAY_SCRIPT = `
import { createGateway } from ${JSON.stringify(join(REPO_ROOT, 'packages/gateway/dist/index.js'))};
const gateway = createGateway();
const url = await gateway.listen({ port: 0, host: '127.0.0.1' });
gateway.setRoutes('bench/model', [{ id: 'model-0', url: process.env.REPLICA_URL, ready: true }]);
console.log('listening ' + url);
process.on('SIGTERM', () => gateway.close().then(() => process.exit(0)));
`;

interface Child {
  url: string;
  stop(): Promise<void>;
}

/** Spawns a process and resolves once it prints `listening URL` (or `ready` for nginx, which prints nothing). */
async function startChild(command: string, args: string[], env: Record<string, string>, readyUrl?: string): Promise<Child> {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const url = readyUrl ?? await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before it was ready`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

function startNode(script: string, env: Record<string, string>): Promise<Child> {
  return startChild(process.execPath, ['--input-type=module', '-e', script], env);
}

/** nginx in the foreground with one worker (the qm gateway is one process too) and upstream keep-alive. */
async function startNginx(replicaUrl: string): Promise<Child> {
  const prefix = mkdtempSync(join(tmpdir(), 'qm-bench-nginx-'));
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  writeFileSync(join(prefix, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${prefix}/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body;
  proxy_temp_path ${prefix}/proxy;
  upstream model { server ${new URL(replicaUrl).host}; keepalive 256; }
  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000;
    location /bench/model/ {
      proxy_pass http://model/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_request_buffering off;
      proxy_buffering off;
    }
  }
}
`);
  const child = await startChild(NGINX, ['-p', prefix, '-c', join(prefix, 'nginx.conf')], {}, `http://127.0.0.1:${port}`);
  for (let i = 0; i < 100; i++) {
    if (await send(new Agent({ keepAlive: false }), `http://127.0.0.1:${port}/bench/model/`).then(() => true, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: child.url, stop: async () => { await child.stop(); rmSync(prefix, { recursive: true, force: true }); } };
}

/** One POST; resolves with its latency in ms. */
function send(agent: Agent, url: string): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end(BODY);
  });
}

/** Sequential requests on one keep-alive connection: the latency a lone client sees. */
async function latency(url: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 200; i++) await send(agent, url);
  const ms: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) ms.push(await send(agent, url));
  agent.destroy();
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 50), p99: percentile(ms, 99) };
}

/** CONCURRENCY closed-loop clients for `seconds`; requests per second completed. */
async function throughput(url: string, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  let done = 0;
  let failures = 0;
  const stopAt = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (performance.now() < stopAt) {
      try {
        await send(agent, url);
        done++;
      } catch {
        failures++;
      }
    }
  }));
  const elapsedS = (performance.now() - started) / 1000;
  agent.destroy();
  return { perSecond: done / elapsedS, failures };
}

interface Measured { p50: number; p99: number; perSecond: number; failures: number }

async function measureOnce(url: string): Promise<Measured> {
  const lat = await latency(url);
  await throughput(url, 1); // warm-up at full concurrency
  const tp = await throughput(url, DURATION_S);
  return { ...lat, ...tp };
}

/** Interleaved rounds over every target; per target the median of each number. */
async function measure(urls: string[]): Promise<Measured[]> {
  const runs: Measured[][] = urls.map(() => []);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, url] of urls.entries()) runs[i].push(await measureOnce(url));
  }
  const median = (xs: number[]) => percentile([...xs].sort((a, b) => a - b), 50);
  return runs.map((r) => ({
    p50: median(r.map((m) => m.p50)), p99: median(r.map((m) => m.p99)),
    perSecond: median(r.map((m) => m.perSecond)), failures: r.reduce((sum, m) => sum + m.failures, 0),
  }));
}

async function profile(name: string, workMs: number) {
  const replica = await startNode(REPLICA_SCRIPT, { WORK_MS: String(workMs) });
  const gateway = await startNode(GATEWAY_SCRIPT, { REPLICA_URL: replica.url });
  const nginx = existsSync(NGINX) ? await startNginx(replica.url) : undefined;
  try {
    const urls = [`${replica.url}/v1/generate`, `${gateway.url}/bench/model/v1/generate`];
    if (nginx) urls.push(`${nginx.url}/bench/model/v1/generate`);
    const [direct, qm, viaNginx] = await measure(urls) as [Measured, Measured, Measured | undefined];
    const rows: Array<Record<string, string | number>> = [];
    const row = (measureName: string, pick: (m: Measured) => number, compare: 'added' | 'ratio', target: string) => {
      const d = pick(direct);
      const cmp = (m: Measured) => (compare === 'added' ? pick(m) - d : pick(m) / d);
      rows.push({
        measure: measureName, direct: d, 'qm gateway': pick(qm), nginx: viaNginx ? pick(viaNginx) : 'n/a',
        'qm vs direct': cmp(qm), 'nginx vs direct': viaNginx ? cmp(viaNginx) : 'n/a', target,
      });
    };
    row('p50 ms (1 client)', (m) => m.p50, 'added', 'qm added < 1 ms');
    row('p99 ms (1 client)', (m) => m.p99, 'added', '');
    row(`req/s (${CONCURRENCY} clients)`, (m) => m.perSecond, 'ratio', 'qm ratio >= 0.80');
    console.log(`\nreplica profile "${name}"${workMs > 0 ? ` (~${workMs} ms of arithmetic per request)` : ' (answers at once)'}:`);
    printTable(rows);
    const failures = direct.failures + qm.failures + (viaNginx?.failures ?? 0);
    if (failures > 0) console.log(`${failures} requests failed`);
  } finally {
    await nginx?.stop();
    await gateway.stop();
    await replica.stop();
  }
}

console.log(`gateway overhead: ${SEQUENTIAL} sequential requests for latency, ${CONCURRENCY} clients for ${DURATION_S} s for throughput, median of ${ROUNDS} interleaved rounds; nginx: ${existsSync(NGINX) ? NGINX : 'not installed'}`);
console.log('"vs direct" is added milliseconds for the latency rows and the ratio to direct for req/s.');
await profile('echo', 0);
await profile('compute', WORK_MS);
