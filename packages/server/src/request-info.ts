import type { FastifyRequest } from 'fastify';
import { QmError } from '@qm/api';
import type { KindInfo } from '@qm/api';
import type { ResourceAttributes, UserInfo, Verb } from './auth.js';

/**
 * What a route serves, attached as Fastify route `config.qm`. Resource routes name their
 * kind and whether they address the collection or one object (and which subresource);
 * other routes are non-resource paths, some of them public (no token needed).
 */
export interface RouteInfo {
  kindInfo?: KindInfo;
  target?: 'collection' | 'object';
  subresource?: 'status' | 'log';
  /** The all-namespaces collection of a namespaced kind: list and watch only. */
  allNamespaces?: boolean;
  /** Served without authentication (health and version). */
  public?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    qm?: RouteInfo;
  }
  interface FastifyRequest {
    /** Set by the authentication hook; null only on public paths. */
    qmUser: UserInfo | null;
  }
}

/** The RouteInfo of the route that matched, or `{}` for unknown paths. */
export function routeInfoOf(request: FastifyRequest): RouteInfo {
  return request.routeOptions.config?.qm ?? {};
}

export interface RequestAttributes {
  verb: Verb;
  resource: ResourceAttributes;
  namespace?: string;
}

/**
 * The verb, resource and namespace a request asks for: what authorization decides on and
 * what the metrics are labelled with. A method the path does not support is MethodNotAllowed.
 */
export function requestAttributes(request: FastifyRequest): RequestAttributes {
  const route = routeInfoOf(request);
  const params = (request.params ?? {}) as { namespace?: string; name?: string };
  if (!route.kindInfo || !route.target) {
    return {
      verb: request.method === 'GET' || request.method === 'HEAD' ? 'get' : methodVerb(request.method) ?? 'get',
      resource: { group: '', plural: '', nonResourcePath: request.url.split('?')[0] },
    };
  }
  const verb = resourceVerb(request.method, route.target, isWatch(request.query));
  if (!verb || (route.allNamespaces && verb === 'create')) {
    throw new QmError('MethodNotAllowed', `${request.method} is not supported on ${request.url.split('?')[0]}`
      + (route.allNamespaces ? `; to create ${route.kindInfo.plural}, POST to ${collectionHint(route.kindInfo)}` : ''));
  }
  return {
    verb,
    resource: {
      group: route.kindInfo.group,
      plural: route.kindInfo.plural,
      ...(route.subresource ? { subresource: route.subresource } : {}),
      ...(params.name !== undefined ? { name: params.name } : {}),
    },
    ...(route.kindInfo.namespaced && params.namespace !== undefined ? { namespace: params.namespace } : {}),
  };
}

/** The verb for a method on a collection or object path; undefined when not supported. */
export function resourceVerb(method: string, target: 'collection' | 'object', watch: boolean): Verb | undefined {
  if (target === 'collection') {
    if (method === 'GET') return watch ? 'watch' : 'list';
    if (method === 'POST') return 'create';
    return undefined;
  }
  if (method === 'GET') return 'get';
  if (method === 'POST') return undefined;
  return methodVerb(method);
}

function methodVerb(method: string): Verb | undefined {
  switch (method) {
    case 'PUT': return 'update';
    case 'PATCH': return 'patch';
    case 'DELETE': return 'delete';
    case 'POST': return 'create';
    default: return undefined;
  }
}

/** `?watch=true` or `?watch=1` (Kubernetes accepts both). */
export function isWatch(query: unknown): boolean {
  const value = (query as Record<string, unknown> | undefined)?.watch;
  return value === 'true' || value === '1' || value === '';
}

function collectionHint(info: KindInfo): string {
  const prefix = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  return `${prefix}/namespaces/{namespace}/${info.plural}`;
}
