/**
 * The snapshot the HPA decision reads and the decision it returns. Everything the Kubernetes
 * horizontal controller keeps in memory between syncs (the recommendation log and the scale
 * events) travels in `HpaHistory`: the caller stores the returned history and passes it back
 * on the next sync, so the decision function itself holds no state.
 *
 * Example:
 * ```ts
 * const d = computeHpaDecision({
 *   hpa, currentReplicas: 3, nowMs,
 *   pods: [{ name: 'chat-0', phase: 'Running', ready: true, startTimeMs, readyTransitionMs, requests: { cpu: '1' } }],
 *   metrics: [{ kind: 'pods', samples: [{ pod: 'chat-0', value: '750m', timestampMs: nowMs }] }],
 *   history: previous?.history,
 * });
 * if (d.rescale) await scaleTo(d.desiredReplicas);
 * saveStatus(d.status); keep(d.history);
 * ```
 */
import type { HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus, QuantityInput, ResourceList } from '@qm/api';

export type HpaPodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

/** One pod (replica) of the scale target, as the HPA sees it. */
export interface HpaPod {
  name: string;
  phase: HpaPodPhase;
  /** Status of the PodReady condition. */
  ready: boolean;
  /** `status.startTime` in epoch ms; absent while the pod has not started. */
  startTimeMs?: number;
  /** `lastTransitionTime` of the PodReady condition; absent = the pod has no Ready condition yet. */
  readyTransitionMs?: number;
  /** `metadata.deletionTimestamp` is set. */
  deleting?: boolean;
  /** The pod's requests summed over its containers, e.g. `{cpu: '500m'}` (Resource metrics). */
  requests: ResourceList;
  /** Requests per container name (ContainerResource metrics only). */
  containerRequests?: Record<string, ResourceList>;
}

/** One per-pod metric sample: a Resource usage (cpu in cores, memory in bytes) or a Pods metric. */
export interface HpaPodSample {
  pod: string;
  value: QuantityInput;
  /** When the sample was taken (end of its window). */
  timestampMs: number;
  /** The window the sample averages over; default 60 000 (Kubernetes' custom-metrics window). */
  windowMs?: number;
}

/**
 * What a metric source returned for one entry of the HPA's metric list (same index):
 * per-pod samples for Resource/ContainerResource/Pods, one value for Object, the matching
 * series' values for External (summed, as Kubernetes does), or the source's error.
 */
export type HpaMetricReading =
  | { kind: 'pods'; samples: HpaPodSample[] }
  | { kind: 'object'; value: QuantityInput; timestampMs?: number }
  | { kind: 'external'; values: QuantityInput[]; timestampMs?: number }
  | { kind: 'error'; message: string };

/** An unstabilized recommendation, kept for the stabilization windows. */
export interface HpaRecommendation {
  replicas: number;
  timestampMs: number;
}

/** A rescale, kept for the `Pods`/`Percent` policies' periods (only when `behavior` is set). */
export interface HpaScaleEvent {
  /** How many replicas were added (up) or removed (down); always positive. */
  replicaChange: number;
  timestampMs: number;
  /** Older than the direction's longest policy period; the slot is reused by the next event. */
  outdated: boolean;
}

/** The controller's memory for one HPA; pass back what the previous decision returned. */
export interface HpaHistory {
  recommendations: HpaRecommendation[];
  scaleEvents: { up: HpaScaleEvent[]; down: HpaScaleEvent[] };
}

/** The kube-controller-manager flags that shape the algorithm; defaults are Kubernetes' own. */
export interface HpaControllerOptions {
  /** `--horizontal-pod-autoscaler-tolerance`, default 0.1 (both directions unless `behavior` says otherwise). */
  tolerance?: number;
  /** `--horizontal-pod-autoscaler-cpu-initialization-period`, default 5 min. */
  cpuInitializationPeriodMs?: number;
  /** `--horizontal-pod-autoscaler-initial-readiness-delay`, default 30 s. */
  delayOfInitialReadinessStatusMs?: number;
  /** `--horizontal-pod-autoscaler-downscale-stabilization`, default 5 min. */
  downscaleStabilizationWindowMs?: number;
}

export type ResolvedHpaOptions = Required<HpaControllerOptions>;

/** The HPA object, or the parts of it the decision reads. */
export interface HpaObjectInput {
  metadata?: { name?: string; namespace?: string; generation?: number };
  spec: HorizontalPodAutoscalerSpec;
  status?: HorizontalPodAutoscalerStatus;
}

export interface HpaDecisionInput {
  hpa: HpaObjectInput;
  /** The target's `spec.replicas` (Kubernetes' scale.spec.replicas). */
  currentReplicas: number;
  /** Replicas that exist (scale.status.replicas); used by Object/External AverageValue. Default: currentReplicas. */
  statusReplicas?: number;
  /** Every pod the target's selector matches (any phase). */
  pods: HpaPod[];
  /** One reading per entry of `hpaMetricSpecs(hpa.spec)`, same order; a missing entry is an error. */
  metrics: ReadonlyArray<HpaMetricReading | undefined>;
  /** What the previous decision returned; absent on the first sync. */
  history?: HpaHistory;
  nowMs: number;
  options?: HpaControllerOptions;
}

/** An event for the HPA object, as the Kubernetes controller records it. */
export interface HpaEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export interface HpaDecision {
  /** Replicas the target should have (equal to currentReplicas when nothing changes). */
  desiredReplicas: number;
  /** Whether to write `desiredReplicas` to the target now. */
  rescale: boolean;
  /** The HPA's new status (conditions carry Kubernetes' reasons). */
  status: HorizontalPodAutoscalerStatus;
  /** Store and pass back next time. */
  history: HpaHistory;
  events: HpaEvent[];
  /** The error Kubernetes' reconcile would return (invalid metrics), also when it still scaled. */
  error?: string;
}
