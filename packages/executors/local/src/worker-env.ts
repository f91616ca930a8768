/**
 * The env contract every worker gets (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, NODE_RANK,
 * MASTER_ADDR, MASTER_PORT, CUDA_VISIBLE_DEVICES, QM_* …), built from a job and its placement.
 *
 * Example:
 * ```ts
 * const common = jobEnv(job, { attempt: 1, checkpointDir, resumeFrom: '/ck/step-40' });
 * const env = rankEnv(spec, spec.workers[0], { masterPort: 29500, preemptFile, progressFile });
 * ```
 */
import type { ApiObject } from '@qm/api';
import type { AttemptSpec, WorkerPlacement } from '@qm/core';

/** The variables every rank of an attempt shares: spec.env first, the platform's QM_* after (they win). */
export function jobEnv(job: ApiObject, opts: { attempt: number; checkpointDir: string; resumeFrom?: string }): Record<string, string> {
  const spec = (job.spec ?? {}) as Record<string, any>;
  const env: Record<string, string> = {};
  for (const e of (spec.env ?? []) as Array<{ name: string; value?: string }>) {
    if (e && typeof e.name === 'string' && e.value !== undefined) env[e.name] = String(e.value);
  }
  const intervalMinutes = typeof spec.checkpointInterval === 'number' ? spec.checkpointInterval : 0;
  Object.assign(env, {
    QM_JOB_NAME: job.metadata.name,
    QM_NAMESPACE: job.metadata.namespace ?? 'default',
    QM_RUN_ID: job.metadata.uid ?? `${job.metadata.namespace}/${job.metadata.name}`,
    QM_ATTEMPT: String(opts.attempt),
    QM_CHECKPOINT_DIR: opts.checkpointDir,
    QM_RESUME_FROM: opts.resumeFrom ?? '',
    QM_CHECKPOINT_INTERVAL_SECONDS: intervalMinutes > 0 ? String(Math.round(intervalMinutes * 60 * 1000) / 1000) : '',
  });
  return env;
}

export interface RankEnvOptions {
  masterAddr?: string;
  masterPort: number;
  preemptFile: string;
  progressFile: string;
}

/** The per-rank variables (torchrun's names), on top of the attempt's shared env. */
export function rankEnv(spec: AttemptSpec, worker: WorkerPlacement, opts: RankEnvOptions): Record<string, string> {
  const nodes = [...new Set(spec.workers.map((w) => w.node))];
  const sameNode = spec.workers.filter((w) => w.node === worker.node).sort((a, b) => a.rank - b.rank);
  return {
    ...spec.env,
    RANK: String(worker.rank),
    WORLD_SIZE: String(spec.workers.length),
    LOCAL_RANK: String(sameNode.findIndex((w) => w.rank === worker.rank)),
    LOCAL_WORLD_SIZE: String(sameNode.length),
    NODE_RANK: String(nodes.indexOf(worker.node)),
    GROUP_RANK: String(nodes.indexOf(worker.node)),
    MASTER_ADDR: opts.masterAddr ?? '127.0.0.1',
    MASTER_PORT: String(opts.masterPort),
    CUDA_VISIBLE_DEVICES: worker.gpus.join(','),
    QM_PREEMPT_FILE: opts.preemptFile,
    QM_PROGRESS_FILE: opts.progressFile,
    PYTHONUNBUFFERED: '1',
  };
}

/** The platform's own environment minus its QM_* settings (tokens, server URLs), as a worker's base. */
export function baseProcessEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('QM_')) out[k] = v;
  return out;
}
