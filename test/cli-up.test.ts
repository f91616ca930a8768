/**
 * End to end: `qm up` runs the server in the foreground, relays its ready line, prints next
 * steps, serves the CLI, and stops cleanly on SIGTERM.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { READY_LINE } from './support/platform.js';
import { runQm, spawnQm } from './support/qm-cli.js';

test('qm up serves the CLI and exits 0 on SIGTERM', async () => {
  const home = mkdtempSync(join(tmpdir(), 'qm-up-home-'));
  const env = { cliEnv: () => ({ ...(process.env as Record<string, string>), QM_HOME: home, QM_SERVER: '', QM_TOKEN: '' }) };
  const up = spawnQm(env, ['up', '--port', '0', '--data-dir', join(home, 'data'), '--virtual-gpus', '1', '--log-level', 'warn']);
  try {
    await up.waitForStdout(/Press Ctrl-C to stop\./, 30_000);
    const ready = up.stdout().split('\n').find((l) => READY_LINE.test(l));
    assert.ok(ready, up.stdout());
    assert.match(up.stdout(), /\.\/qm get nodes/);
    const nodes = await runQm(env, ['get', 'nodes']);
    assert.equal(nodes.code, 0, nodes.stderr);
    assert.match(nodes.stdout, /^NAME +STATUS/);
  } finally {
    const code = await up.stop('SIGTERM');
    rmSync(home, { recursive: true, force: true });
    assert.equal(code, 0, up.stderr());
  }
});
