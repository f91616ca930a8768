import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { DEFAULT_NAMESPACE, isQmError } from '@qm/api';
import type { ApiObject } from '@qm/api';
import type { Clock, Store, TokenStore } from '@qm/core';
import { openSqliteStore } from '@qm/store';
import { ensureAdminConfig } from './admin-config.js';
import type { AdmissionPlugin } from './admission.js';
import type { Authorizer } from './auth.js';
import { mastersOnlyAuthorizer } from './auth.js';
import { EventRecorder } from './event-recorder.js';
import type { HostFacts } from './host-node.js';
import { registerHostNode } from './host-node.js';
import type { PlatformLoop } from './platform-loop.js';
import { ApiMetrics } from './metrics.js';
import { startSchedulerLoop, type SchedulerLoop, type SchedulerLoopOptions } from './scheduler-loop.js';
import { createServer } from './server.js';
import type { LogSource } from './log-source.js';
import { createReplicaLogSource } from './replica-log-source.js';
import { startTrainingRuntime } from '@qm/executor-local';
import { budgetAdmission } from './budget-admission.js';
import { startBudgetLoop } from './budget-loop.js';
import { gatewayRequestCounter, startCostLoop } from './cost-loop.js';
import { registerCostReportRoute } from './cost-report-route.js';
import { startHpaLoop } from './hpa-loop.js';
import { startServingRuntime, type ServingRuntime } from './serving-runtime.js';
import { startIdleGpuLoop } from './idle-gpu-loop.js';

export interface PlatformOptions {
  /** Where `qm.db` lives (created 0700 if missing). */
  dataDir: string;
  /** Where the CLI config goes: `<qmHome>/config.json`. */
  qmHome: string;
  /** Default 7070; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  virtualGpus?: number;
  logger?: FastifyBaseLogger;
  /** Default: the wall clock. */
  clock?: Clock;
  /** Default: detected (nvidia-smi); tests pass fixed facts. */
  hostFacts?: HostFacts;
  authorizer?: Authorizer;
  admission?: AdmissionPlugin[];
  gitCommit?: string;
  /** Scheduler loop tuning (tests shorten the resync). */
  scheduler?: Pick<SchedulerLoopOptions, 'resyncIntervalMs' | 'config'>;
  /** Cost metering and budget periods (default 15 s each; env QM_COST_INTERVAL_SECONDS sets both). */
  cost?: { intervalMs?: number; budgetIntervalMs?: number };
  /** How often nvidia-smi is sampled for idle-GPU detection (default 30 s). */
  gpuSampleIntervalMs?: number;
  /** The serving gateway's port (`--gateway-port`; default 0 = a free port, printed in the logs). */
  gatewayPort?: number;
  /** How often HorizontalPodAutoscalers are evaluated (`--hpa-sync-period`; default 15 s, as Kubernetes). */
  hpaSyncPeriodMs?: number;
  /** The window behind the gateway's requests/s (`--gateway-rate-window`; default 30 s). */
  gatewayRateWindowMs?: number;
}

export interface Platform {
  /** `http://HOST:PORT` as listened on. */
  url: string;
  /** The URL the CLI config points at (loopback when listening on all interfaces). */
  clientUrl: string;
  dataDir: string;
  configPath: string;
  /** Whether this start minted a new admin token. */
  adminTokenMinted: boolean;
  adminToken: string;
  node: ApiObject;
  app: FastifyInstance;
  store: Store & TokenStore;
  recorder: EventRecorder;
  /** The live scheduler: `kick()` asks for a pass, `settled()` waits for one. */
  scheduler: SchedulerLoop;
  /** ModelDeployment replicas and the gateway (`serving.gatewayUrl`, `serving.gateway.stats()`, `serving.replicaUsage()`). */
  serving: ServingRuntime;
  /** Stops loops, the HTTP server (ending watches) and then the store. Safe to call twice. */
  close(): Promise<void>;
}

export type { PlatformLoop } from './platform-loop.js';

const systemClock: Clock = { now: () => Date.now() };

/**
 * The composition root: opens the SQLite store, builds the HTTP server, makes sure namespace
 * `default` and this host's Node exist, listens, and writes the CLI config with an admin token.
 *
 * Example:
 * ```ts
 * const platform = await startPlatform({ dataDir: '/tmp/qm/data', qmHome: '/tmp/qm', port: 0 });
 * console.log(platform.url);
 * await platform.close();
 * ```
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const dataDir = resolve(options.dataDir);
  const configPath = join(resolve(options.qmHome), 'config.json');
  await mkdir(dataDir, { recursive: true, mode: 0o700 });

  const store: Store & TokenStore = await openSqliteStore(join(dataDir, 'qm.db'), clock);
  const recorder = new EventRecorder(store, clock, { logger });
  const loops: PlatformLoop[] = [];
  let ready = false;
  const metrics = new ApiMetrics();
  // Worker logs come from the training runtime, which starts below (after the host Node exists).
  let trainingLogs: LogSource | undefined;
  let replicaLogs: LogSource | undefined;
  const app = createServer({
    store, clock, logger, metrics,
    logSource: {
      open: (request) => {
        const source = request.kind === 'ModelDeployment' ? replicaLogs : trainingLogs;
        return source ? source.open(request) : Promise.resolve(undefined);
      },
    },
    authorizer: options.authorizer ?? mastersOnlyAuthorizer,
    admission: [...(options.admission ?? []), budgetAdmission({ store, clock })],
    isReady: () => ready,
    gitCommit: options.gitCommit,
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      ready = false;
      for (const loop of loops.reverse()) {
        await loop.stop().catch((err: unknown) => logger?.error({ err, loop: loop.name }, 'loop did not stop cleanly'));
      }
      await app.close();
      await recorder.flush();
      await store.close();
    })();
    return closing;
  };

  try {
    await ensureNamespace(store, DEFAULT_NAMESPACE);
    const node = await registerHostNode(store, {
      clock, virtualGpus: options.virtualGpus ?? 0, recorder, logger,
      ...(options.hostFacts ? { facts: options.hostFacts } : {}),
    });

    // ── Controllers and the scheduler start here. Each pushes a PlatformLoop onto `loops`
    //    so close() stops it before the store goes away.
    const scheduler = await startSchedulerLoop({ store, clock, recorder, registry: metrics.registry, ...(logger ? { logger } : {}), ...(options.scheduler ?? {}) });
    loops.push(scheduler);
    const training = await startTrainingRuntime({ store, clock, recorder, dataDir, ...(logger ? { logger } : {}) });
    loops.push(training);
    trainingLogs = training.logSource;
    const serving = await startServingRuntime({
      store, clock, recorder, dataDir, registry: metrics.registry, gatewayPort: options.gatewayPort ?? 0, gatewayHost: options.host ?? '127.0.0.1',
      ...(options.gatewayRateWindowMs ? { gatewayRateWindowMs: options.gatewayRateWindowMs } : {}),
      ...(logger ? { logger } : {}),
    });
    loops.push(serving);
    replicaLogs = createReplicaLogSource({ dataDir, replicas: (ns, name) => serving.replicaUsage(ns, name) });
    // The HPA reads replicas and their cpu from the serving runtime and request rates from its gateway.
    loops.push(await startHpaLoop({
      store, clock, recorder, source: serving,
      ...(options.hpaSyncPeriodMs ? { syncPeriodMs: options.hpaSyncPeriodMs } : {}), ...(logger ? { logger } : {}),
    }));
    const costIntervalMs = options.cost?.intervalMs;
    loops.push(await startCostLoop({
      store, clock, registry: metrics.registry, requestCounts: gatewayRequestCounter((key) => serving.gateway.stats(key)),
      ...(logger ? { logger } : {}), ...(costIntervalMs ? { intervalMs: costIntervalMs } : {}),
    }));
    const budgetIntervalMs = options.cost?.budgetIntervalMs ?? costIntervalMs;
    loops.push(await startBudgetLoop({ store, clock, recorder, ...(logger ? { logger } : {}), ...(budgetIntervalMs ? { intervalMs: budgetIntervalMs } : {}) }));
    registerCostReportRoute(app, { store, clock });
    // Idle GPUs: nvidia-smi every 30 s by default, per-namespace policy (docs/cost.md).
    const idleIntervalMs = options.gpuSampleIntervalMs;
    loops.push(await startIdleGpuLoop({ store, clock, recorder, nodeName: node.metadata.name, ...(logger ? { logger } : {}), ...(idleIntervalMs ? { intervalMs: idleIntervalMs } : {}) }));

    const host = options.host ?? '127.0.0.1';
    await app.listen({ port: options.port ?? 7070, host });
    const address = app.server.address();
    const port = typeof address === 'object' && address ? address.port : options.port ?? 7070;
    const url = `http://${urlHost(host)}:${port}`;
    const clientUrl = `http://${urlHost(clientHost(host))}:${port}`;
    const admin = await ensureAdminConfig({ tokens: store, configPath, serverUrl: clientUrl, nowMs: clock.now(), logger });
    ready = true;
    logger?.info({ url, gatewayUrl: serving.gatewayUrl, dataDir, node: node.metadata.name }, 'platform ready');
    return {
      url, clientUrl, dataDir, configPath, node, app, store, recorder, scheduler, serving, close,
      adminTokenMinted: admin.minted, adminToken: admin.token,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** Creates a Namespace unless it exists (another writer creating it at the same time is fine). */
export async function ensureNamespace(store: Store, name: string): Promise<void> {
  if (await store.get('Namespace', undefined, name)) return;
  try {
    await store.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch (err) {
    if (!isQmError(err, 'AlreadyExists')) throw err;
  }
}

// Listening on every interface still means the CLI on this machine should use loopback.
function clientHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '::1';
  return host;
}

function urlHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
