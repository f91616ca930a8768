/**
 * The simulated serving runtime's arithmetic (SCENARIOS.md: "a replica serves at most
 * spec.simulation.requestsPerSecondPerReplica with latency rising as it nears that rate").
 * Offered load spreads evenly over the ready replicas (the gateway balances by outstanding
 * requests, so equal replicas get equal shares); a replica serves up to its capacity and the
 * rest is refused (503). Latency follows an M/M/1 queue: base / (1 − ρ), ρ = offered share ÷
 * capacity, capped at ρ = MAX_UTILIZATION so an overloaded replica has a finite latency.
 *
 * `ServingMeter` integrates requests offered, served and refused over virtual time, exactly:
 * the state is piecewise constant between changes, and replicas turn ready at known instants.
 *
 * Example:
 * ```ts
 * const profile = servingProfile(deployment);      // {capacityRps: 100, baseLatencyMs: 50, startupMs: 30_000}
 * replicaLoad(300, 2, profile);                     // {perReplicaRps: 150, servedRps: 200, refusedRps: 100, latencyMs: 1000, utilization: 1}
 * ```
 */
import type { ApiObject } from '@qm/api';

/** Utilization at which latency stops rising (20 × the base latency). */
export const MAX_UTILIZATION = 0.95;
/** Latency of a request on an idle replica when spec.simulation.baseLatencyMs is absent. */
export const DEFAULT_BASE_LATENCY_MS = 50;

export interface ServingProfile {
  /** Requests per second one replica can serve; Infinity when unset. */
  capacityRps: number;
  baseLatencyMs: number;
  /** From a replica's placement until it is ready. */
  startupMs: number;
}

/** A ModelDeployment's spec.simulation with defaults (no cap, 50 ms, ready at once). */
export function servingProfile(obj: ApiObject): ServingProfile {
  const sim = obj.spec?.simulation ?? {};
  const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;
  return {
    capacityRps: positive(sim.requestsPerSecondPerReplica) ? sim.requestsPerSecondPerReplica : Number.POSITIVE_INFINITY,
    baseLatencyMs: typeof sim.baseLatencyMs === 'number' && sim.baseLatencyMs >= 0 ? sim.baseLatencyMs : DEFAULT_BASE_LATENCY_MS,
    startupMs: positive(sim.startupSeconds) ? Math.round(sim.startupSeconds * 1000) : 0,
  };
}

export interface ReplicaLoad {
  /** Offered requests/s per ready replica. */
  perReplicaRps: number;
  /** Requests/s one ready replica serves (what the gateway measures per replica). */
  servedPerReplicaRps: number;
  /** Served by all ready replicas together. */
  servedRps: number;
  /** Refused: beyond the replicas' capacity, or no replica ready. */
  refusedRps: number;
  /** Latency of a served request; undefined when nothing is ready. */
  latencyMs: number | undefined;
  /** Offered share ÷ capacity, at most 1. */
  utilization: number;
  /** Requests in flight per ready replica (Little's law: served rate × latency). */
  inFlightPerReplica: number;
}

/** How `offeredRps` spreads over `readyReplicas` replicas of `profile`. */
export function replicaLoad(offeredRps: number, readyReplicas: number, profile: ServingProfile): ReplicaLoad {
  const offered = Math.max(0, offeredRps);
  if (readyReplicas <= 0) {
    return { perReplicaRps: 0, servedPerReplicaRps: 0, servedRps: 0, refusedRps: offered, latencyMs: undefined, utilization: 0, inFlightPerReplica: 0 };
  }
  const perReplica = offered / readyReplicas;
  const served = Math.min(perReplica, profile.capacityRps);
  const rho = Number.isFinite(profile.capacityRps) ? Math.min(1, perReplica / profile.capacityRps) : 0;
  const latencyMs = profile.baseLatencyMs / (1 - Math.min(rho, MAX_UTILIZATION));
  return {
    perReplicaRps: perReplica,
    servedPerReplicaRps: served,
    servedRps: served * readyReplicas,
    refusedRps: Math.max(0, offered - served * readyReplicas),
    latencyMs,
    utilization: rho,
    inFlightPerReplica: served * latencyMs / 1000,
  };
}

export interface ServingTotals {
  offeredRequests: number;
  servedRequests: number;
  refusedRequests: number;
  /** The highest latency served at any time (ms); undefined when nothing was served. */
  maxLatencyMs: number | undefined;
  /** Served requests whose latency was above `latencyTargetMs`. */
  slowRequests: number;
}

/**
 * Integrates one deployment's traffic over virtual time. Call `advance(toMs, offeredRps, readyAtMs)`
 * before anything changes (load, replicas), with the state as it was since the last call.
 */
export class ServingMeter {
  private lastMs: number | undefined;
  private readonly totals: ServingTotals = { offeredRequests: 0, servedRequests: 0, refusedRequests: 0, maxLatencyMs: undefined, slowRequests: 0 };

  /** `latencyTargetMs`: served requests slower than this count as slow (default: 4 × base latency). */
  constructor(private profile: ServingProfile, private readonly latencyTargetMs = 4 * profile.baseLatencyMs) {}

  setProfile(profile: ServingProfile): void {
    this.profile = profile;
  }

  /**
   * Accounts [last, toMs) with `offeredRps` offered; `readyAtMs` holds when each placed replica
   * becomes (or became) ready, so readiness flips inside the interval are split out exactly.
   */
  advance(toMs: number, offeredRps: number, readyAtMs: readonly number[]): void {
    const from = this.lastMs ?? toMs;
    this.lastMs = toMs;
    if (toMs <= from) return;
    const cuts = [...new Set(readyAtMs.filter((t) => t > from && t < toMs))].sort((a, b) => a - b);
    let start = from;
    for (const end of [...cuts, toMs]) {
      const ready = readyAtMs.filter((t) => t <= start).length;
      this.account((end - start) / 1000, replicaLoad(offeredRps, ready, this.profile), offeredRps);
      start = end;
    }
  }

  private account(seconds: number, load: ReplicaLoad, offeredRps: number): void {
    const t = this.totals;
    t.offeredRequests += offeredRps * seconds;
    t.servedRequests += load.servedRps * seconds;
    t.refusedRequests += load.refusedRps * seconds;
    if (load.latencyMs !== undefined && load.servedRps > 0) {
      t.maxLatencyMs = Math.max(t.maxLatencyMs ?? 0, load.latencyMs);
      if (load.latencyMs > this.latencyTargetMs) t.slowRequests += load.servedRps * seconds;
    }
  }

  snapshot(): ServingTotals {
    return { ...this.totals };
  }
}
