/**
 * `qm load URL --rps N --duration D [--concurrency C] [-o json]`: an open-loop HTTP load
 * generator. Request i is due at start + i/rps whatever happened to the earlier ones (a slow
 * server does not slow the offered rate down, as real users would not), and its latency counts
 * from when it was due, so queueing in the client is not hidden (no coordinated omission).
 * When `--concurrency` requests are already in flight a due request is not sent and counts as
 * an error of kind `dropped`.
 *
 * Example:
 * ```console
 * $ qm load http://127.0.0.1:8080/team-a/chat/v1/score --rps 200 --duration 30s
 * sent 6000 in 30.0s (200.0 req/s achieved, target 200)
 * ok 5990  errors 10 (http_503: 10)
 * latency ms  p50 4.1  p90 7.9  p99 21.3  max 40.2
 * ```
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { QmError, parseDurationSeconds } from '@qm/api';
import type { CommandModule } from './context.js';

export interface LoadOptions {
  url: string;
  /** Target requests per second (> 0). */
  rps: number;
  durationMs: number;
  /** Most requests in flight; a request due beyond it is dropped. Default 1000. */
  concurrency?: number;
  method?: string;
  body?: string;
  /** Per request; a request still unanswered is an error of kind `timeout`. Default 30 000. */
  timeoutMs?: number;
  /** Monotonic ms (tests may pass their own); default performance.now. */
  now?: () => number;
}

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export interface LoadResult {
  url: string;
  targetRps: number;
  /** Requests that were due (sent + dropped). */
  scheduled: number;
  sent: number;
  ok: number;
  /** Wall time from the first due request to the last answer. */
  elapsedMs: number;
  /** Answers (any status) per second of elapsed time. */
  achievedRps: number;
  /** Error counts by kind: http_<status>, connect, timeout, reset, dropped, other. */
  errors: Record<string, number>;
  errorCount: number;
  /** Of answered requests (any status), from when each was due; null when none was answered. */
  latencyMs: LatencySummary | null;
}

function invalid(field: string, message: string): QmError {
  return new QmError('Invalid', `${field}: ${message}`, { causes: [{ field, reason: 'FieldValueInvalid', message }] });
}

/** Checks and fills options; bad values throw QmError naming the flag. */
export function resolveLoadOptions(o: LoadOptions): Required<Omit<LoadOptions, 'body'>> & { body?: string; target: URL } {
  let target: URL;
  try {
    target = new URL(o.url);
  } catch {
    throw invalid('URL', `not a valid URL: ${o.url}`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw invalid('URL', `must be http or https, got ${target.protocol}`);
  if (!(Number.isFinite(o.rps) && o.rps > 0)) throw invalid('--rps', `must be a number > 0, got ${o.rps}`);
  if (!(Number.isFinite(o.durationMs) && o.durationMs > 0)) throw invalid('--duration', `must be > 0, got ${o.durationMs} ms`);
  const concurrency = o.concurrency ?? 1000;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw invalid('--concurrency', `must be an integer ≥ 1, got ${concurrency}`);
  const timeoutMs = o.timeoutMs ?? 30_000;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) throw invalid('--timeout', `must be > 0, got ${timeoutMs} ms`);
  return { ...o, target, concurrency, timeoutMs, method: (o.method ?? (o.body !== undefined ? 'POST' : 'GET')).toUpperCase(), now: o.now ?? (() => performance.now()) };
}

/** Nearest-rank percentile of sorted values. */
export function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

function errorKind(err: NodeJS.ErrnoException): string {
  switch (err.code) {
    case 'ECONNREFUSED': case 'ENOTFOUND': case 'EHOSTUNREACH': case 'EAI_AGAIN': return 'connect';
    case 'ECONNRESET': case 'EPIPE': return 'reset';
    case 'ETIMEDOUT': return 'timeout';
    default: return 'other';
  }
}

/** Runs the load and resolves when every sent request has been answered or has failed. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const o = resolveLoadOptions(options);
  const https = o.target.protocol === 'https:';
  const agent = https ? new HttpsAgent({ keepAlive: true, maxSockets: o.concurrency }) : new HttpAgent({ keepAlive: true, maxSockets: o.concurrency });
  const send = https ? httpsRequest : httpRequest;
  const total = Math.max(1, Math.floor((o.rps * o.durationMs) / 1000));
  const intervalMs = 1000 / o.rps;
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const fail = (kind: string) => { errors[kind] = (errors[kind] ?? 0) + 1; };
  let inFlight = 0;
  let sent = 0;
  let ok = 0;
  let lastAnswerMs = 0;
  const start = o.now();
  const body = o.body !== undefined ? Buffer.from(o.body) : undefined;

  const fire = (dueMs: number): Promise<void> => new Promise((resolve) => {
    inFlight++;
    sent++;
    let done = false;
    const finish = (kind: string | undefined, answered: boolean) => {
      if (done) return;
      done = true;
      inFlight--;
      const t = o.now();
      if (answered) {
        latencies.push(t - dueMs);
        lastAnswerMs = Math.max(lastAnswerMs, t);
      }
      if (kind) fail(kind);
      else ok++;
      resolve();
    };
    const req = send(o.target, { method: o.method, agent, headers: body ? { 'content-length': body.length, 'content-type': 'application/json' } : {} }, (res) => {
      res.on('data', () => {});
      res.on('end', () => finish(res.statusCode !== undefined && res.statusCode >= 400 ? `http_${res.statusCode}` : undefined, true));
      res.on('error', (err) => finish(errorKind(err), false));
    });
    req.setTimeout(o.timeoutMs, () => {
      finish('timeout', false);
      req.destroy();
    });
    req.on('error', (err) => finish(errorKind(err as NodeJS.ErrnoException), false));
    req.end(body);
  });

  const pending: Promise<void>[] = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    // Wake often and send everything that is due: timers are late sometimes; the schedule is not.
    const tick = () => {
      const now = o.now();
      while (next < total && start + next * intervalMs <= now) {
        const due = start + next * intervalMs;
        next++;
        if (inFlight >= o.concurrency) fail('dropped');
        else pending.push(fire(due));
      }
      if (next >= total) return resolve();
      setTimeout(tick, Math.max(0, Math.min(intervalMs, start + next * intervalMs - o.now())));
    };
    tick();
  });
  await Promise.all(pending);
  agent.destroy();
  const elapsedMs = Math.max(lastAnswerMs - start, (total - 1) * intervalMs, 1);
  latencies.sort((a, b) => a - b);
  const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);
  return {
    url: o.url, targetRps: o.rps, scheduled: total, sent, ok,
    elapsedMs, achievedRps: (sent - (errors.connect ?? 0) - (errors.timeout ?? 0) - (errors.reset ?? 0) - (errors.other ?? 0)) / (elapsedMs / 1000),
    errors: Object.fromEntries(Object.entries(errors).sort(([a], [b]) => a.localeCompare(b))), errorCount,
    latencyMs: latencies.length === 0 ? null : {
      p50: percentileOf(latencies, 50), p90: percentileOf(latencies, 90), p99: percentileOf(latencies, 99),
      max: latencies[latencies.length - 1], mean: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    },
  };
}

const f1 = (n: number) => n.toFixed(1);

/** The human-readable summary. */
export function formatLoadResult(r: LoadResult): string {
  const errs = Object.entries(r.errors).map(([k, n]) => `${k}: ${n}`).join(', ');
  const lat = r.latencyMs;
  return [
    `sent ${r.sent} of ${r.scheduled} in ${f1(r.elapsedMs / 1000)}s (${f1(r.achievedRps)} req/s achieved, target ${r.targetRps})`,
    `ok ${r.ok}  errors ${r.errorCount}${errs ? ` (${errs})` : ''}`,
    lat ? `latency ms  p50 ${f1(lat.p50)}  p90 ${f1(lat.p90)}  p99 ${f1(lat.p99)}  max ${f1(lat.max)}` : 'latency ms  (no answers)',
  ].join('\n') + '\n';
}

export const loadCommand: CommandModule = {
  name: 'load',
  register(program, ctx) {
    program
      .command('load')
      .description('Generate open-loop HTTP load on a URL and print the achieved rate, errors and latency percentiles')
      .argument('<url>', 'the URL to request, e.g. a ModelDeployment endpoint')
      .requiredOption('--rps <n>', 'target requests per second', Number)
      .requiredOption('--duration <d>', 'how long to send, e.g. 30s, 2m')
      .option('--concurrency <n>', 'most requests in flight; beyond it a due request is dropped (default 1000)', Number)
      .option('--method <m>', 'HTTP method (default GET, or POST with --body)')
      .option('--body <json>', 'request body')
      .option('--timeout <d>', 'per-request timeout (default 30s)')
      .option('-o, --output <format>', 'text (default) or json')
      .action(async (url: string, opts: { rps: number; duration: string; concurrency?: number; method?: string; body?: string; timeout?: string; output?: string }) => {
        try {
          if (opts.output !== undefined && opts.output !== 'json' && opts.output !== 'text') throw invalid('--output', `must be text or json, got ${opts.output}`);
          const seconds = (flag: string, v: string) => {
            try {
              return parseDurationSeconds(v);
            } catch (err) {
              throw invalid(flag, err instanceof Error ? err.message : String(err));
            }
          };
          const result = await runLoad({
            url, rps: opts.rps, durationMs: seconds('--duration', opts.duration) * 1000, concurrency: opts.concurrency,
            method: opts.method, body: opts.body, timeoutMs: opts.timeout === undefined ? undefined : seconds('--timeout', opts.timeout) * 1000,
          });
          ctx.io.stdout.write(opts.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatLoadResult(result));
          if (result.errorCount > 0) ctx.fail(1);
        } catch (err) {
          ctx.reportError(err);
        }
      });
  },
};
