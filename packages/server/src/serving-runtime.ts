/**
 * The live serving runtime: ONE gateway for the platform plus the ModelDeployment loop. For
 * each deployment it runs @qm/core's reconcileModelDeployment over the replicas it knows,
 * writes the status (replica counts, rollout conditions, surge slots, `status.endpoint`),
 * then acts: replicas whose slot the scheduler placed start as local processes (each on its own
 * PORT), removed ones leave the gateway, drain and stop, preempted ones stop and wait for a new
 * placement. Gateway routes follow readiness.
 *
 * Example (the composition root does this):
 * ```ts
 * const serving = await startServingRuntime({ store, clock, recorder, dataDir, gatewayPort: 0, registry });
 * loops.push(serving);
 * serving.gateway.stats('team-a/chat');          // per-replica requests/s, in-flight, latency
 * serving.replicaUsage('team-a', 'chat');        // [{ id, cpuMillis, ready, startTimeMs, readyTransitionMs }]
 * ```
 */
import { DEFAULT_NAMESPACE, isQmError, type ApiObject, type WatchEvent } from '@qm/api';
import { reconcileModelDeployment, type Clock, type ObservedServingReplica, type Recorder, type ServingReplicaPhase, type SlotPlacement, type Store, type WatchHandle } from '@qm/core';
import { LocalServingExecutor, servingReplicaKey, type ServingReplicaSpec, type ServingReplicaState } from '@qm/executor-local';
import { createGateway, DEFAULT_RATE_WINDOW_MS, GATEWAY_POD_METRICS, type Gateway, type GatewayLogger } from '@qm/gateway';
import type { Registry } from 'prom-client';
import type { PlatformLoop } from './platform-loop.js';

/** One running replica of a ModelDeployment as the HPA reads it (matches hpa-loop's HpaReplicaInfo). */
export interface ServingReplicaUsage {
  /** The replica (pod) name; also the gateway's replica id, so gateway stats join on it. */
  id: string;
  /** Real cpu use of the replica's process group over the last sample window, in millicores; undefined until measured. */
  cpuMillis?: number;
  ready: boolean;
  /** When the replica's current process started (epoch ms). */
  startTimeMs?: number;
  /** When readiness last flipped (epoch ms). */
  readyTransitionMs?: number;
}

export interface ServingRuntime extends PlatformLoop {
  /** The platform's one gateway (already listening). */
  readonly gateway: Gateway;
  /** The gateway's base URL, e.g. `http://127.0.0.1:41234`. */
  readonly gatewayUrl: string;
  /** Replicas of `namespace/name` that have a process now (Pending and stopping ones excluded), with their real cpu use. */
  replicaUsage(namespace: string, name: string): ServingReplicaUsage[];
  /** hpa-loop's HpaMetricsSource, so `startHpaLoop({ source: serving })` works: the same list as replicaUsage. */
  replicas(namespace: string, name: string): ServingReplicaUsage[];
  /** A gateway per-replica metric (`http_requests_per_second`, `in_flight_requests`) by replica id; undefined when unknown. */
  podMetric(namespace: string, name: string, metric: string): Map<string, number> | undefined;
  /** A gateway deployment-wide metric of the same names; undefined when unknown. */
  deploymentMetric(namespace: string, name: string, metric: string): number | undefined;
  /** The window the gateway's requests/s average over. */
  readonly metricWindowMs: number;
  /** Reconciles every deployment now and resolves when done (tests). */
  tick(): Promise<void>;
}

export interface ServingRuntimeOptions {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  /** Replica logs and pid files go under `<dataDir>/serving`. */
  dataDir: string;
  logger?: GatewayLogger & { info?(obj: object, msg: string): void; warn(obj: object, msg: string): void; error?(obj: object, msg: string): void };
  /** Where the gateway's qm_gateway_* series go. */
  registry?: Registry;
  /** `--gateway-port`: default 0 (a free port). */
  gatewayPort?: number;
  /** Default 127.0.0.1. */
  gatewayHost?: string;
  /** `--gateway-rate-window`: the window behind requests/s, which the HPA reads. Default 30 000 ms. */
  gatewayRateWindowMs?: number;
  /** Every deployment is reconciled at least this often. Default 1000 ms. */
  resyncIntervalMs?: number;
  /** Restart back-off of crashed replicas (first delay; doubles up to 30 s). Default 1000 ms. */
  restartBackoffMs?: number;
}

interface ReplicaRecord {
  name: string;
  index: number;
  revision: string;
  /** The deployment spec it was created from (a rollout's old replicas keep their own). */
  template: Record<string, any>;
  createdMs: number;
  /** Set once the controller removed it: draining, then stopping. */
  removing?: boolean;
  /** Its process is being stopped because its slot lost its placement (preemption). */
  unplacing?: boolean;
  startError?: string;
}

interface DeploymentState {
  uid: string;
  namespace: string;
  name: string;
  replicas: Map<string, ReplicaRecord>;
  nextSeq: number;
}

const DRAIN_POLL_MS = 50;
const MAX_DRAIN_MS = 10_000;

function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${stable(o[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function envOf(spec: Record<string, any>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of (spec.env ?? []) as Array<{ name: string; value?: string }>) if (e?.name && e.value !== undefined) env[e.name] = String(e.value);
  return env;
}

export async function startServingRuntime(opts: ServingRuntimeOptions): Promise<ServingRuntime> {
  const { store, clock, recorder, logger } = opts;
  const gateway = createGateway({
    clock, ...(opts.gatewayRateWindowMs ? { rateWindowMs: opts.gatewayRateWindowMs } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}), ...(logger ? { logger } : {}),
  });
  const gatewayUrl = await gateway.listen({ port: opts.gatewayPort ?? 0, host: opts.gatewayHost ?? '127.0.0.1' });
  logger?.info?.({ gatewayUrl, rateWindowMs: opts.gatewayRateWindowMs ?? DEFAULT_RATE_WINDOW_MS }, 'serving gateway listening');
  const executor = await LocalServingExecutor.open({ dataDir: opts.dataDir, clock, ...(logger ? { logger } : {}), backoffMs: opts.restartBackoffMs ?? 1000 });

  const objects = new Map<string, ApiObject>();
  const states = new Map<string, DeploymentState>();
  const dirty = new Set<string>();
  const waiters: Array<() => void> = [];
  let draining: Promise<void> | undefined;
  let stopped = false;

  const keyOf = (ns: string | undefined, name: string) => `${ns ?? DEFAULT_NAMESPACE}/${name}`;
  const podKey = (s: DeploymentState, r: ReplicaRecord) => servingReplicaKey(s.namespace, s.name, r.name);

  function kick(key: string): void {
    if (stopped) return;
    dirty.add(key);
    if (draining) return;
    draining = (async () => {
      await Promise.resolve(); // never reconcile inside the caller's stack (executor listeners call kick)
      while (dirty.size > 0 && !stopped) {
        const [next] = dirty;
        dirty.delete(next);
        await reconcile(next).catch((err: unknown) => logger?.warn({ err, deployment: next }, 'serving reconcile failed; will retry'));
      }
    })().finally(() => {
      draining = undefined;
      if (dirty.size > 0 && !stopped) kick([...dirty][0]);
      else for (const w of waiters.splice(0)) w();
    });
  }

  function remember(obj: ApiObject): void {
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    const cached = objects.get(key);
    // Watch events may trail our own writes; keep the newer copy.
    if (cached && cached.metadata.uid === obj.metadata.uid && Number(cached.metadata.resourceVersion) > Number(obj.metadata.resourceVersion)) return;
    objects.set(key, obj);
  }

  function observeReplica(s: DeploymentState, r: ReplicaRecord, md: ApiObject): ObservedServingReplica {
    const o = executor.observe(podKey(s, r));
    let phase: ServingReplicaPhase = 'Pending';
    if (r.removing) phase = 'Terminating';
    else if (o && !r.unplacing) phase = o.phase === 'Terminating' || o.phase === 'Exited' ? 'Pending' : o.phase;
    const pendingReason = typeof md.status?.pendingReason === 'string' ? `: ${md.status.pendingReason}` : '';
    const message = r.startError ?? (phase === 'Pending' ? `waiting for the scheduler to place slot ${r.index}${pendingReason}` : o?.message);
    return {
      name: r.name, index: r.index, revision: r.revision, phase, ready: phase !== 'Terminating' && !!o?.ready && !r.unplacing,
      createdMs: r.createdMs, restarts: o?.restarts ?? 0, ...(message ? { message } : {}),
    };
  }

  function refOf(md: ApiObject) {
    return { kind: 'ModelDeployment', namespace: md.metadata.namespace ?? DEFAULT_NAMESPACE, name: md.metadata.name, uid: md.metadata.uid, apiVersion: md.apiVersion };
  }

  /** Takes a replica out of traffic, waits for its requests in flight, then stops its process. */
  async function drainAndStop(key: string, s: DeploymentState, r: ReplicaRecord, forget: boolean): Promise<void> {
    syncRoutes(key, s);
    const deadline = Date.now() + Math.min(MAX_DRAIN_MS, graceMs(r.template));
    while (Date.now() < deadline && !stopped) {
      const inFlight = gateway.stats(key)?.replicas.find((x) => x.id === r.name)?.inFlightRequests ?? 0;
      if (inFlight === 0) break;
      await new Promise((res) => setTimeout(res, DRAIN_POLL_MS));
    }
    await executor.stop(podKey(s, r), graceMs(r.template));
    if (forget) s.replicas.delete(r.name);
    else r.unplacing = false;
    syncRoutes(key, s);
    kick(key);
  }

  function syncRoutes(key: string, s: DeploymentState): void {
    const routes = [];
    for (const r of s.replicas.values()) {
      const o = executor.observe(podKey(s, r));
      if (!o || o.phase === 'Exited') continue;
      // Stopping replicas stay listed (not ready) so their requests in flight are counted.
      routes.push({ id: r.name, url: o.url, ready: o.ready && !r.removing && !r.unplacing });
    }
    try {
      gateway.setRoutes(key, routes);
    } catch (err) {
      logger?.warn({ err, deployment: key }, 'could not set gateway routes');
    }
  }

  async function retire(key: string): Promise<void> {
    const s = states.get(key);
    if (!s) return;
    const live = [...s.replicas.values()];
    for (const r of live) if (!r.removing) r.removing = true;
    syncRoutes(key, s); // out of traffic before the SIGTERM
    await Promise.all(live.map((r) => executor.stop(podKey(s, r), graceMs(r.template))));
    if (states.get(key) === s) states.delete(key);
    if (!objects.has(key)) gateway.removeRoutes(key);
  }

  async function reconcile(key: string): Promise<void> {
    const md = objects.get(key);
    const existing = states.get(key);
    if (!md || md.metadata.deletionTimestamp || (existing && existing.uid !== (md.metadata.uid ?? ''))) {
      // Gone (or recreated under a new uid): stop the old replicas before anything new starts.
      if (existing) {
        await retire(key);
        if (md) kick(key);
      } else if (!md) gateway.removeRoutes(key);
      return;
    }
    const s: DeploymentState = existing ?? { uid: md.metadata.uid ?? '', namespace: md.metadata.namespace ?? DEFAULT_NAMESPACE, name: md.metadata.name, replicas: new Map(), nextSeq: 0 };
    states.set(key, s);
    const nowMs = clock.now();
    const observed = [...s.replicas.values()].map((r) => observeReplica(s, r, md));
    const decision = reconcileModelDeployment({ deployment: md, replicas: observed, nowMs, nextSeq: s.nextSeq, endpoint: gateway.endpoint(key) });

    let current = md;
    if (stable(decision.status) !== stable(md.status ?? {})) {
      try {
        current = await store.update({ ...md, status: decision.status }, { subresource: 'status' });
        remember(current);
      } catch (err) {
        if (isQmError(err, 'Conflict') || isQmError(err, 'NotFound')) {
          // Someone (the scheduler) wrote first: decide again on the fresh object; nothing was done yet.
          const fresh = await store.get('ModelDeployment', s.namespace, s.name);
          if (fresh) remember(fresh);
          else objects.delete(key);
          return kick(key);
        }
        throw err;
      }
    }
    for (const e of decision.events) recorder.record(refOf(md), e.type, e.reason, e.message);

    // Act on the decision now that it is recorded.
    s.nextSeq = decision.nextSeq;
    for (const c of decision.create) {
      s.replicas.set(c.name, { name: c.name, index: c.index, revision: c.revision, template: structuredClone(md.spec ?? {}), createdMs: nowMs });
    }
    for (const m of decision.moves) {
      const r = s.replicas.get(m.name);
      if (r) r.index = m.to;
    }
    for (const rm of decision.remove) {
      const r = s.replicas.get(rm.name);
      if (!r || r.removing) continue;
      r.removing = true;
      void drainAndStop(key, s, r, true).catch((err: unknown) => logger?.warn({ err, replica: r.name }, 'could not stop a replica'));
    }

    const seats = new Map(((current.status?.replicaPlacements ?? []) as SlotPlacement[]).map((p) => [p.index, p]));
    for (const r of s.replicas.values()) {
      if (r.removing || r.unplacing) continue;
      const seat = seats.get(r.index);
      const running = executor.observe(podKey(s, r));
      if (seat && !running) await startReplica(md, s, r, seat);
      else if (!seat && running) {
        // The slot lost its placement (preempted, or the scheduler has not caught up with a move).
        r.unplacing = true;
        recorder.record(refOf(md), 'Normal', 'ReplicaStopped', `stopping replica ${r.name}: slot ${r.index} has no placement (preempted)`);
        void drainAndStop(key, s, r, false).catch((err: unknown) => logger?.warn({ err, replica: r.name }, 'could not stop a replica'));
      }
    }
    syncRoutes(key, s);
  }

  async function startReplica(md: ApiObject, s: DeploymentState, r: ReplicaRecord, seat: SlotPlacement): Promise<void> {
    const t = r.template;
    const spec: ServingReplicaSpec = {
      deployment: { namespace: s.namespace, name: s.name, uid: s.uid }, name: r.name, revision: r.revision,
      command: t.command ?? [], args: (t.args ?? []).map(String), ...(t.workingDir ? { workingDir: t.workingDir } : {}),
      env: envOf(t), node: seat.node, gpus: seat.gpus ?? [],
      ...(typeof t.port === 'number' ? { containerPort: t.port } : {}),
      ...(t.readinessProbe ? { readinessProbe: t.readinessProbe } : {}),
      ...(t.livenessProbe ? { livenessProbe: t.livenessProbe } : {}),
      gracePeriodMs: graceMs(t),
    };
    if (spec.command.length === 0) {
      const why = t.image ? `the local runtime runs processes: spec.image ${t.image} needs spec.command` : 'spec.command is empty';
      if (r.startError !== why) recorder.record(refOf(md), 'Warning', 'StartFailed', `replica ${r.name}: ${why}`);
      r.startError = why;
      return;
    }
    try {
      await executor.start(spec);
      r.startError = undefined;
    } catch (err) {
      const why = `could not start: ${(err as Error).message}`;
      if (r.startError !== why) recorder.record(refOf(md), 'Warning', 'StartFailed', `replica ${r.name}: ${why}`);
      r.startError = why;
    }
  }

  function onEvent(event: WatchEvent): void {
    const obj = event.object;
    const key = keyOf(obj.metadata.namespace, obj.metadata.name);
    if (event.type === 'DELETED') {
      const cached = objects.get(key);
      if (!cached || cached.metadata.uid === obj.metadata.uid) objects.delete(key);
    } else if (event.type === 'ADDED' || event.type === 'MODIFIED') {
      remember(obj);
    }
    kick(key);
  }

  const listed = await store.list('ModelDeployment');
  for (const obj of listed.items) remember(obj);
  const handles: WatchHandle[] = [await store.watch({ kind: 'ModelDeployment', resourceVersion: listed.resourceVersion }, onEvent)];
  const unsubscribe = executor.onChange((podKeyChanged) => {
    const [ns, name] = podKeyChanged.split('/');
    kick(`${ns}/${name}`);
  });
  const resync = setInterval(() => {
    for (const key of new Set([...objects.keys(), ...states.keys()])) kick(key);
  }, opts.resyncIntervalMs ?? 1000);
  resync.unref();
  for (const key of objects.keys()) kick(key);

  const usage = (namespace: string, name: string): ServingReplicaUsage[] => {
    const s = states.get(keyOf(namespace, name));
    if (!s) return [];
    const out: ServingReplicaUsage[] = [];
    for (const r of s.replicas.values()) {
      if (r.removing || r.unplacing) continue;
      const o: ServingReplicaState | undefined = executor.observe(podKey(s, r));
      if (!o || o.phase === 'Exited' || o.phase === 'Terminating') continue;
      out.push({
        id: r.name, ready: o.ready,
        ...(o.cpuMillis !== undefined ? { cpuMillis: o.cpuMillis } : {}),
        ...(o.startedAtMs !== undefined ? { startTimeMs: o.startedAtMs } : {}),
        ...(o.readyTransitionMs !== undefined ? { readyTransitionMs: o.readyTransitionMs } : {}),
      });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  };
  const isGatewayMetric = (metric: string): metric is typeof GATEWAY_POD_METRICS[number] => (GATEWAY_POD_METRICS as readonly string[]).includes(metric);

  return {
    name: 'serving',
    gateway,
    gatewayUrl,
    replicaUsage: usage,
    replicas: usage,
    metricWindowMs: opts.gatewayRateWindowMs ?? DEFAULT_RATE_WINDOW_MS,
    podMetric(namespace, name, metric) {
      const stats = gateway.stats(keyOf(namespace, name));
      if (!stats || !isGatewayMetric(metric)) return undefined;
      return new Map(stats.replicas.map((r) => [r.id, r.metrics[metric]]));
    },
    deploymentMetric(namespace, name, metric) {
      const stats = gateway.stats(keyOf(namespace, name));
      return stats && isGatewayMetric(metric) ? stats.metrics[metric] : undefined;
    },
    tick() {
      for (const key of new Set([...objects.keys(), ...states.keys()])) kick(key);
      return draining ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    async stop() {
      stopped = true;
      clearInterval(resync);
      unsubscribe();
      for (const h of handles) h.close();
      await draining;
      for (const w of waiters.splice(0)) w();
      // Serving replicas end with the platform (the next start begins afresh).
      await executor.close();
      await gateway.close();
    },
  };
}

function graceMs(spec: Record<string, any>): number {
  const s = spec.terminationGracePeriodSeconds;
  return typeof s === 'number' && s >= 0 ? s * 1000 : 30_000;
}
