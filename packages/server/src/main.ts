#!/usr/bin/env node
// The qm server process: parses flags, starts the platform, prints the ready line, and shuts
// down cleanly on SIGINT/SIGTERM. Everything else lives in platform.ts.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import type { FastifyBaseLogger } from 'fastify';
import { parseDurationSeconds } from '@qm/api';
import { DEFAULT_RATE_BUCKET_MS, DEFAULT_RATE_WINDOW_MS } from '@qm/gateway';
import { DEFAULT_HPA_SYNC_PERIOD_MS } from './hpa-loop.js';
import { startPlatform } from './platform.js';

const USAGE = `usage: node packages/server/dist/main.js [flags]
  --data-dir DIR       where qm.db lives (default $QM_HOME/data)
  --port N             port to listen on (default 7070; 0 = any free port)
  --gateway-port N     serving gateway port (default 0 = any free port; the URL is logged)
  --hpa-sync-period D  how often HorizontalPodAutoscalers are evaluated: 15s, 1m, … (default 15s, as Kubernetes)
  --gateway-rate-window D
                       the window behind the gateway's requests/s (what the HPA reads): 10s, 1m, …
                       (default 30s; at least 1s); shorter reacts faster to a load step, longer is smoother
  --host H             address to listen on (default 127.0.0.1)
  --virtual-gpus N     add N virtual GPUs to the host node (default 0)
  --qm-home DIR        CLI config directory (default $QM_HOME or ~/.qm)
  --log-level LEVEL    fatal, error, warn, info, debug or trace (default info)`;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

interface Flags {
  dataDir: string;
  qmHome: string;
  port: number;
  gatewayPort: number;
  hpaSyncPeriodMs: number;
  gatewayRateWindowMs: number;
  host: string;
  virtualGpus: number;
  logLevel: string;
}

/** Parses argv into flags, or throws an Error whose message says which flag is wrong. */
function parseFlags(argv: string[], env: NodeJS.ProcessEnv): Flags | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      'data-dir': { type: 'string' },
      port: { type: 'string' },
      'gateway-port': { type: 'string' },
      'hpa-sync-period': { type: 'string' },
      'gateway-rate-window': { type: 'string' },
      host: { type: 'string' },
      'virtual-gpus': { type: 'string' },
      'qm-home': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  const qmHome = resolve(values['qm-home'] ?? env.QM_HOME ?? join(homedir(), '.qm'));
  const logLevel = values['log-level'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) throw new Error(`--log-level must be one of ${LOG_LEVELS.join(', ')}; got "${logLevel}"`);
  return {
    qmHome,
    dataDir: resolve(values['data-dir'] ?? join(qmHome, 'data')),
    port: intFlag('port', values.port, 7070, 65535),
    gatewayPort: intFlag('gateway-port', values['gateway-port'], 0, 65535),
    hpaSyncPeriodMs: durationFlag('hpa-sync-period', values['hpa-sync-period'], DEFAULT_HPA_SYNC_PERIOD_MS),
    gatewayRateWindowMs: rateWindowFlag(values['gateway-rate-window']),
    host: values.host ?? '127.0.0.1',
    virtualGpus: intFlag('virtual-gpus', values['virtual-gpus'], 0, 1024),
    logLevel,
  };
}

function durationFlag(name: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined) return fallbackMs;
  let seconds: number;
  try {
    seconds = parseDurationSeconds(/^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw);
  } catch {
    seconds = NaN;
  }
  if (!(seconds > 0)) throw new Error(`--${name} must be a positive duration such as 15s, 1m or 2.5 (seconds); got "${raw}"`);
  return seconds * 1000;
}

/** `--gateway-rate-window`: a duration of at least the step the window slides by (1 s). */
function rateWindowFlag(raw: string | undefined): number {
  const ms = durationFlag('gateway-rate-window', raw, DEFAULT_RATE_WINDOW_MS);
  if (ms < DEFAULT_RATE_BUCKET_MS) {
    throw new Error(`--gateway-rate-window must be at least ${DEFAULT_RATE_BUCKET_MS / 1000}s (the window slides in ${DEFAULT_RATE_BUCKET_MS / 1000} s steps); got "${raw}"`);
  }
  return ms;
}

/** A positive number of seconds from the environment, in ms (undefined when unset or bad). */
function envSeconds(name: string): number | undefined {
  const seconds = Number(process.env[name]);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

function intFlag(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) > max) throw new Error(`--${name} must be an integer from 0 to ${max}; got "${raw}"`);
  return Number(raw);
}

async function main(): Promise<void> {
  let flags: Flags | 'help';
  try {
    flags = parseFlags(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`qm server: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (flags === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // Logs go to stderr so stdout carries exactly the ready line.
  const logger = pino({ level: flags.logLevel, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: true }));
  // Signal handlers go in before anything else: a supervisor may send SIGTERM the moment it
  // reads the ready line (or while we start), and Node's default would kill us without cleanup.
  // Set once started; a holder object because the signal handler reads it before it exists.
  const running: { platform?: Awaited<ReturnType<typeof startPlatform>> } = {};
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) {
      logger.warn({ signal }, 'second signal; exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // A stuck close must not keep the process alive forever.
    setTimeout(() => {
      logger.error('shutdown took longer than 15s; exiting');
      process.exit(1);
    }, 15_000).unref();
    // Still starting: the start below sees `stopping` and closes what it opened.
    if (!running.platform) return;
    running.platform.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));

  // Tuning knobs are read here, at the process edge, so the platform itself reads no ambient environment.
  const costIntervalMs = envSeconds('QM_COST_INTERVAL_SECONDS');
  const gpuSampleIntervalMs = envSeconds('QM_GPU_SAMPLE_INTERVAL_SECONDS');
  let started;
  try {
    started = await startPlatform({
      dataDir: flags.dataDir, qmHome: flags.qmHome, port: flags.port, host: flags.host, gatewayPort: flags.gatewayPort, hpaSyncPeriodMs: flags.hpaSyncPeriodMs,
      gatewayRateWindowMs: flags.gatewayRateWindowMs,
      ...(costIntervalMs ? { cost: { intervalMs: costIntervalMs } } : {}),
      ...(gpuSampleIntervalMs ? { gpuSampleIntervalMs } : {}),
      virtualGpus: flags.virtualGpus, logger: logger as unknown as FastifyBaseLogger,
      ...(process.env.QM_GIT_COMMIT ? { gitCommit: process.env.QM_GIT_COMMIT } : {}),
    });
  } catch (err) {
    logger.fatal({ err }, 'could not start');
    process.stderr.write(`qm server: could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  running.platform = started;
  if (stopping) {
    await started.close().catch((err: unknown) => logger.error({ err }, 'error during shutdown'));
    process.exit(0);
  }
  process.stdout.write(`Quartermaster listening on ${started.url} (data: ${started.dataDir}, config: ${started.configPath})\n`);
}

void main();
