import Fastify, { LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { QmError } from '@qm/api';
import type { Clock, Store, TokenStore } from '@qm/core';
import type { AdmissionPlugin } from './admission.js';
import type { Authorizer } from './auth.js';
import { authenticate, describeRequest, mastersOnlyAuthorizer } from './auth.js';
import { registerBodyParsers } from './body-parsers.js';
import { trackUnusedConnections } from './connection-tracker.js';
import { notFoundHandler, statusErrorHandler } from './http-errors.js';
import type { LogSource } from './log-source.js';
import { registerMetaRoutes } from './meta-routes.js';
import { ApiMetrics } from './metrics.js';
import { requestAttributes, routeInfoOf } from './request-info.js';
import { registerResourceRoutes } from './resource-routes.js';
import { WatchRegistry } from './watch-stream.js';

export interface ServerDeps {
  store: Store & TokenStore;
  clock: Clock;
  /** Pino-compatible; absent = no logging (tests). */
  logger?: FastifyBaseLogger;
  /** Absent = members of `system:masters` may do anything, nobody else anything. */
  authorizer?: Authorizer;
  /** Run in order on every write after validation and defaulting. */
  admission?: AdmissionPlugin[];
  /** Serves `.../trainingjobs/{name}/log`; absent = 404 "no logs are recorded yet". */
  logSource?: LogSource;
  /** What `/readyz` reports; absent = always ready. */
  isReady?: () => boolean;
  gitCommit?: string;
  /** Include Node's process metrics in /metrics (default true). */
  processMetrics?: boolean;
  /** The registry /metrics serves; pass one to let controller loops add their metrics (default: a new one). */
  metrics?: ApiMetrics;
  /** Largest request body accepted, in bytes (default 4 MiB). */
  bodyLimitBytes?: number;
}

/**
 * The HTTP API as a Fastify instance that is not listening yet: tests drive it with
 * `app.inject()`, `startPlatform` calls `listen`. Every request is authenticated and then
 * authorized in one hook before any handler runs; every error is a Kubernetes Status.
 *
 * Example:
 * ```ts
 * const app = createServer({ store, clock });
 * const res = await app.inject({ url: '/apis/ml.quartermaster.dev/v1alpha1/queues', headers: { authorization: `Bearer ${secret}` } });
 * ```
 */
export function createServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    // The onResponse hook counts requests; per-request log lines would only repeat that.
    logController: new LogController({ disableRequestLogging: true }),
    exposeHeadRoutes: false,
    bodyLimit: deps.bodyLimitBytes ?? 4 * 1024 * 1024,
    frameworkErrors: (err, request, reply) => statusErrorHandler(err, request, reply),
  }) as unknown as FastifyInstance;

  const metrics = deps.metrics ?? new ApiMetrics({ processMetrics: deps.processMetrics ?? true });
  const watches = new WatchRegistry();
  const authorizer = deps.authorizer ?? mastersOnlyAuthorizer;

  app.decorateRequest('qmUser', null);
  app.setErrorHandler(statusErrorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerBodyParsers(app);

  app.addHook('onRequest', async (request) => {
    if (routeInfoOf(request).public) return;
    await authenticateAndAuthorize(request, deps.store, authorizer);
  });
  app.addHook('onResponse', async (request, reply) => {
    observe(metrics, request, reply);
  });
  const unusedConnections = trackUnusedConnections(app.server);
  app.addHook('preClose', async () => {
    watches.endAll();
    unusedConnections.destroyAll();
  });

  registerMetaRoutes(app, { metrics, isReady: deps.isReady ?? (() => true), gitCommit: deps.gitCommit });
  registerResourceRoutes(app, {
    store: deps.store, admission: deps.admission ?? [], watches, metrics, logSource: deps.logSource,
  });
  return app;
}

/** The one place where requests are authenticated and authorized. */
async function authenticateAndAuthorize(request: FastifyRequest, tokens: TokenStore, authorizer: Authorizer): Promise<void> {
  const user = await authenticate(request.headers.authorization, tokens);
  request.qmUser = user;
  const { verb, resource, namespace } = requestAttributes(request);
  const decision = await authorizer.authorize(user, verb, resource, namespace);
  if (!decision.allowed) {
    throw new QmError('Forbidden', `user "${user.name}" may not ${describeRequest(verb, resource, namespace)}: ${decision.reason}`,
      { ...(resource.name ? { name: resource.name } : {}), ...(resource.plural ? { kind: resource.plural, group: resource.group } : {}) });
  }
}

const METHOD_VERBS: Record<string, string> = { POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function observe(metrics: ApiMetrics, request: FastifyRequest, reply: FastifyReply): void {
  const kind = routeInfoOf(request).kindInfo?.kind ?? '';
  let verb: string;
  try {
    verb = requestAttributes(request).verb;
  } catch {
    // A method the path does not support (405): label it by what it would have been.
    verb = METHOD_VERBS[request.method] ?? 'get';
  }
  metrics.observe(verb, kind, reply.statusCode, reply.elapsedTime / 1000);
}
