/**
 * The platform's view of a job's checkpoints: `QM_CHECKPOINT_DIR/step-<N>/` directories that
 * contain a `COMMITTED` marker (written last by the job, so a torn write is never listed).
 *
 * Example:
 * ```ts
 * const committed = await scanCheckpoints('/data/checkpoints/team-a/bert');
 * // [{ step: 40, path: '/data/…/step-40', timeMs: 1735689600000, sizeBytes: 1048576 }, …] oldest first
 * await pruneCheckpoints(committed, 3, 20);   // keep the newest 3 and step 20 (being resumed from)
 * ```
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { checkpointsToDelete, type CatalogedCheckpoint } from '@qm/core';

export interface CommittedCheckpoint extends CatalogedCheckpoint {
  path: string;
  timeMs: number;
  sizeBytes: number;
}

const STEP_DIR = /^step-(\d+)$/;
export const COMMITTED_MARKER = 'COMMITTED';

/** Committed checkpoints, oldest step first. A missing directory is simply empty. */
export async function scanCheckpoints(dir: string): Promise<CommittedCheckpoint[]> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: CommittedCheckpoint[] = [];
  for (const entry of entries) {
    const m = STEP_DIR.exec(entry);
    if (!m) continue;
    const path = join(dir, entry);
    try {
      const marker = await stat(join(path, COMMITTED_MARKER));
      out.push({ step: Number(m[1]), path, timeMs: marker.mtimeMs, sizeBytes: await directorySize(path) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && (err as NodeJS.ErrnoException).code !== 'ENOTDIR') throw err;
    }
  }
  return out.sort((a, b) => a.step - b.step);
}

/** Deletes all but the newest `keep` committed checkpoints, never `protectedStep`; returns what it deleted. */
export async function pruneCheckpoints(committed: readonly CommittedCheckpoint[], keep: number, protectedStep?: number): Promise<CommittedCheckpoint[]> {
  const doomed = checkpointsToDelete(committed, keep, protectedStep);
  for (const c of doomed) await rm(c.path, { recursive: true, force: true });
  return doomed;
}

async function directorySize(path: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const full = join(path, entry.name);
    if (entry.isDirectory()) total += await directorySize(full);
    else if (entry.isFile()) total += (await stat(full)).size;
  }
  return total;
}
