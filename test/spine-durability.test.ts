// The spine's promises that only show across a process boundary: a write acknowledged to
// `qm apply` survives kill -9, and a watch resumed from the last version it saw receives
// every later change exactly once, in order, across a server restart.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { runQm } from './support/qm-cli.js';
import { namespaceYaml, writeManifests } from './support/manifests.js';

let platform: TestPlatform;
before(async () => { platform = await startTestPlatform({ virtualGpus: 2 }); });
after(() => platform.cleanup());

// PriorityClasses: a kind no controller writes back to, so the watch sees only this test's changes
// (the scheduler writes Queue status, which would interleave MODIFIED events).
const CLASSES = '/apis/scheduling.k8s.io/v1/priorityclasses';

async function api(method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${platform.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${platform.token}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function priorityClass(name: string, value: number) {
  return { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value };
}

/** Reads a watch stream until `count` events arrived (or the stream ends), then aborts it. */
async function readWatch(fromVersion: string, count: number): Promise<Array<{ type: string; object: any }>> {
  const controller = new AbortController();
  const res = await fetch(`${platform.url}${CLASSES}?watch=true&resourceVersion=${fromVersion}`, {
    headers: { Authorization: `Bearer ${platform.token}` }, signal: controller.signal,
  });
  assert.equal(res.status, 200);
  const events: Array<{ type: string; object: any }> = [];
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line) events.push(JSON.parse(line));
      }
      if (events.length >= count) break;
    }
  } finally {
    controller.abort();
  }
  return events;
}

test('kill -9 right after qm apply returned: the object is there with the same uid and resourceVersion', async () => {
  const dir = writeManifests({ 'ns.yaml': namespaceYaml('durable') });
  const applied = await runQm(platform, ['apply', '-f', dir]);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stdout, /namespace\/durable created/);
  const before = await api('GET', '/api/v1/namespaces/durable');
  await platform.kill9();
  await platform.restart();
  const afterRestart = await api('GET', '/api/v1/namespaces/durable');
  assert.equal(afterRestart.metadata.uid, before.metadata.uid);
  assert.equal(afterRestart.metadata.resourceVersion, before.metadata.resourceVersion);
});

test('a watch resumed after a server restart sees every change once, in order', async () => {
  const start = await api('GET', CLASSES);
  const fromVersion: string = start.metadata.resourceVersion;

  await api('POST', CLASSES, priorityClass('w-a', 1));
  await api('POST', CLASSES, priorityClass('w-b', 2));
  const firstLeg = await readWatch(fromVersion, 2);
  assert.deepEqual(firstLeg.map((e) => `${e.type} ${e.object.metadata.name}`), ['ADDED w-a', 'ADDED w-b']);
  const lastSeen: string = firstLeg[1].object.metadata.resourceVersion;

  // Changes made while nobody watches, then a clean restart, then more changes.
  await api('DELETE', `${CLASSES}/w-a`);
  assert.equal(await platform.stop(), 0);
  await platform.restart();
  await api('POST', CLASSES, priorityClass('w-c', 3));

  const secondLeg = await readWatch(lastSeen, 2);
  assert.deepEqual(secondLeg.map((e) => `${e.type} ${e.object.metadata.name}`), ['DELETED w-a', 'ADDED w-c']);
  const versions = [...firstLeg, ...secondLeg].map((e) => Number(e.object.metadata.resourceVersion));
  assert.deepEqual(versions, [...versions].sort((a, b) => a - b), 'versions arrive in increasing order');
  assert.equal(new Set(versions).size, versions.length, 'no change is delivered twice');
});
