import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NVIDIA_SMI_ARGS, createGpuSampler, parseGpuUtilization, type CommandRunner } from './gpu-sampler.js';

test('parseGpuUtilization: one reading per line; N/A skipped; bad lines name the line', () => {
  assert.deepEqual(parseGpuUtilization('0, 87, 40213\n1, 0, 3\n\n2, [N/A], [N/A]\n'), [
    { index: 0, utilizationPercent: 87, memoryUsedMiB: 40213 },
    { index: 1, utilizationPercent: 0, memoryUsedMiB: 3 },
  ]);
  const bad: Array<[string, RegExp]> = [
    ['0, 87', /line 1 .*expected 3 fields/],
    ['0, 5, 1\nx, 5, 1', /line 2 .*index/],
    ['0, 120, 1', /line 1 .*utilization.gpu must be a percent/],
    ['0, , 1', /line 1 .*utilization.gpu/],
  ];
  for (const [csv, message] of bad) assert.throws(() => parseGpuUtilization(csv), message, csv);
});

function logger() {
  const lines: string[] = [];
  return { lines, info: (_o: object, m: string) => { lines.push(`info ${m}`); }, warn: (_o: object, m: string) => { lines.push(`warn ${m}`); } };
}

test('createGpuSampler: runs nvidia-smi with the query; absent is said once; failures are logged once per streak', async () => {
  const calls: string[] = [];
  let output: string | Error = '0, 4, 100\n';
  const run: CommandRunner = async (command, args) => {
    calls.push(`${command} ${args.join(' ')}`);
    if (output instanceof Error) throw output;
    return output;
  };
  const log = logger();
  const sampler = createGpuSampler({ run, logger: log });
  assert.deepEqual(await sampler.sample(), { kind: 'ok', readings: [{ index: 0, utilizationPercent: 4, memoryUsedMiB: 100 }] });
  assert.equal(calls[0], `nvidia-smi ${NVIDIA_SMI_ARGS.join(' ')}`);

  output = 'garbage';
  assert.equal((await sampler.sample()).kind, 'failed');
  output = Object.assign(new Error('exit 9'), { code: 9 });
  assert.equal((await sampler.sample()).kind, 'failed');
  assert.equal(log.lines.filter((l) => l.startsWith('warn')).length, 1, 'one warning for the streak');
  output = '0, 4, 100';
  assert.equal((await sampler.sample()).kind, 'ok');

  output = Object.assign(new Error('spawn nvidia-smi ENOENT'), { code: 'ENOENT' });
  assert.deepEqual(await sampler.sample(), { kind: 'absent' });
  assert.deepEqual(await sampler.sample(), { kind: 'absent' });
  assert.equal(log.lines.filter((l) => l.includes('not found')).length, 1, 'absent is logged once');
});
