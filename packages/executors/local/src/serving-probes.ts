/**
 * Kubernetes-shaped probes for serving replicas: one check (`probeOnce`: httpGet, tcpSocket or
 * exec) and the success/failure thresholds around it (`ProbeTracker`).
 *
 * httpGet and tcpSocket ports: absent, a port name, or the deployment's `spec.port` mean the
 * replica's own PORT (each local replica gets a free one); any other number is used as is.
 *
 * Example:
 * ```ts
 * const result = await probeOnce({ httpGet: { path: '/healthz' }, timeoutSeconds: 1 }, { port: 41234 });
 * // { ok: false, message: 'HTTP 503 from GET /healthz' }
 * const t = new ProbeTracker({ successThreshold: 1, failureThreshold: 3 });
 * t.record(result.ok); // → 'unchanged' | 'succeeded' | 'failed'
 * ```
 */
import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { Probe } from '@qm/api';

export interface ProbeTarget {
  /** The replica's PORT. */
  port: number;
  /** The deployment's spec.port (a probe naming it means the replica's PORT). */
  containerPort?: number;
  /** For exec probes. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface ProbeResult {
  ok: boolean;
  /** Why it failed, in words without timings (so it can sit in status without churn). */
  message: string;
}

function portOf(port: number | string | undefined, target: ProbeTarget): number {
  if (port === undefined || typeof port === 'string' || port === target.containerPort) return target.port;
  return port;
}

function describe(err: NodeJS.ErrnoException): string {
  if (err.code === 'ECONNREFUSED') return 'connection refused';
  if (err.code === 'ECONNRESET') return 'connection reset';
  return err.code ?? err.message;
}

/** Runs the probe once. Never throws: a failure is `{ ok: false, message }`. */
export function probeOnce(probe: Probe, target: ProbeTarget): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) return execProbe(probe.exec.command, timeoutMs, target);
  if (probe.tcpSocket) return tcpProbe(probe.tcpSocket.host ?? '127.0.0.1', portOf(probe.tcpSocket.port, target), timeoutMs);
  const get = probe.httpGet ?? {};
  return httpProbe(get, portOf(get.port, target), timeoutMs);
}

function httpProbe(get: NonNullable<Probe['httpGet']>, port: number, timeoutMs: number): Promise<ProbeResult> {
  const path = get.path ?? '/';
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'qm-probe/1.0', connection: 'close' };
    for (const h of get.httpHeaders ?? []) headers[h.name] = h.value;
    const req = (get.scheme === 'HTTPS' ? httpsRequest : httpRequest)({
      host: get.host ?? '127.0.0.1', port, path, method: 'GET', headers, timeout: timeoutMs, rejectUnauthorized: false,
    }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      // Kubernetes: any code from 200 to 399 is a success.
      resolve(code >= 200 && code < 400 ? { ok: true, message: '' } : { ok: false, message: `HTTP ${code} from GET ${path}` });
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({
      ok: false, message: err.code === 'ETIMEDOUT' ? `GET ${path} timed out after ${timeoutMs / 1000}s` : `GET ${path}: ${describe(err)}`,
    }));
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: ProbeResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ ok: false, message: `tcp ${port}: timed out after ${timeoutMs / 1000}s` }));
    socket.once('connect', () => done({ ok: true, message: '' }));
    socket.once('error', (err: NodeJS.ErrnoException) => done({ ok: false, message: `tcp ${port}: ${describe(err)}` }));
  });
}

function execProbe(command: string[], timeoutMs: number, target: ProbeTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const child = spawn(command[0], command.slice(1), { env: { ...process.env, ...target.env, PORT: String(target.port) }, cwd: target.cwd, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `exec ${command[0]}: ${err.message}` });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ ok: true, message: '' });
      else resolve({ ok: false, message: signal ? `exec ${command[0]} timed out after ${timeoutMs / 1000}s` : `exec ${command[0]} exited with ${code}` });
    });
  });
}

/** Consecutive-result thresholds (successThreshold / failureThreshold) over a stream of probe results. */
export class ProbeTracker {
  private successes = 0;
  private failures = 0;
  /** The state the thresholds last settled on (undefined before either threshold was reached). */
  passing: boolean | undefined;

  constructor(private readonly thresholds: { successThreshold?: number; failureThreshold?: number }) {}

  /** Adds one result; says whether the probe's state flipped. */
  record(ok: boolean): 'unchanged' | 'succeeded' | 'failed' {
    if (ok) {
      this.failures = 0;
      this.successes++;
      if (this.passing !== true && this.successes >= (this.thresholds.successThreshold ?? 1)) {
        this.passing = true;
        return 'succeeded';
      }
    } else {
      this.successes = 0;
      this.failures++;
      if (this.passing !== false && this.failures >= (this.thresholds.failureThreshold ?? 3)) {
        this.passing = false;
        return 'failed';
      }
    }
    return 'unchanged';
  }

  /** Consecutive failures so far. */
  get failureCount(): number {
    return this.failures;
  }

  reset(): void {
    this.successes = 0;
    this.failures = 0;
    this.passing = undefined;
  }
}
