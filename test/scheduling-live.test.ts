// The live scheduler end to end: the real server (SQLite, HTTP, scheduler loop) and the real
// CLI. A job that fits is admitted with its GPUs; one that cannot fit waits with a reason a
// person understands, a queue position, and is admitted as soon as capacity frees up.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from './support/platform.js';
import { runQm } from './support/qm-cli.js';
import { namespaceYaml, writeManifests } from './support/manifests.js';

const QM = '/apis/ml.quartermaster.dev/v1alpha1';

function gpuJobYaml(name: string, namespace: string, gpusPerWorker: number, workers = 1): string {
  return `apiVersion: ml.quartermaster.dev/v1alpha1
kind: TrainingJob
metadata: {name: ${name}, namespace: ${namespace}}
spec: {workers: ${workers}, gpusPerWorker: ${gpusPerWorker}, command: ["sleep", "600"]}
`;
}

async function getJob(platform: TestPlatform, namespace: string, name: string): Promise<any> {
  const res = await fetch(`${platform.url}${QM}/namespaces/${namespace}/trainingjobs/${name}`, { headers: { authorization: `Bearer ${platform.token}` } });
  return res.status === 200 ? res.json() : undefined;
}

/** Polls the job until `ready` holds; fails with the last status seen. */
async function waitForJob(platform: TestPlatform, namespace: string, name: string, what: string, ready: (job: any) => boolean): Promise<any> {
  let last: any;
  for (let i = 0; i < 400; i++) {
    last = await getJob(platform, namespace, name);
    if (last && ready(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.fail(`${namespace}/${name}: timed out waiting for ${what}; last status ${JSON.stringify(last?.status)}`);
}

const holdsGpus = (job: any) => ['Admitted', 'Running'].includes(job.status?.phase);

describe('live scheduling through the real server and CLI', () => {
  let platform: TestPlatform;
  before(async () => { platform = await startTestPlatform({ virtualGpus: 8 }); });
  after(async () => { await platform?.cleanup(); });

  it('admits what fits, explains what does not, and admits it once capacity frees', async () => {
    const dir = writeManifests({
      '1-ns.yaml': namespaceYaml('team-a') + '---\n' + namespaceYaml('team-orphan'),
      '2-queue.yaml': `apiVersion: ml.quartermaster.dev/v1alpha1
kind: Queue
metadata: {name: team-a}
spec: {namespaces: [team-a], guaranteed: {nvidia.com/gpu: 8}}
`,
    });
    const applied = await runQm(platform, ['apply', '-f', dir]);
    assert.equal(applied.code, 0, applied.stderr);

    const jobs = writeManifests({ 'small.yaml': gpuJobYaml('small', 'team-a', 6) });
    assert.equal((await runQm(platform, ['apply', '-f', jobs])).code, 0);
    const small = await waitForJob(platform, 'team-a', 'small', 'admission', holdsGpus);
    assert.equal(small.status.workers.length, 1);
    assert.equal(small.status.workers[0].gpus.length, 6, 'the worker got its 6 GPUs');
    assert.equal(new Set(small.status.workers[0].gpus).size, 6, 'distinct GPU indices');

    const big = writeManifests({ 'big.yaml': gpuJobYaml('big', 'team-a', 4) });
    assert.equal((await runQm(platform, ['apply', '-f', big])).code, 0);
    const pending = await waitForJob(platform, 'team-a', 'big', 'a pending reason', (j) => Boolean(j.status?.pendingReason));
    assert.equal(pending.status.phase, 'Pending');
    assert.match(pending.status.pendingReason, /4|GPU/i, 'the reason talks about the GPUs it waits for');
    assert.equal(pending.status.queuePosition, 1);

    const table = await runQm(platform, ['get', 'tj', '-n', 'team-a']);
    assert.equal(table.code, 0, table.stderr);
    assert.ok(table.stdout.includes(pending.status.pendingReason.slice(0, 20)), `qm get shows the reason:\n${table.stdout}`);
    const described = await runQm(platform, ['describe', 'tj', 'big', '-n', 'team-a']);
    assert.match(described.stdout, /Queue Position:\s+1/);

    // Freeing the GPUs admits the waiting job without any further action.
    assert.equal((await runQm(platform, ['delete', 'tj', 'small', '-n', 'team-a'])).code, 0);
    const admitted = await waitForJob(platform, 'team-a', 'big', 'admission after the delete', holdsGpus);
    assert.equal(admitted.status.workers[0].gpus.length, 4);
    assert.equal(admitted.status.pendingReason, undefined, 'the reason is cleared on admission');
  });

  it('a namespace without a queue gets a reason that says how to fix it', async () => {
    const dir = writeManifests({ 'orphan.yaml': gpuJobYaml('lost', 'team-orphan', 1) });
    assert.equal((await runQm(platform, ['apply', '-f', dir])).code, 0);
    const job = await waitForJob(platform, 'team-orphan', 'lost', 'a pending reason', (j) => Boolean(j.status?.pendingReason));
    assert.match(job.status.pendingReason, /queue/i);
    assert.match(job.status.pendingReason, /team-orphan/);
  });
});
