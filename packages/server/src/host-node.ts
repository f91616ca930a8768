import { execFile } from 'node:child_process';
import { availableParallelism, cpus, hostname, totalmem } from 'node:os';
import { promisify } from 'node:util';
import type { ApiObject, Condition } from '@qm/api';
import { NODE_LABELS, QM_API_VERSION } from '@qm/api';
import type { Clock, Recorder, Store } from '@qm/core';
import { normalizeGpuModel } from './gpu-model.js';

export interface GpuInfo {
  index: number;
  uuid: string;
  /** Normalized model label, e.g. `A100-80GB`, or `virtual`. */
  model: string;
  memoryMiB: number;
}

/** What the host has, as detected (or given by a test). */
export interface HostFacts {
  hostname: string;
  cpuCount: number;
  memoryBytes: number;
  gpus: GpuInfo[];
  /** The first GPU's name as nvidia-smi prints it, kept as an annotation. */
  gpuProduct?: string;
}

/** The labels the host node carries: API.md's node labels plus two of the embedded host's own. */
export const LABELS = {
  ...NODE_LABELS,
  virtualGpus: 'quartermaster.dev/virtual-gpus',
  hostname: 'kubernetes.io/hostname',
} as const;
const PRODUCT_ANNOTATION = 'quartermaster.dev/gpu-product';
// Kubelet's default pod limit; the embedded node advertises the same.
const MAX_PODS = 110;

const execFileAsync = promisify(execFile);

/**
 * Detects CPUs, memory and NVIDIA GPUs (via `nvidia-smi` when it is installed; without it
 * the host simply has no GPUs).
 */
export async function detectHost(opts: { nvidiaSmi?: string; timeoutMs?: number; logger?: { warn(o: object, m: string): void } } = {}): Promise<HostFacts> {
  const facts: HostFacts = {
    hostname: hostname(),
    cpuCount: typeof availableParallelism === 'function' ? availableParallelism() : cpus().length,
    memoryBytes: totalmem(),
    gpus: [],
  };
  try {
    const { stdout } = await execFileAsync(opts.nvidiaSmi ?? 'nvidia-smi',
      ['--query-gpu=index,uuid,name,memory.total', '--format=csv,noheader,nounits'], { timeout: opts.timeoutMs ?? 10_000 });
    const parsed = parseNvidiaSmi(stdout);
    facts.gpus = parsed.map(({ product, ...gpu }) => gpu);
    if (parsed[0]) facts.gpuProduct = parsed[0].product;
  } catch (err) {
    // ENOENT: no NVIDIA driver here, which is normal on CPU-only machines.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      opts.logger?.warn({ err }, 'nvidia-smi failed; registering the host without GPUs');
    }
  }
  return facts;
}

/**
 * Parses `nvidia-smi --query-gpu=index,uuid,name,memory.total --format=csv,noheader,nounits`.
 * Example line: `0, GPU-5d5c…, NVIDIA H100 80GB HBM3, 81559`.
 */
export function parseNvidiaSmi(csv: string): Array<GpuInfo & { product: string }> {
  const gpus: Array<GpuInfo & { product: string }> = [];
  for (const line of csv.split('\n')) {
    const fields = line.split(',').map((f) => f.trim());
    if (fields.length < 4) continue;
    const index = Number(fields[0]);
    const memoryMiB = Number(fields[fields.length - 1]);
    const product = fields.slice(2, -1).join(',');
    if (!Number.isInteger(index) || !fields[1]) continue;
    const memory = Number.isFinite(memoryMiB) ? memoryMiB : 0;
    gpus.push({ index, uuid: fields[1], model: normalizeGpuModel(product, memory), memoryMiB: memory, product });
  }
  return gpus;
}

/** A hostname as a DNS-1123 label (lower case, [a-z0-9-], at most 63, alphanumeric ends). */
export function nodeNameFor(host: string): string {
  const label = host.toLowerCase().replace(/[^a-z0-9-]+/g, '-').slice(0, 63).replace(/^-+|-+$/g, '');
  return label || 'localhost';
}

/** The Node object for this host (spec empty, status with capacity and a Ready condition). */
export function buildHostNode(facts: HostFacts, virtualGpus: number, nowMs: number): ApiObject {
  const name = nodeNameFor(facts.hostname);
  const gpus: GpuInfo[] = [...facts.gpus];
  const firstVirtual = gpus.reduce((max, g) => Math.max(max, g.index + 1), 0);
  for (let i = 0; i < virtualGpus; i++) {
    gpus.push({ index: firstVirtual + i, uuid: `VIRTUAL-${name}-${i}`, model: 'virtual', memoryMiB: 0 });
  }
  const labels: Record<string, string> = {
    [LABELS.hostname]: name,
    [LABELS.gpuCount]: String(gpus.length),
    [LABELS.pool]: 'embedded',
    [LABELS.capacityType]: 'on-demand',
  };
  const model = dominantModel(facts.gpus) ?? (virtualGpus > 0 ? 'virtual' : undefined);
  if (model) labels[LABELS.gpuModel] = model;
  if (virtualGpus > 0) labels[LABELS.virtualGpus] = 'true';
  const resources = {
    cpu: String(facts.cpuCount),
    memory: `${Math.floor(facts.memoryBytes / 1024)}Ki`,
    'nvidia.com/gpu': String(gpus.length),
    pods: String(MAX_PODS),
  };
  const ready: Condition = {
    type: 'Ready', status: 'True', reason: 'HostRegistered',
    message: 'the embedded host is registered and ready', lastTransitionTime: new Date(nowMs).toISOString(),
  };
  return {
    apiVersion: QM_API_VERSION,
    kind: 'Node',
    metadata: {
      name, labels,
      ...(facts.gpuProduct ? { annotations: { [PRODUCT_ANNOTATION]: facts.gpuProduct } } : {}),
    },
    spec: {},
    status: { capacity: resources, allocatable: { ...resources }, gpus, conditions: [ready] },
  };
}

export interface RegisterHostOptions {
  clock: Clock;
  virtualGpus?: number;
  /** Detected facts; absent = detectHost(). */
  facts?: HostFacts;
  recorder?: Recorder;
  logger?: { warn(o: object, m: string): void };
}

/**
 * Registers this machine as a Node: creates it, or refreshes labels and status of an existing
 * one while keeping what users set (spec such as `unschedulable`, their own labels).
 *
 * Example: `const node = await registerHostNode(store, { clock, virtualGpus: 2, recorder });`
 */
export async function registerHostNode(store: Store, opts: RegisterHostOptions): Promise<ApiObject> {
  const facts = opts.facts ?? await detectHost({ logger: opts.logger });
  const desired = buildHostNode(facts, opts.virtualGpus ?? 0, opts.clock.now());
  const existing = await store.get('Node', undefined, desired.metadata.name);
  let node: ApiObject;
  if (!existing) {
    node = await store.create(desired);
  } else {
    const staleVirtual = existing.metadata.labels?.[LABELS.virtualGpus] !== undefined && !desired.metadata.labels?.[LABELS.virtualGpus];
    const labels = { ...existing.metadata.labels, ...desired.metadata.labels };
    if (staleVirtual) delete labels[LABELS.virtualGpus];
    if (!desired.metadata.labels?.[LABELS.gpuModel]) delete labels[LABELS.gpuModel];
    node = await store.update({
      ...existing,
      metadata: {
        ...existing.metadata,
        labels,
        annotations: { ...existing.metadata.annotations, ...desired.metadata.annotations },
      },
    });
  }
  const previousReady = (existing?.status?.conditions as Condition[] | undefined)?.find((c) => c.type === 'Ready');
  const status = { ...desired.status };
  if (previousReady?.status === 'True' && previousReady.lastTransitionTime) {
    status.conditions = [{ ...status.conditions[0], lastTransitionTime: previousReady.lastTransitionTime }];
  }
  node = await store.update({ ...node, status }, { subresource: 'status' });
  const model = desired.metadata.labels?.[LABELS.gpuModel];
  opts.recorder?.record(
    { kind: 'Node', name: node.metadata.name, uid: node.metadata.uid, apiVersion: QM_API_VERSION },
    'Normal', 'Registered',
    `registered host ${node.metadata.name}: ${facts.cpuCount} CPUs, ${(facts.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, `
      + `${status.gpus.length} GPUs${model ? ` (${model})` : ''}`,
  );
  return node;
}

function dominantModel(gpus: GpuInfo[]): string | undefined {
  const counts = new Map<string, number>();
  for (const gpu of gpus) counts.set(gpu.model, (counts.get(gpu.model) ?? 0) + 1);
  let best: string | undefined;
  for (const [model, count] of counts) if (best === undefined || count > (counts.get(best) ?? 0)) best = model;
  return best;
}
