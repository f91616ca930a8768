/**
 * Worker logs for `qm logs JOB [--rank N] [--attempt K] [-f]`: reads the per-attempt log files
 * the local executor writes. Structurally the server's LogSource (packages/server/src/log-source.ts).
 *
 * Example:
 * ```ts
 * const logs = new LocalLogSource('/var/lib/qm');
 * await logs.open({ namespace: 'team-a', name: 'bert', rank: 1, follow: false }); // the latest attempt's text
 * ```
 */
import { existsSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { dirs, files, jobRoot, readJson, type AttemptFile } from './attempt-files.js';

export interface LogRequest {
  namespace: string;
  name: string;
  rank?: number;
  attempt?: number;
  follow: boolean;
}

export interface LocalLogSourceOptions {
  /** How often a follow stream looks for new output. Default 200 ms. */
  pollIntervalMs?: number;
}

export class LocalLogSource {
  constructor(private readonly dataDir: string, private readonly opts: LocalLogSourceOptions = {}) {}

  async open(request: LogRequest): Promise<Readable | string | undefined> {
    const dir = await this.findAttemptDir(request.namespace, request.name, request.attempt);
    if (!dir) return undefined;
    const rank = request.rank ?? 0;
    const path = files.log(dir, rank);
    if (!existsSync(path)) return undefined;
    if (!request.follow) return readFile(path, 'utf8');
    return followFile(path, () => rankEnded(dir, rank), this.opts.pollIntervalMs ?? 200);
  }

  /** The attempt dir of the job's newest run (a recreated job has a new uid dir); `attempt` picks one. */
  async findAttemptDir(namespace: string, name: string, attempt?: number): Promise<string | undefined> {
    const root = jobRoot(this.dataDir, namespace, name);
    let best: { dir: string; mtimeMs: number } | undefined;
    for (const uid of await dirs(root)) {
      const attempts = (await dirs(join(root, uid)))
        .map((d) => /^attempt-(\d+)$/.exec(d)).filter((m): m is RegExpExecArray => m !== null)
        .map((m) => Number(m[1]));
      if (attempts.length === 0) continue;
      const index = attempt ?? Math.max(...attempts);
      if (!attempts.includes(index)) continue;
      const dir = join(root, uid, `attempt-${index}`);
      const mtimeMs = await stat(dir).then((s) => s.mtimeMs, () => 0);
      if (!best || mtimeMs > best.mtimeMs) best = { dir, mtimeMs };
    }
    return best?.dir;
  }
}

async function rankEnded(dir: string, rank: number): Promise<boolean> {
  if (existsSync(files.exit(dir, rank))) return true;
  const state = await readJson<AttemptFile>(files.state(dir));
  const worker = state?.workers.find((w) => w.rank === rank);
  return !state || state.released === true || !worker || worker.phase === 'Exited' || worker.phase === 'Lost';
}

/**
 * Streams a file from the start and keeps following it until `done()` says the writer is gone
 * (training ranks here; serving replicas in the server's replica log source).
 */
export function followFile(path: string, done: () => Promise<boolean>, pollIntervalMs: number): Readable {
  let offset = 0;
  let busy = false;
  const stream = new Readable({
    read() { /* pushed by the poller */ },
    destroy(err, callback) {
      clearInterval(timer);
      callback(err);
    },
  });
  const pump = async (): Promise<void> => {
    if (busy || stream.destroyed) return;
    busy = true;
    try {
      // Decide "finished" before reading, so bytes written just before exit are still sent.
      const finished = await done();
      const handle = await open(path, 'r');
      try {
        for (;;) {
          const chunk = Buffer.alloc(64 * 1024);
          const { bytesRead } = await handle.read(chunk, 0, chunk.length, offset);
          if (bytesRead === 0) break;
          offset += bytesRead;
          if (!stream.destroyed) stream.push(chunk.subarray(0, bytesRead));
        }
      } finally {
        await handle.close();
      }
      if (finished && !stream.destroyed) {
        clearInterval(timer);
        stream.push(null);
      }
    } catch (err) {
      clearInterval(timer);
      if (!stream.destroyed) stream.destroy(err as Error);
    } finally {
      busy = false;
    }
  };
  const timer = setInterval(() => void pump(), pollIntervalMs);
  void pump();
  return stream;
}
