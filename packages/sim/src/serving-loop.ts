/**
 * The simulator's autoscaling clockwork: the HPA controller's sync ticks (every sync period,
 * on multiples of it from t=0, as the controller's resync) and the cluster autoscaler's runs
 * (after every scheduling pass, and when an empty node's unneeded time runs out). The event
 * loop hands it its timers and calls afterSettle() after each pass.
 *
 * Ticks run while any HPA exists, as the live controller's do (a skipped sync would be missing
 * from the stabilization window's recommendations). Without `until`, a run whose only remaining
 * work is HPA ticks stops after an hour of ticks that change nothing (longer than any window).
 *
 * Example:
 * ```ts
 * const serving = new ServingLoop({ store, clock, recorder, deployments, mirror, actions, push, pending: () => timeline.size });
 * await serving.afterSettle();          // after a pass: node autoscaling, arm the next HPA tick
 * await serving.onTimer(timer);         // true when it changed something (run a pass)
 * ```
 */
import type { Clock, HpaControllerOptions, Recorder, Store } from '@qm/core';
import type { ClusterMirror } from './cluster-mirror.js';
import type { DeploymentTracker } from './deployment-tracker.js';
import type { ScenarioActions } from './scenario-actions.js';
import { DEFAULT_HPA_SYNC_PERIOD_MS, SimHpa } from './sim-hpa.js';
import { SimNodeAutoscaler } from './sim-node-autoscaler.js';
import { SIM_EPOCH_MS } from './virtual-clock.js';

export type ServingTimer = { type: 'hpaSync' } | { type: 'nodeAutoscale'; atMs: number };

export interface ServingLoopDeps {
  store: Store;
  clock: Clock;
  recorder: Recorder;
  deployments: DeploymentTracker;
  mirror: ClusterMirror;
  actions: ScenarioActions;
  /** Queues a timer on the loop's timeline. */
  push(atMs: number, timer: ServingTimer): void;
  /** Items on the loop's timeline (all kinds). */
  pending(): number;
  /** The run's end (epoch ms), if it has one. */
  untilMs?: number;
  syncPeriodMs?: number;
  hpaOptions?: HpaControllerOptions;
}

/** Without `until`: how long HPA ticks that change nothing may go on once nothing else is left. */
const IDLE_TICKS_MS = 3_600_000;

export class ServingLoop {
  private readonly hpa: SimHpa;
  private readonly nodes: SimNodeAutoscaler;
  private readonly periodMs: number;
  private tickArmed = false;
  private ownTimers = 0;
  private idleSinceMs: number | undefined;
  private lastTickMs: number | undefined;

  constructor(private readonly deps: ServingLoopDeps) {
    const period = deps.syncPeriodMs ?? DEFAULT_HPA_SYNC_PERIOD_MS;
    if (!Number.isFinite(period) || period <= 0) throw new Error(`hpaSyncPeriodMs must be a positive number of milliseconds, got ${period}`);
    this.periodMs = period;
    this.hpa = new SimHpa({ store: deps.store, clock: deps.clock, recorder: deps.recorder, deployments: deps.deployments, options: deps.hpaOptions });
    this.nodes = new SimNodeAutoscaler({
      store: deps.store, clock: deps.clock, recorder: deps.recorder, mirror: deps.mirror,
      provision: (pool, count) => { deps.actions.provisionPoolNodes(pool, count); },
      wake: (atMs) => this.push(atMs, { type: 'nodeAutoscale', atMs }),
    });
  }

  private push(atMs: number, timer: ServingTimer): void {
    if (this.deps.untilMs !== undefined && atMs > this.deps.untilMs) return;
    this.ownTimers++;
    this.deps.push(atMs, timer);
  }

  /** After a scheduling pass: plan node pools, and make sure an HPA tick is coming. */
  async afterSettle(): Promise<void> {
    await this.nodes.run();
    this.idleSinceMs = undefined;
    await this.armTick();
  }

  private async armTick(): Promise<void> {
    if (this.tickArmed || !(await this.hpa.any())) return;
    const now = this.deps.clock.now();
    const sinceEpoch = now - SIM_EPOCH_MS;
    // The next multiple of the period; the same instant only when no tick ran at it yet.
    let next = SIM_EPOCH_MS + Math.ceil(sinceEpoch / this.periodMs) * this.periodMs;
    if (this.lastTickMs !== undefined && next <= this.lastTickMs) next += this.periodMs;
    this.tickArmed = true;
    this.push(next, { type: 'hpaSync' });
    if (this.deps.untilMs !== undefined && next > this.deps.untilMs) this.tickArmed = false;
  }

  /** A timer came due; true when the cluster changed (the loop runs a pass). */
  async onTimer(timer: ServingTimer): Promise<boolean> {
    this.ownTimers--;
    if (timer.type === 'nodeAutoscale') {
      this.nodes.woke(timer.atMs);
      return this.nodes.run();
    }
    this.tickArmed = false;
    this.lastTickMs = this.deps.clock.now();
    const result = await this.hpa.sync();
    if (result.rescaled) return true; // the pass that follows re-arms the tick
    const now = this.deps.clock.now();
    const othersLeft = this.deps.pending() - this.ownTimers > 0;
    if (this.deps.untilMs === undefined && !othersLeft) {
      this.idleSinceMs ??= now;
      if (now - this.idleSinceMs >= IDLE_TICKS_MS) return false;
    }
    await this.armTick();
    return false;
  }
}
