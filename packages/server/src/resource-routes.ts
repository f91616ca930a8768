import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KINDS, QmError } from '@qm/api';
import type { KindInfo } from '@qm/api';
import type { Store } from '@qm/core';
import type { AdmissionPlugin } from './admission.js';
import { requireObjectBody } from './body-parsers.js';
import type { LogSource } from './log-source.js';
import { isPlainObject } from './merge-patch.js';
import type { ApiMetrics } from './metrics.js';
import type { RouteInfo } from './request-info.js';
import { isWatch, routeInfoOf } from './request-info.js';
import { createObject, deleteObject, getExisting, patchObject, updateObject } from './resource-writes.js';
import type { WriteContext } from './resource-writes.js';
import { serveWatch } from './watch-stream.js';
import type { WatchRegistry } from './watch-stream.js';

export interface ResourceRouteDeps {
  store: Store;
  admission: readonly AdmissionPlugin[];
  watches: WatchRegistry;
  metrics: ApiMetrics;
  logSource?: LogSource;
}

// Every method is routed to the one handler set so an unsupported one gets 405, not 404.
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
// Kinds whose objects have process logs at `/log`: training workers, serving replicas.
const LOG_KINDS = new Set(['TrainingJob', 'ModelDeployment']);

/**
 * Registers the REST paths of every kind in KINDS — collection, object, `/status` and (for
 * TrainingJob and ModelDeployment) `/log`; for namespaced kinds also the all-namespaces collection — all served
 * by one generic handler.
 */
export function registerResourceRoutes(app: FastifyInstance, deps: ResourceRouteDeps): void {
  const handler = (request: FastifyRequest, reply: FastifyReply) => serveResource(deps, request, reply);
  const add = (url: string, qm: RouteInfo): void => {
    app.route({ method: [...METHODS], url, config: { qm }, handler });
  };
  for (const kindInfo of KINDS) {
    const prefix = kindInfo.group ? `/apis/${kindInfo.group}/${kindInfo.version}` : `/api/${kindInfo.version}`;
    const base = kindInfo.namespaced ? `${prefix}/namespaces/:namespace/${kindInfo.plural}` : `${prefix}/${kindInfo.plural}`;
    add(base, { kindInfo, target: 'collection' });
    add(`${base}/:name`, { kindInfo, target: 'object' });
    if (kindInfo.hasStatus) add(`${base}/:name/status`, { kindInfo, target: 'object', subresource: 'status' });
    if (LOG_KINDS.has(kindInfo.kind)) add(`${base}/:name/log`, { kindInfo, target: 'object', subresource: 'log' });
    if (kindInfo.namespaced) add(`${prefix}/${kindInfo.plural}`, { kindInfo, target: 'collection', allNamespaces: true });
  }
}

async function serveResource(deps: ResourceRouteDeps, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const route = routeInfoOf(request);
  const kindInfo = route.kindInfo as KindInfo;
  const params = request.params as { namespace?: string; name?: string };
  const query = singleValued(request.query);
  if (query.dryRun !== undefined) throw new QmError('BadRequest', 'dryRun is not supported by this server');
  const ctx: WriteContext = {
    store: deps.store, admission: deps.admission, kindInfo, user: request.qmUser!,
    ...(params.namespace !== undefined ? { namespace: params.namespace } : {}),
  };

  if (route.target === 'collection') {
    if (request.method === 'POST') {
      return reply.code(201).send(await createObject(ctx, requireObjectBody(request, 'write')));
    }
    if (isWatch(query)) {
      await serveWatch(deps.store, deps.watches, request, reply, {
        kindInfo, namespace: params.namespace, labelSelector: query.labelSelector, fieldSelector: query.fieldSelector,
        resourceVersion: query.resourceVersion, timeoutSeconds: optionalInt(query, 'timeoutSeconds'),
      });
      // The stream is hijacked, so onResponse never sees it: count it here (no latency: it lasts).
      deps.metrics.observe('watch', kindInfo.kind, 200);
      return reply;
    }
    return listObjects(deps.store, kindInfo, params.namespace, query);
  }

  const name = params.name as string;
  if (route.subresource === 'log') return serveLog(deps, ctx, name, query, reply);
  const subresource = route.subresource === 'status' ? 'status' as const : undefined;
  switch (request.method) {
    case 'GET': return getExisting(ctx, name);
    case 'PUT': return updateObject(ctx, name, requireObjectBody(request, 'write'), subresource);
    case 'PATCH': return patchObject(ctx, name, requireObjectBody(request, 'patch'), subresource);
    case 'DELETE': {
      if (subresource) throw new QmError('MethodNotAllowed', 'DELETE is not supported on the status subresource');
      return deleteObject(ctx, name, deleteOptions(request.body, query));
    }
    default: throw new QmError('MethodNotAllowed', `${request.method} is not supported on ${request.url.split('?')[0]}`);
  }
}

async function listObjects(
  store: Store, kindInfo: KindInfo, namespace: string | undefined, query: Record<string, string | undefined>,
): Promise<unknown> {
  const limit = optionalInt(query, 'limit');
  const result = await store.list(kindInfo.kind, {
    ...(namespace !== undefined ? { namespace } : {}),
    ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}),
    ...(query.fieldSelector ? { fieldSelector: query.fieldSelector } : {}),
    ...(limit ? { limit } : {}),
    ...(query.continue ? { continue: query.continue } : {}),
  });
  return {
    apiVersion: kindInfo.apiVersion,
    kind: `${kindInfo.kind}List`,
    metadata: {
      resourceVersion: result.resourceVersion,
      ...(result.continue ? { continue: result.continue } : {}),
      ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
    },
    items: result.items,
  };
}

const PROPAGATION_POLICIES = ['Foreground', 'Background', 'Orphan'];

/** Reads Kubernetes DeleteOptions (body or query): propagationPolicy is accepted, preconditions enforced. */
function deleteOptions(body: unknown, query: Record<string, string | undefined>):
  { uid?: string; resourceVersion?: string } | undefined {
  const options = isPlainObject(body) ? body : {};
  const policy = options.propagationPolicy ?? query.propagationPolicy;
  if (policy !== undefined && !PROPAGATION_POLICIES.includes(policy as string)) {
    throw new QmError('BadRequest', `propagationPolicy must be one of ${PROPAGATION_POLICIES.join(', ')}; got ${String(policy)}`);
  }
  if (options.preconditions === undefined) return undefined;
  if (!isPlainObject(options.preconditions)) throw new QmError('BadRequest', 'preconditions must be an object');
  const { uid, resourceVersion } = options.preconditions;
  return {
    ...(typeof uid === 'string' ? { uid } : {}),
    ...(typeof resourceVersion === 'string' ? { resourceVersion } : {}),
  };
}

async function serveLog(
  deps: ResourceRouteDeps, ctx: WriteContext, name: string, query: Record<string, string | undefined>, reply: FastifyReply,
): Promise<unknown> {
  await getExisting(ctx, name);
  const rank = optionalInt(query, 'rank');
  const attempt = optionalInt(query, 'attempt');
  const replica = query.replica === undefined || query.replica === '' ? undefined : query.replica;
  const follow = query.follow === 'true' || query.follow === '1';
  const logs = deps.logSource ? await deps.logSource.open({
    namespace: ctx.namespace as string, name, kind: ctx.kindInfo.kind, follow,
    ...(rank !== undefined ? { rank } : {}), ...(attempt !== undefined ? { attempt } : {}),
    ...(replica !== undefined ? { replica } : {}),
  }) : undefined;
  if (logs === undefined) {
    throw new QmError('NotFound', `no logs are recorded yet for ${ctx.kindInfo.plural} "${name}"`
      + `${rank !== undefined ? ` rank ${rank}` : ''}${replica !== undefined ? ` replica ${replica}` : ''} in namespace "${ctx.namespace}"`,
    { name, kind: ctx.kindInfo.kind, group: ctx.kindInfo.group });
  }
  return reply.type('text/plain; charset=utf-8').send(logs);
}

/** A non-negative integer query parameter, or BadRequest naming it. */
function optionalInt(query: Record<string, string | undefined>, key: string): number | undefined {
  const raw = query[key];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw new QmError('BadRequest', `query parameter ${key} must be a non-negative integer; got "${raw}"`);
  }
  return Number(raw);
}

// `?a=1&a=2` parses as an array; like Kubernetes, the last value wins.
function singleValued(query: unknown): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    out[key] = Array.isArray(value) ? String(value[value.length - 1]) : value === undefined ? undefined : String(value);
  }
  return out;
}
