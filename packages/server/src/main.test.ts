import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));

function startMain(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const readyLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(stdout.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code} before it was ready:\n${stderr}`)));
  });
  readyLine.catch(() => undefined); // tests that expect an early exit never await it
  return { child, readyLine, output: () => ({ stdout, stderr }) };
}

test('main: starts, prints the ready line, writes a 0600 config whose token works, exits 0 on SIGTERM', async () => {
  const home = await mkdtemp(join(tmpdir(), 'qm-main-'));
  try {
    const qmHome = join(home, 'qm-home');
    const dataDir = join(home, 'data');
    const { child, readyLine, output } = startMain(['--port', '0', '--data-dir', dataDir, '--qm-home', qmHome, '--virtual-gpus', '2'], { QM_HOME: '' });
    const line = await readyLine;
    const configPath = join(qmHome, 'config.json');
    const match = /^Quartermaster listening on (http:\/\/127\.0\.0\.1:(\d+)) \(data: (.+), config: (.+)\)$/.exec(line);
    assert.ok(match, line);
    assert.equal(match[3], dataDir);
    assert.equal(match[4], configPath);

    assert.equal((await stat(configPath)).mode & 0o777, 0o600);
    assert.equal((await stat(qmHome)).mode & 0o777, 0o700);
    const config = JSON.parse(await readFile(configPath, 'utf8'));
    assert.equal(config.server, match[1]);
    assert.match(config.token, /^qm_/);

    const nodes = await fetch(`${config.server}/apis/ml.quartermaster.dev/v1alpha1/nodes`, { headers: { authorization: `Bearer ${config.token}` } });
    assert.equal(nodes.status, 200);
    const [node] = ((await nodes.json()) as { items: any[] }).items;
    assert.equal(node.metadata.labels['quartermaster.dev/virtual-gpus'], 'true');
    assert.ok(Number(node.status.capacity['nvidia.com/gpu']) >= 2);
    assert.equal((await fetch(`${config.server}/readyz`)).status, 200);
    const ns = await fetch(`${config.server}/api/v1/namespaces/default`, { headers: { authorization: `Bearer ${config.token}` } });
    assert.equal(ns.status, 200);

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, output().stderr);
    assert.equal(output().stdout.trim().split('\n').length, 1, 'stdout carries only the ready line');

    // A second start on the same data dir keeps the token.
    const again = startMain(['--port', '0', '--data-dir', dataDir, '--qm-home', qmHome], {});
    await again.readyLine;
    assert.equal(JSON.parse(await readFile(configPath, 'utf8')).token, config.token);
    again.child.kill('SIGINT');
    assert.equal((await once(again.child, 'exit'))[0], 0);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('main: a bad flag exits 2 naming it', async () => {
  const { child, output } = startMain(['--port', 'http'], {});
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(output().stderr, /--port must be an integer/);
});

test('main: a bad --gateway-port exits 2 naming it', async () => {
  const { child, output } = startMain(['--gateway-port', '70000'], {});
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(output().stderr, /--gateway-port must be an integer from 0 to 65535/);
});

test('main: a bad --hpa-sync-period exits 2 naming it', async () => {
  for (const bad of ['0s', 'soon', '-5']) {
    const { child, output } = startMain([`--hpa-sync-period=${bad}`], {});
    const [code] = await once(child, 'exit');
    assert.equal(code, 2, bad);
    assert.match(output().stderr, /--hpa-sync-period must be a positive duration/, bad);
  }
});

test('main: --gateway-rate-window reaches the gateway; a bad one exits 2 naming it', async () => {
  for (const bad of ['0s', 'soon', '-5', '500ms']) {
    const { child, output } = startMain([`--gateway-rate-window=${bad}`], {});
    const [code] = await once(child, 'exit');
    assert.equal(code, 2, bad);
    assert.match(output().stderr, /--gateway-rate-window must be (a positive duration|at least 1s)/, bad);
  }
  const home = await mkdtemp(join(tmpdir(), 'qm-main-'));
  try {
    const { child, readyLine, output } = startMain(['--port', '0', '--data-dir', join(home, 'data'), '--qm-home', home, '--gateway-rate-window', '10s'], {});
    await readyLine;
    const listening = output().stderr.split('\n').filter((l) => l.includes('serving gateway listening')).map((l) => JSON.parse(l) as { rateWindowMs: number });
    assert.deepEqual(listening.map((l) => l.rateWindowMs), [10_000]);
    child.kill('SIGTERM');
    assert.equal((await once(child, 'exit'))[0], 0);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
