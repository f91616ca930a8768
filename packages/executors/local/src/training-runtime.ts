/**
 * The live training loop: watches TrainingJobs and Nodes, runs the pure training controller
 * (core) for each job, and carries out its decisions with the LocalExecutor — plus what only
 * the host can see: the checkpoint catalog (status.lastCheckpoint, CheckpointCommitted events,
 * keep-N pruning), progress reports, and spot-interruption notices on nodes.
 *
 * Example (the server's composition root does this):
 * ```ts
 * const training = await startTrainingRuntime({ store, recorder, clock, dataDir, logger });
 * createServer({ …, logSource: training.logSource });
 * // on shutdown (workers keep running; the next start finds them again):
 * await training.stop();
 * ```
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ApiObject, WatchEvent } from '@qm/api';
import { isQmError } from '@qm/api';
import type {
  AttemptSpec, Clock, JobKey, Recorder, Store, TrainingAction, TrainingControllerConfig, WatchHandle,
} from '@qm/core';
import { attemptEnded, newestCheckpoint, reconcileTrainingJob } from '@qm/core';
import { files } from './attempt-files.js';
import { pruneCheckpoints, scanCheckpoints, type CommittedCheckpoint } from './checkpoint-catalog.js';
import { LocalExecutor, type ExecutorLogger } from './local-executor.js';
import { LocalLogSource } from './log-source.js';
import { jobEnv } from './worker-env.js';

export interface TrainingRuntimeOptions {
  store: Store;
  recorder: Recorder;
  clock: Clock;
  /** Attempts, logs and default checkpoints live under here. */
  dataDir: string;
  logger?: ExecutorLogger & { error?(obj: object, msg: string): void };
  /** Nodes whose workers run on this host; absent = every node (the embedded single-host platform). */
  nodeNames?: string[];
  /** Every job is reconciled at least this often (level-triggered safety net). Default 1000 ms. */
  resyncIntervalMs?: number;
  /** How often reattached workers and follow-logs are polled. Default 250 ms. */
  pollIntervalMs?: number;
  config?: Partial<TrainingControllerConfig>;
}

export interface TrainingRuntime {
  name: string;
  logSource: LocalLogSource;
  executor: LocalExecutor;
  /** Stops watching and deciding; running workers are left alone (found again on the next start). */
  stop(): Promise<void>;
}

const DEFAULT_KEEP = 3;
const DEFAULT_GRACE_MS = 30_000;

export async function startTrainingRuntime(opts: TrainingRuntimeOptions): Promise<TrainingRuntime> {
  const { store, recorder, clock, logger } = opts;
  const dataDir = resolve(opts.dataDir);
  const executor = await LocalExecutor.open({ dataDir, clock, logger, pollIntervalMs: opts.pollIntervalMs });
  const logSource = new LocalLogSource(dataDir, { pollIntervalMs: opts.pollIntervalMs });
  const managedNodes = opts.nodeNames ? new Set(opts.nodeNames) : undefined;

  const jobs = new Map<string, ApiObject>();
  const interruptedNodes = new Map<string, number>();
  /** Grace periods of deleted jobs whose workers may still run. */
  const goneGraceMs = new Map<string, number>();
  const timers = new Map<string, NodeJS.Timeout>();
  const dirty = new Set<string>();
  let draining: Promise<void> | undefined;
  let stopped = false;

  const nameKey = (ns: string | undefined, name: string) => `${ns ?? 'default'}/${name}`;
  const jobKeyOf = (job: ApiObject): JobKey => ({ namespace: job.metadata.namespace ?? 'default', name: job.metadata.name, uid: job.metadata.uid ?? '' });

  function kick(key: string): void {
    if (stopped) return;
    dirty.add(key);
    if (draining) return;
    draining = (async () => {
      while (dirty.size > 0 && !stopped) {
        const [next] = dirty;
        dirty.delete(next);
        await reconcile(next).catch((err: unknown) => logger?.warn({ err, job: next }, 'training reconcile failed; will retry'));
      }
    })().finally(() => {
      draining = undefined;
      if (dirty.size > 0) kick([...dirty][0]);
    });
  }

  function requeue(key: string, afterMs: number): void {
    const existing = timers.get(key);
    if (existing) clearTimeout(existing);
    const timer = setTimeout(() => {
      timers.delete(key);
      kick(key);
    }, Math.max(0, afterMs));
    timer.unref();
    timers.set(key, timer);
  }

  function remember(obj: ApiObject): void {
    const key = nameKey(obj.metadata.namespace, obj.metadata.name);
    const cached = jobs.get(key);
    // Watch events may trail our own writes; keep the newer copy.
    if (cached && cached.metadata.uid === obj.metadata.uid && Number(cached.metadata.resourceVersion) > Number(obj.metadata.resourceVersion)) return;
    jobs.set(key, obj);
  }

  function onJobEvent(event: WatchEvent): void {
    const obj = event.object;
    const key = nameKey(obj.metadata.namespace, obj.metadata.name);
    if (event.type === 'DELETED') {
      const cached = jobs.get(key);
      if (!cached || cached.metadata.uid === obj.metadata.uid) jobs.delete(key);
      goneGraceMs.set(key, graceMsOf(obj));
    } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      remember(obj);
    }
    kick(key);
  }

  function onNodeEvent(event: WatchEvent): void {
    const node = event.object;
    const before = interruptedNodes.get(node.metadata.name);
    const after = event.type === 'DELETED' ? undefined : interruptionOf(node, clock.now());
    if (after === undefined) interruptedNodes.delete(node.metadata.name);
    else interruptedNodes.set(node.metadata.name, after);
    if (before !== after) for (const key of jobs.keys()) kick(key);
  }

  async function reconcile(key: string): Promise<void> {
    const job = jobs.get(key);
    await cleanUpOrphans(key, job);
    if (!job) return;
    const jobKey = jobKeyOf(job);
    const observed = executor.observe(jobKey);
    if (!observed && !managesJob(job)) return;
    const spec = (job.spec ?? {}) as Record<string, any>;
    const phase = job.status?.phase;
    const checkpointDir = checkpointDirOf(job, dataDir);
    const active = observed !== undefined || phase === 'Admitted' || phase === 'Running';
    const catalog = active ? await scanCheckpoints(checkpointDir) : [];
    const latest = newestCheckpoint(catalog);
    const nowMs = clock.now();
    const decision = reconcileTrainingJob({
      job, observed, nowMs, interruptedNodes, busyGpus: executor.busyGpus(), config: opts.config,
      ...(latest ? { latestCheckpoint: { path: latest.path, step: latest.step, timeMs: latest.timeMs } } : {}),
    });

    for (const action of decision.actions) {
      if (action.type === 'start') {
        await mkdir(checkpointDir, { recursive: true });
        try {
          await executor.start(attemptSpec(job, action, checkpointDir));
        } catch (err) {
          // Nothing started (e.g. a GPU is still held): keep the status as it is and try again.
          logger?.warn({ err, job: key }, 'could not start the attempt; retrying');
          recorder.record(refOf(job), 'Warning', 'StartFailed', (err as Error).message);
          return requeue(key, 1000);
        }
      } else if (action.type === 'stop') {
        await executor.stop(jobKey, action.request);
      }
    }

    const status = structuredClone(decision.status ?? job.status ?? {}) as Record<string, any>;
    const events = [...decision.events];
    noteCheckpoints(status, catalog, events);
    const attemptDir = executor.attemptDirOf(jobKey);
    if (attemptDir) await noteProgress(status, attemptDir);

    if (JSON.stringify(status) !== JSON.stringify(job.status ?? {})) {
      try {
        remember(await store.update({ ...job, status }, { subresource: 'status' }));
      } catch (err) {
        if (isQmError(err, 'Conflict')) {
          const fresh = await store.get('TrainingJob', jobKey.namespace, jobKey.name);
          if (fresh) remember(fresh);
          else jobs.delete(key);
          return kick(key);
        }
        if (isQmError(err, 'NotFound')) {
          jobs.delete(key);
          return kick(key);
        }
        throw err;
      }
    }
    for (const e of events) recorder.record(refOf(job), e.type, e.reason, e.message);

    for (const action of decision.actions) await afterWrite(action, job, jobKey);
    if (observed && !attemptEnded(observed) && catalog.length > 0) {
      const deleted = await pruneCheckpoints(catalog, spec.checkpointKeep ?? DEFAULT_KEEP, observed.resumeFrom?.step);
      if (deleted.length > 0) logger?.info?.({ job: key, steps: deleted.map((c) => c.step) }, 'pruned old checkpoints');
    }
    const live = executor.observe(jobKey);
    const pollMs = live && !attemptEnded(live) ? (opts.pollIntervalMs ?? 250) * 2 : Infinity;
    const next = Math.min(decision.requeueAfterMs ?? Infinity, pollMs);
    if (Number.isFinite(next)) requeue(key, next);
  }

  async function afterWrite(action: TrainingAction, job: ApiObject, jobKey: JobKey): Promise<void> {
    if (action.type === 'release') await executor.release(jobKey, action.attempt);
    if (action.type === 'delete') {
      await store.delete('TrainingJob', jobKey.namespace, jobKey.name, { preconditions: { uid: jobKey.uid } }).catch((err: unknown) => {
        if (!isQmError(err, 'NotFound') && !isQmError(err, 'Conflict')) throw err;
      });
      recorder.record(refOf(job), 'Normal', 'Deleted', `ttlSecondsAfterFinished (${job.spec?.ttlSecondsAfterFinished}) passed`);
    }
  }

  /** Workers of a job that is gone (or was recreated under a new uid): stop them, then forget them. */
  async function cleanUpOrphans(key: string, job: ApiObject | undefined): Promise<void> {
    for (const attempt of executor.list()) {
      if (nameKey(attempt.job.namespace, attempt.job.name) !== key) continue;
      if (job && job.metadata.uid === attempt.job.uid) continue;
      if (!attemptEnded(attempt)) {
        await executor.stop(attempt.job, {
          stopClass: 'Cancelled', gracePeriodMs: goneGraceMs.get(key) ?? DEFAULT_GRACE_MS, message: 'the job was deleted',
        });
        requeue(key, 500);
      } else {
        await executor.release(attempt.job, attempt.attempt);
      }
    }
  }

  function managesJob(job: ApiObject): boolean {
    if (!managedNodes) return true;
    const workers = (job.status?.workers ?? []) as Array<{ node?: string }>;
    return workers.length > 0 && workers.every((w) => w.node !== undefined && managedNodes.has(w.node));
  }

  function noteCheckpoints(status: Record<string, any>, catalog: readonly CommittedCheckpoint[], events: Array<{ type: 'Normal' | 'Warning'; reason: string; message: string }>): void {
    const seenStep: number = typeof status.lastCheckpoint?.step === 'number' ? status.lastCheckpoint.step : -1;
    const fresh = catalog.filter((c) => c.step > seenStep);
    for (const c of fresh) {
      events.push({ type: 'Normal', reason: 'CheckpointCommitted', message: `step ${c.step} committed at ${c.path} (${c.sizeBytes} bytes)` });
    }
    const newest = newestCheckpoint(fresh);
    if (newest) status.lastCheckpoint = { path: newest.path, step: newest.step, time: new Date(newest.timeMs).toISOString(), sizeBytes: newest.sizeBytes };
  }

  async function noteProgress(status: Record<string, any>, attemptDir: string): Promise<void> {
    let progress: unknown;
    try {
      progress = JSON.parse(await readFile(files.progress(attemptDir), 'utf8'));
    } catch {
      return; // no report (or half-written): keep the last one
    }
    if (progress && typeof progress === 'object') status.progress = progress;
  }

  // ── start ──────────────────────────────────────────────────────────────
  const handles: WatchHandle[] = [];
  const nodes = await store.list('Node');
  for (const node of nodes.items) {
    const at = interruptionOf(node, clock.now());
    if (at !== undefined) interruptedNodes.set(node.metadata.name, at);
  }
  handles.push(await store.watch({ kind: 'Node', resourceVersion: nodes.resourceVersion }, onNodeEvent));
  const listed = await store.list('TrainingJob');
  for (const job of listed.items) remember(job);
  handles.push(await store.watch({ kind: 'TrainingJob', resourceVersion: listed.resourceVersion }, onJobEvent));
  const unsubscribe = executor.onChange((job) => {
    // A worker change can unblock another job waiting on its GPUs: look at everything.
    kick(nameKey(job.namespace, job.name));
    for (const key of jobs.keys()) if (jobs.get(key)?.status?.phase === 'Admitted') kick(key);
  });
  const resync = setInterval(() => {
    for (const key of jobs.keys()) kick(key);
    for (const a of executor.list()) kick(nameKey(a.job.namespace, a.job.name));
  }, opts.resyncIntervalMs ?? 1000);
  resync.unref();
  for (const key of jobs.keys()) kick(key);
  for (const a of executor.list()) kick(nameKey(a.job.namespace, a.job.name));

  return {
    name: 'training',
    logSource,
    executor,
    async stop() {
      stopped = true;
      clearInterval(resync);
      unsubscribe();
      for (const t of timers.values()) clearTimeout(t);
      for (const h of handles) h.close();
      await draining;
      await executor.close();
    },
  };
}

/**
 * spec.checkpointPath (relative to workingDir), or `<dataDir>/checkpoints/<namespace>/<name>/<uid>`.
 * The default is per run (the uid): a job deleted and submitted again under the same name starts
 * fresh instead of silently resuming someone's old run. Naming a checkpointPath is how a user asks
 * to continue from whatever is there.
 */
export function checkpointDirOf(job: ApiObject, dataDir: string): string {
  const spec = (job.spec ?? {}) as Record<string, any>;
  if (typeof spec.checkpointPath === 'string' && spec.checkpointPath) return resolve(spec.workingDir ?? '.', spec.checkpointPath);
  return join(dataDir, 'checkpoints', job.metadata.namespace ?? 'default', job.metadata.name, job.metadata.uid ?? 'no-uid');
}

function attemptSpec(job: ApiObject, action: Extract<TrainingAction, { type: 'start' }>, checkpointDir: string): AttemptSpec {
  const spec = (job.spec ?? {}) as Record<string, any>;
  return {
    job: { namespace: job.metadata.namespace ?? 'default', name: job.metadata.name, uid: job.metadata.uid ?? '' },
    attempt: action.attempt,
    command: spec.command ?? [],
    args: (spec.args ?? []).map(String),
    ...(spec.workingDir ? { workingDir: spec.workingDir } : {}),
    env: jobEnv(job, { attempt: action.attempt, checkpointDir, ...(action.resumeFrom ? { resumeFrom: action.resumeFrom.path } : {}) }),
    workers: action.workers,
    checkpointDir,
    ...(action.resumeFrom ? { resumeFrom: action.resumeFrom } : {}),
  };
}

/** When a node under a SpotInterruption=True condition goes away (its terminationTime, else now). */
export function interruptionOf(node: ApiObject, nowMs: number): number | undefined {
  const conditions = (node.status?.conditions ?? []) as Array<{ type: string; status: string; terminationTime?: string }>;
  const c = conditions.find((x) => x.type === 'SpotInterruption' && x.status === 'True');
  if (!c) return undefined;
  const at = c.terminationTime ? Date.parse(c.terminationTime) : NaN;
  return Number.isFinite(at) ? at : nowMs;
}

function graceMsOf(job: ApiObject): number {
  const s = job.spec?.terminationGracePeriodSeconds;
  return typeof s === 'number' && s >= 0 ? s * 1000 : DEFAULT_GRACE_MS;
}

function refOf(job: ApiObject) {
  return { kind: 'TrainingJob', namespace: job.metadata.namespace ?? 'default', name: job.metadata.name, uid: job.metadata.uid, apiVersion: job.apiVersion };
}
