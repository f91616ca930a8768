/**
 * Where an attempt lives on disk, under `<dataDir>/training/<namespace>/<name>/<uid>/attempt-<k>/`:
 *   attempt.json        what the executor knows (placement, pids, stop request, released)
 *   rank-<r>.log        the rank's stdout and stderr
 *   rank-<r>.exit.json  how the rank ended, written by the worker wrapper
 *   preempt             QM_PREEMPT_FILE: written with the deadline on a preemption notice
 *   progress.json       QM_PROGRESS_FILE: the job's optional progress report
 *
 * Example: `attemptDir('/data', key, 2)` → `/data/training/team-a/bert/<uid>/attempt-2`
 */
import { mkdir, readFile, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobKey, ObservedAttempt } from '@qm/core';

export function jobRoot(dataDir: string, namespace: string, name: string): string {
  return join(dataDir, 'training', namespace, name);
}

export function attemptDir(dataDir: string, job: JobKey, attempt: number): string {
  return join(jobRoot(dataDir, job.namespace, job.name), job.uid || 'no-uid', `attempt-${attempt}`);
}

export const files = {
  state: (dir: string) => join(dir, 'attempt.json'),
  log: (dir: string, rank: number) => join(dir, `rank-${rank}.log`),
  exit: (dir: string, rank: number) => join(dir, `rank-${rank}.exit.json`),
  preempt: (dir: string) => join(dir, 'preempt'),
  progress: (dir: string) => join(dir, 'progress.json'),
};

/** attempt.json: the observed attempt plus whether the controller released it. */
export interface AttemptFile extends ObservedAttempt {
  released?: boolean;
}

export async function writeAttemptFile(dir: string, state: AttemptFile): Promise<void> {
  const path = files.state(dir);
  await writeFile(`${path}.tmp`, JSON.stringify(state, null, 1));
  await rename(`${path}.tmp`, path);
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || err instanceof SyntaxError) return undefined;
    throw err;
  }
}

/** Every attempt dir under the data dir (for recovery after a restart and for logs). */
export async function listAttemptDirs(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  const root = join(dataDir, 'training');
  for (const ns of await dirs(root)) {
    for (const name of await dirs(join(root, ns))) {
      for (const uid of await dirs(join(root, ns, name))) {
        for (const attempt of await dirs(join(root, ns, name, uid))) {
          if (/^attempt-\d+$/.test(attempt)) out.push(join(root, ns, name, uid, attempt));
        }
      }
    }
  }
  return out;
}

export async function dirs(path: string): Promise<string[]> {
  try {
    return (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

export async function ensureDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true });
}
