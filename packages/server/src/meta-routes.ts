import type { FastifyInstance } from 'fastify';
import { KINDS, QM_API_VERSION, QmError, openApiDocument } from '@qm/api';
import type { KindInfo } from '@qm/api';
import type { ApiMetrics } from './metrics.js';

/** The platform's release; `/version` reports it. */
export const PLATFORM_VERSION = '0.1.0';

export interface MetaRouteDeps {
  metrics: ApiMetrics;
  isReady: () => boolean;
  gitCommit?: string;
}

/**
 * Non-resource paths: health (public), `/version` (public), `/metrics`, `/openapi/v3`
 * (also `/openapi.json`) and Kubernetes API discovery (`/api`, `/apis`, `/apis/{group}/{version}`),
 * which lets kubectl-style clients find the kinds.
 */
export function registerMetaRoutes(app: FastifyInstance, deps: MetaRouteDeps): void {
  const ok = async () => 'ok';
  app.get('/healthz', { config: { qm: { public: true } } }, ok);
  app.get('/livez', { config: { qm: { public: true } } }, ok);
  app.get('/readyz', { config: { qm: { public: true } } }, async () => {
    if (!deps.isReady()) throw new QmError('ServiceUnavailable', 'the platform is starting or stopping');
    return 'ok';
  });
  app.get('/version', { config: { qm: { public: true } } }, async () => ({
    version: PLATFORM_VERSION,
    apiVersion: QM_API_VERSION,
    ...(deps.gitCommit ? { gitCommit: deps.gitCommit } : {}),
  }));

  app.get('/metrics', async (_request, reply) => reply.type(deps.metrics.contentType()).send(await deps.metrics.text()));
  const openapi = async () => openApiDocument();
  app.get('/openapi/v3', openapi);
  app.get('/openapi.json', openapi);

  registerDiscovery(app);
}

function registerDiscovery(app: FastifyInstance): void {
  const groupVersions = new Map<string, KindInfo[]>();
  for (const info of KINDS) {
    const list = groupVersions.get(info.apiVersion) ?? [];
    list.push(info);
    groupVersions.set(info.apiVersion, list);
  }
  app.get('/api', async () => ({ kind: 'APIVersions', apiVersion: 'v1', versions: ['v1'], serverAddressByClientCIDRs: [] }));
  const groups = [...new Set(KINDS.filter((k) => k.group).map((k) => k.group))].map((group) => {
    const versions = [...new Set(KINDS.filter((k) => k.group === group).map((k) => k.version))]
      .map((version) => ({ groupVersion: `${group}/${version}`, version }));
    return { name: group, versions, preferredVersion: versions[0] };
  });
  app.get('/apis', async () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups }));
  for (const [groupVersion, kinds] of groupVersions) {
    const path = kinds[0].group ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
    app.get(path, async () => ({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: kinds.flatMap(apiResources) }));
  }
}

function apiResources(info: KindInfo): object[] {
  const main = {
    name: info.plural, singularName: info.singular, namespaced: info.namespaced, kind: info.kind,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
  };
  const status = { name: `${info.plural}/status`, singularName: '', namespaced: info.namespaced, kind: info.kind, verbs: ['get', 'patch', 'update'] };
  return info.hasStatus ? [main, status] : [main];
}
