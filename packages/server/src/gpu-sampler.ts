/**
 * GPU utilization readings from `nvidia-smi`:
 * `nvidia-smi --query-gpu=index,utilization.gpu,memory.used --format=csv,noheader,nounits`.
 * The command runner is injectable so tests feed canned output. Without nvidia-smi (ENOENT: a
 * CPU-only host, or virtual GPUs) `sample()` says `absent` and logs that once; a failing run logs
 * once per streak of failures and gives no readings.
 *
 * Example:
 * ```ts
 * const sampler = createGpuSampler({ logger });
 * const result = await sampler.sample();
 * if (result.kind === 'ok') for (const r of result.readings) console.log(r.index, r.utilizationPercent);
 * ```
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { QmError } from '@qm/api';

export const NVIDIA_SMI_ARGS = ['--query-gpu=index,utilization.gpu,memory.used', '--format=csv,noheader,nounits'] as const;

/** One GPU's reading at one moment. */
export interface GpuReading {
  index: number;
  utilizationPercent: number;
  memoryUsedMiB: number;
}

export type GpuSampleResult =
  | { kind: 'ok'; readings: GpuReading[] }
  /** nvidia-smi is not installed: nothing can be sampled on this host. */
  | { kind: 'absent' }
  /** It ran but failed or printed something unreadable; try again next time. */
  | { kind: 'failed'; message: string };

/** Runs a command and gives its stdout; rejects like `execFile` (err.code 'ENOENT' when missing). */
export type CommandRunner = (command: string, args: readonly string[]) => Promise<string>;

export interface GpuSamplerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface GpuSamplerOptions {
  /** Default: `execFile` with a 10 s timeout. */
  run?: CommandRunner;
  /** Default `nvidia-smi`. */
  command?: string;
  logger?: GpuSamplerLogger;
}

export interface GpuSampler {
  sample(): Promise<GpuSampleResult>;
}

const execFileAsync = promisify(execFile);

const defaultRunner: CommandRunner = async (command, args) => {
  const { stdout } = await execFileAsync(command, [...args], { timeout: 10_000 });
  return stdout;
};

export function createGpuSampler(opts: GpuSamplerOptions = {}): GpuSampler {
  const run = opts.run ?? defaultRunner;
  const command = opts.command ?? 'nvidia-smi';
  let loggedAbsent = false;
  let loggedFailure = false;
  return {
    async sample() {
      let stdout: string;
      try {
        stdout = await run(command, NVIDIA_SMI_ARGS);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          if (!loggedAbsent) {
            loggedAbsent = true;
            opts.logger?.info({ command }, `${command} not found: GPU utilization is not sampled, idle-GPU detection is off on this host`);
          }
          return { kind: 'absent' };
        }
        return failed(`${command} failed: ${(err as Error).message}`);
      }
      try {
        const readings = parseGpuUtilization(stdout);
        loggedFailure = false;
        return { kind: 'ok', readings };
      } catch (err) {
        return failed((err as Error).message);
      }
    },
  };

  function failed(message: string): GpuSampleResult {
    if (!loggedFailure) {
      loggedFailure = true;
      opts.logger?.warn({ command }, `GPU utilization sampling failed (logged once until it works again): ${message}`);
    }
    return { kind: 'failed', message };
  }
}

/**
 * Parses the CSV `nvidia-smi --query-gpu=index,utilization.gpu,memory.used
 * --format=csv,noheader,nounits` prints, one GPU a line: `0, 87, 40213`. A GPU whose value
 * is `[N/A]` / `[Not Supported]` (MIG mode) is skipped; any other bad line is a QmError
 * naming the line.
 */
export function parseGpuUtilization(csv: string): GpuReading[] {
  const readings: GpuReading[] = [];
  csv.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    const fields = line.split(',').map((f) => f.trim());
    const where = `nvidia-smi output line ${i + 1} (${JSON.stringify(line)})`;
    if (fields.length !== 3) throw new QmError('Invalid', `${where}: expected 3 fields (index, utilization.gpu, memory.used), got ${fields.length}`);
    const index = Number(fields[0]);
    if (!Number.isInteger(index) || index < 0) throw new QmError('Invalid', `${where}: index must be a non-negative integer`);
    if (fields[1].startsWith('[')) return; // not reported for this GPU (e.g. MIG mode)
    const utilizationPercent = Number(fields[1]);
    if (fields[1] === '' || !Number.isFinite(utilizationPercent) || utilizationPercent < 0 || utilizationPercent > 100) {
      throw new QmError('Invalid', `${where}: utilization.gpu must be a percent in [0, 100]`);
    }
    const memoryUsedMiB = Number(fields[2]);
    readings.push({ index, utilizationPercent, memoryUsedMiB: Number.isFinite(memoryUsedMiB) ? memoryUsedMiB : 0 });
  });
  return readings;
}
