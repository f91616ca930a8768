/**
 * Spine benchmark (issue "The spine", Performance): through the real HTTP stack and SQLite
 * store, 10,000 small creates from 16 concurrent clients, a full list of 10,000 objects, and a
 * watch delivering 10,000 events. Baseline measured in the same run: a bare node:http server
 * that parses and echoes the same JSON bodies (the floor any HTTP API pays on this machine).
 *
 *   npx tsc -b bench && node bench/dist/api-throughput.js [--objects 10000] [--clients 16]
 */
import { createServer } from 'node:http';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { percentile, printTable, startBenchServer } from './support.js';

const { values } = parseArgs({ options: { objects: { type: 'string', default: '10000' }, clients: { type: 'string', default: '16' } } });
const OBJECTS = Number(values.objects);
const CLIENTS = Number(values.clients);
const QUEUES_PATH = '/apis/ml.quartermaster.dev/v1alpha1/queues';

const WARMUP_OFFSET = 1_000_000;

function queue(i: number) {
  const labels = { bench: i >= WARMUP_OFFSET ? 'warmup' : 'true' };
  return { apiVersion: 'ml.quartermaster.dev/v1alpha1', kind: 'Queue', metadata: { name: `bench-${i}`, labels }, spec: { guaranteed: { 'nvidia.com/gpu': 1 } } };
}

/** Sends `OBJECTS` POSTs from `CLIENTS` concurrent loops; returns throughput and latencies. */
async function createLoad(url: string, token: string, offset: number, count = OBJECTS) {
  const latenciesMs: number[] = [];
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, async () => {
    while (next < count) {
      const i = offset + next++;
      const t0 = performance.now();
      const res = await fetch(`${url}${QUEUES_PATH}`, {
        method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(queue(i)),
      });
      await res.arrayBuffer();
      if (res.status !== 201 && res.status !== 200) failures++;
      latenciesMs.push(performance.now() - t0);
    }
  }));
  const elapsedS = (performance.now() - started) / 1000;
  latenciesMs.sort((a, b) => a - b);
  return { perSecond: count / elapsedS, p50: percentile(latenciesMs, 50), p99: percentile(latenciesMs, 99), failures };
}

async function bareHttpBaseline() {
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => {
      const obj = JSON.parse(body);
      obj.metadata.uid = 'x';
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify(obj));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  // Same warm-up as the server gets, so neither side pays JIT or connection set-up in the measure.
  await createLoad(`http://127.0.0.1:${port}`, 'none', WARMUP_OFFSET, 2000);
  const result = await createLoad(`http://127.0.0.1:${port}`, 'none', 0);
  server.close();
  return result;
}

async function main() {
  const baseline = await bareHttpBaseline();
  const server = await startBenchServer();
  try {
    // Warm up the server's JIT and connection pool, then measure.
    await createLoad(server.url, server.token, WARMUP_OFFSET, 2000);
    const before = await fetch(`${server.url}${QUEUES_PATH}?limit=1`, { headers: { Authorization: `Bearer ${server.token}` } });
    const versionBeforeCreates = ((await before.json()) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const creates = await createLoad(server.url, server.token, 0);

    const listTimesMs: number[] = [];
    let listed = 0;
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const res = await fetch(`${server.url}${QUEUES_PATH}?labelSelector=bench%3Dtrue`, { headers: { Authorization: `Bearer ${server.token}` } });
      const body = await res.json() as { items: unknown[] };
      listTimesMs.push(performance.now() - t0);
      listed = body.items.length;
    }
    listTimesMs.sort((a, b) => a - b);

    // A watch from the version before the measured creates: it must deliver exactly those OBJECTS events.
    const t0 = performance.now();
    const controller = new AbortController();
    const res = await fetch(`${server.url}${QUEUES_PATH}?watch=true&resourceVersion=${versionBeforeCreates}`, { headers: { Authorization: `Bearer ${server.token}` }, signal: controller.signal });
    let events = 0;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        events += decoder.decode(chunk, { stream: true }).split('\n').length - 1;
        if (events >= OBJECTS) break;
      }
    } finally {
      controller.abort();
    }
    const watchMs = performance.now() - t0;

    console.log(`\nqm API benchmark: ${OBJECTS} objects, ${CLIENTS} concurrent clients, SQLite store, real HTTP\n`);
    printTable([
      { measure: 'creates/s', qm: Math.round(creates.perSecond), 'bare http baseline': Math.round(baseline.perSecond), 'qm / baseline': creates.perSecond / baseline.perSecond, target: '>= 2000' },
      { measure: 'create p50 ms', qm: creates.p50, 'bare http baseline': baseline.p50, 'qm / baseline': creates.p50 / baseline.p50, target: '' },
      { measure: 'create p99 ms', qm: creates.p99, 'bare http baseline': baseline.p99, 'qm / baseline': creates.p99 / baseline.p99, target: '< 25' },
      { measure: `list ${listed} ms (p50 of 5)`, qm: percentile(listTimesMs, 50), 'bare http baseline': '', 'qm / baseline': '', target: '< 300' },
      { measure: `watch ${events} events ms`, qm: watchMs, 'bare http baseline': '', 'qm / baseline': '', target: '' },
    ]);
    if (creates.failures > 0) console.log(`\n${creates.failures} creates failed`);
  } finally {
    await server.stop();
  }
}

await main();
