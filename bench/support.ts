/**
 * Shared helpers for benchmarks: percentiles, a fixed-width table, and starting the real
 * server as a child process (so load generator and server do not share one event loop).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function percentile(sortedAscending: number[], p: number): number {
  if (sortedAscending.length === 0) return NaN;
  const rank = Math.min(sortedAscending.length - 1, Math.ceil((p / 100) * sortedAscending.length) - 1);
  return sortedAscending[Math.max(0, rank)];
}

export function printTable(rows: Array<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const headers = Object.keys(rows[0]);
  const cell = (v: string | number) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = headers.map((h) => Math.max(h.length, ...rows.map((r) => cell(r[h] ?? '').length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i])).join('  ');
  console.log(line(headers));
  for (const r of rows) console.log(line(headers.map((h) => cell(r[h] ?? ''))));
}

export interface BenchServer {
  url: string;
  token: string;
  stop(): Promise<void>;
}

/** Starts `node packages/server/dist/main.js` on a free port with a throw-away data dir. */
export async function startBenchServer(extraArgs: string[] = []): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'qm-bench-data-'));
  const qmHome = mkdtempSync(join(tmpdir(), 'qm-bench-home-'));
  const child: ChildProcess = spawn(process.execPath,
    [join(REPO_ROOT, 'packages/server/dist/main.js'), '--port', '0', '--data-dir', dataDir, '--qm-home', qmHome, '--log-level', 'warn', ...extraArgs],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const m = /listening on (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before it was ready`)));
  });
  const token = JSON.parse(readFileSync(join(qmHome, 'config.json'), 'utf8')).token as string;
  return {
    url,
    token,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(qmHome, { recursive: true, force: true });
    },
  };
}

/** A streaming watch on one collection; `when` resolves with performance.now() of the first event that matches. */
export interface BenchWatch {
  when(name: string, ready: (obj: any) => boolean): Promise<number>;
  close(): void;
}

/** Opens `GET {path}?watch=true` and matches each event's object by name against the pending `when` waits. */
export async function openBenchWatch(url: string, token: string, path: string): Promise<BenchWatch> {
  const controller = new AbortController();
  const res = await fetch(`${url}${path}?watch=true`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal });
  const waits: Array<{ name: string; ready: (o: any) => boolean; resolve: (t: number) => void }> = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buffered = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(chunk, { stream: true });
        let nl;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          if (!line.trim()) continue;
          const obj = JSON.parse(line).object;
          const now = performance.now();
          for (let i = waits.length - 1; i >= 0; i--) {
            const w = waits[i]!;
            if (w.name === obj?.metadata?.name && w.ready(obj)) {
              waits.splice(i, 1);
              w.resolve(now);
            }
          }
        }
      }
    } catch { /* aborted */ }
  })();
  return {
    when: (name, ready) => new Promise<number>((resolve) => waits.push({ name, ready, resolve })),
    close: () => controller.abort(),
  };
}
