import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The API server's Prometheus metrics on a private registry (so several servers in one
 * process, as in tests, do not collide).
 *
 * Example: `metrics.observe('create', 'TrainingJob', 201, 0.004)`
 */
export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'qm_apiserver_requests_total',
    help: 'API requests by verb, kind and HTTP status code.',
    labelNames: ['verb', 'kind', 'code'] as const,
    registers: [this.registry],
  });

  private readonly duration = new Histogram({
    name: 'qm_apiserver_request_duration_seconds',
    help: 'API request latency by verb and kind (watches excluded: they last as long as the client stays).',
    labelNames: ['verb', 'kind'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(opts: { processMetrics?: boolean } = {}) {
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one request; `durationSeconds` undefined (watches) skips the latency histogram. */
  observe(verb: string, kind: string, code: number, durationSeconds?: number): void {
    this.requests.inc({ verb, kind, code: String(code) });
    if (durationSeconds !== undefined) this.duration.observe({ verb, kind }, durationSeconds);
  }

  contentType(): string {
    return this.registry.contentType;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
