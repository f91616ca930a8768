/**
 * simulateScenario / simulateFile: the platform's real scheduler against simulated nodes in
 * virtual time. A discrete-event loop: jump to the next event time, apply everything due
 * then, run a scheduling pass, let the SimExecutor start what was admitted (again while a
 * pass preempted, so the preemptor gets in at the same instant). Nothing ticks: the cost is
 * O(events · log events) plus the passes, so 50,000 workloads run in seconds.
 *
 * Example:
 * ```ts
 * const report = await simulateFile('examples/scenarios/borrow-then-reclaim.yaml');
 * process.stdout.write(formatReportJson(report));
 * ```
 */
import { RECLAIM_DELAY_ANNOTATION, applyDefaults, type ApiObject, type Scenario } from '@qm/api';
import { DEFAULT_SCHEDULER_CONFIG, costReportDocument, createScheduler, seededRng, type CostGrouping, type HpaControllerOptions, type Scheduler, type SchedulerConfig, type SchedulerDeps } from '@qm/core';
import { MemoryStore } from '@qm/store';
import { ClusterMirror } from './cluster-mirror.js';
import { SimBudgets } from './cost-budgets.js';
import { CostLedger } from './cost-ledger.js';
import { DeploymentTracker } from './deployment-tracker.js';
import { EventQueue } from './event-queue.js';
import { SimIdleGpus, idleScenarioProblems } from './idle-sim.js';
import { MemoryRecorder } from './memory-recorder.js';
import { buildReport, type SimulationReport } from './report.js';
import { ScenarioActions, type ActionTimer } from './scenario-actions.js';
import { ServingLoop, type ServingTimer } from './serving-loop.js';
import { duplicateNames, loadScenarioFile, ScenarioFileError } from './scenario-file.js';
import { SimExecutor, jobKey, type ExecutorTimer, type WakeRules } from './sim-executor.js';
import { UsageLedger } from './usage-ledger.js';
import { VirtualClock, epochMsAt, SIM_EPOCH_MS } from './virtual-clock.js';

export interface SimulationOptions {
  /** Stop here (seconds), overriding spec.until. */
  untilSeconds?: number;
  schedulerConfig?: Partial<SchedulerConfig>;
  /** Replaces @qm/core's createScheduler (tests plug in a toy scheduler). */
  createScheduler?: (deps: SchedulerDeps) => Scheduler;
  /** Most passes at one instant (a pass that preempts is followed by another); default 8. */
  maxPassesPerInstant?: number;
  /** The HPA controller's sync period; default 15 000 (Kubernetes' default). */
  hpaSyncPeriodMs?: number;
  /** The HPA controller's flags (tolerance, stabilization, readiness delays); Kubernetes' defaults. */
  hpaOptions?: HpaControllerOptions;
  /** Also build the run's showback (`qm cost --scenario`): the same core report the live endpoint serves. */
  costReportBy?: CostGrouping;
}

type Timed =
  | { type: 'submission'; index: number }
  | { type: 'event'; index: number }
  | { type: 'executor'; timer: ExecutorTimer }
  | { type: 'action'; timer: ActionTimer }
  /** A budget threshold is due (see SimBudgets.nextWakeMs). */
  | { type: 'budget' }
  /** An HPA sync or a cluster-autoscaler wake-up (ServingLoop). */
  | { type: 'serving'; timer: ServingTimer }
  /** A workload's GPUs may have been idle for their window (SimIdleGpus). */
  | { type: 'idle' };

/** Same-instant order: runtime outcomes (finishes, nodes going) first, then scenario events, then new work. */
const RANK = { executor: 0, spotEnd: 1, nodeReady: 2, event: 2, submission: 3, budget: 4, idle: 4, serving: 5 } as const;

/**
 * Time-based rules of the scheduler that can flip with nothing else happening: a pending job's
 * queue reclaim delay running out, a running job passing minRuntimeBeforePreemptionMs. The loop
 * wakes up for those (and only those) instead of ticking.
 */
function wakeRules(mirror: ClusterMirror, config: Partial<SchedulerConfig> | undefined): WakeRules {
  const minRuntimeMs = config?.minRuntimeBeforePreemptionMs ?? DEFAULT_SCHEDULER_CONFIG.minRuntimeBeforePreemptionMs;
  return {
    afterPendingMs(job: ApiObject) {
      const queue = mirror.queueFor(job);
      const seconds = Number(queue === undefined ? undefined : mirror.queueAnnotation(queue, RECLAIM_DELAY_ANNOTATION));
      return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
    },
    afterStartMs: () => (minRuntimeMs > 0 ? minRuntimeMs : undefined),
  };
}

/** Runs a validated scenario and returns its report. */
export async function simulateScenario(scenario: Scenario, opts: SimulationOptions = {}): Promise<SimulationReport> {
  const duplicates = [...duplicateNames(scenario), ...idleScenarioProblems(scenario)];
  if (duplicates.length > 0) throw new ScenarioFileError(scenario.metadata.name, duplicates);
  const spec = scenario.spec;
  const untilSeconds = opts.untilSeconds ?? spec.until;
  const untilMs = untilSeconds === undefined ? undefined : epochMsAt(untilSeconds);

  const clock = new VirtualClock();
  const recorder = new MemoryRecorder(clock);
  const store = new MemoryStore(clock, { watchLogRetention: 10_000 });
  const timeline = new EventQueue<Timed>();
  // The ledger and the mirror need each other: the ledger asks for queue shapes, the mirror reports capacity.
  const late: { mirror?: ClusterMirror } = {};
  const ledger = new UsageLedger((name) => late.mirror?.queueShape(name));
  const mirror = await ClusterMirror.open(store, (gpus) => ledger.setCapacity(clock.now(), gpus));
  late.mirror = mirror;
  const costs = await CostLedger.open(store, clock);
  const budgets = new SimBudgets({ store, clock, recorder, costs, mirror });
  ledger.setCapacity(clock.now(), 0);
  const executor = await SimExecutor.open({
    store, clock, recorder, ledger, mirror,
    schedule: (atMs, timer) => timeline.push(atMs, RANK.executor, { type: 'executor', timer }),
    onLostWork: (key, lostMs) => costs.recordLostWork(key, lostMs),
    wakeRules: wakeRules(mirror, opts.schedulerConfig),
  });
  const deployments = await DeploymentTracker.open({ store, clock, recorder, ledger, mirror });
  const actions = new ScenarioActions({
    store, clock, recorder, mirror, executor, deployments,
    schedule: (atMs, timer) => timeline.push(atMs, timer.type === 'spotEnd' ? RANK.spotEnd : RANK.nodeReady, { type: 'action', timer }),
  });
  const serving = new ServingLoop({
    store, clock, recorder, deployments, mirror, actions, untilMs,
    push: (atMs, timer) => timeline.push(atMs, RANK.serving, { type: 'serving', timer }),
    pending: () => timeline.size,
    syncPeriodMs: opts.hpaSyncPeriodMs, hpaOptions: opts.hpaOptions,
  });
  let scheduler: Scheduler | undefined;
  let idle: SimIdleGpus | undefined;
  try {
    for (const obj of spec.objects ?? []) await store.create(applyDefaults(obj));
    idle = await SimIdleGpus.open({ store, clock, recorder, executor, push: (atMs) => timeline.push(atMs, RANK.idle, { type: 'idle' }) });
    // Virtual time jumps from event to event, so a pass may be the last for hours: it refreshes
    // the estimates every time (a live server refreshes them every estimateIntervalMs).
    const config = { estimateIntervalMs: 0, ...opts.schedulerConfig };
    scheduler = (opts.createScheduler ?? createScheduler)({ store, recorder, clock, rng: seededRng(spec.seed ?? 0), config });
    (spec.submissions ?? []).forEach((s, index) => timeline.push(epochMsAt(s.at), RANK.submission, { type: 'submission', index }));
    (spec.events ?? []).forEach((e, index) => timeline.push(epochMsAt(e.at), RANK.event, { type: 'event', index }));

    const apply = async (item: Timed): Promise<boolean> => {
      switch (item.type) {
        case 'submission': {
          const sub = spec.submissions![item.index];
          const obj = applyDefaults(sub.object);
          const refused = await budgets.refusal(obj);
          if (refused) {
            recorder.record({ kind: obj.kind, namespace: obj.metadata.namespace, name: obj.metadata.name }, 'Warning', 'BudgetBlocked', refused.message);
            return false;
          }
          if (obj.kind === 'TrainingJob') executor.expectWork(jobKey(obj.metadata.namespace, obj.metadata.name), sub.work);
          await store.create(obj);
          return true;
        }
        case 'event': return actions.apply(spec.events![item.index]);
        case 'executor': return executor.onTimer(item.timer);
        case 'action': return item.timer.type === 'spotEnd' ? actions.spotEnd(item.timer.node) : actions.addNode(item.timer.node);
        // Stale when spending changed since it was scheduled (a later evaluation moved the wake).
        case 'budget': return budgets.nextWakeMs() === clock.now();
        case 'serving': return serving.onTimer(item.timer);
        case 'idle': return idle!.onTimer();
      }
    };
    let budgetWakeMs: number | undefined;
    const evaluateBudgets = async (): Promise<void> => {
      await budgets.evaluate();
      const wake = budgets.nextWakeMs();
      if (wake !== undefined && wake > clock.now() && wake !== budgetWakeMs && (untilMs === undefined || wake <= untilMs)) {
        budgetWakeMs = wake;
        timeline.push(wake, RANK.budget, { type: 'budget' });
      }
    };
    const maxPasses = opts.maxPassesPerInstant ?? 8;
    const settle = async (): Promise<void> => {
      for (let pass = 0; pass < maxPasses; pass++) {
        await executor.syncCheckpoints();
        const result = await scheduler!.runPass();
        await executor.startAdmitted();
        deployments.announceStarts();
        if (result.preempted.length === 0) break;
      }
      await evaluateBudgets();
      await serving.afterSettle();
      await idle!.afterSettle();
    };

    let lastActivityMs = SIM_EPOCH_MS;
    if (untilMs === undefined || untilMs >= SIM_EPOCH_MS) await settle();
    for (;;) {
      const t = timeline.peekTime();
      if (t === undefined || (untilMs !== undefined && t > untilMs)) break;
      clock.advanceTo(t);
      let acted = false;
      // Items pushed while applying (a zero-second notice, a zero-work job) run at this instant too.
      while (timeline.peekTime() === t) {
        const item = timeline.pop()!.item;
        // Autoscalers (ranked last) see the cluster after this instant's pass, as the live loops would.
        if (item.type === 'serving' && acted) {
          await settle();
          acted = false;
          lastActivityMs = t;
        }
        acted = (await apply(item)) || acted;
      }
      if (!acted) continue; // only stale timers: the cluster is as the last pass left it
      lastActivityMs = t;
      await settle();
    }
    const endMs = untilMs ?? lastActivityMs;
    deployments.finish(endMs);
    const report = buildReport({
      scenario: scenario.metadata.name, endMs,
      jobs: executor.records(), deployments: deployments.records(), events: recorder.events, ledger, mirror, costs,
    });
    if (opts.costReportBy) {
      const showback = costs.report(endMs, opts.costReportBy, SIM_EPOCH_MS);
      report.costReport = costReportDocument(showback, { since: 'scenario', startMs: SIM_EPOCH_MS, endMs, createdMs: endMs });
    }
    return report;
  } finally {
    scheduler?.close();
    idle?.close();
    executor.close();
    deployments.close();
    mirror.close();
    costs.close();
    await store.close();
  }
}

/** Reads, validates (ScenarioFileError for a bad file: nothing runs) and runs a scenario file. */
export async function simulateFile(path: string, opts: SimulationOptions = {}): Promise<SimulationReport> {
  const scenario = await loadScenarioFile(path);
  const problems = idleScenarioProblems(scenario);
  if (problems.length > 0) throw new ScenarioFileError(path, problems);
  return simulateScenario(scenario, opts);
}
