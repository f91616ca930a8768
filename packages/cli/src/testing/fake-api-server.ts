import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  findKind, findKindByResource, QmError, toStatusObject,
  type ApiObject, type FieldCause, type KindInfo, type WatchEvent,
} from '@qm/api';

/** One request the fake server received (tests assert on these, e.g. "no PUT was sent"). */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  body?: unknown;
  authorization?: string;
}

export interface FakeApiOptions {
  /** When set, every request except /version must carry `Authorization: Bearer <token>`. */
  token?: string;
  /** Field-level validation for creates and updates; any cause → 422 Invalid with all of them. */
  validate?: (obj: ApiObject) => FieldCause[];
  /** When true, namespaced writes into a namespace without a Namespace object get 404. */
  requireNamespaces?: boolean;
  /** Watch log entries older than this resourceVersion answer 410 Gone. */
  oldestWatchVersion?: number;
}

/** Answers a request itself, or returns 'next' to let the built-in behaviour answer it. */
type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void | 'next' | Promise<void | 'next'>;

/**
 * A small in-memory Kubernetes-style API server for the CLI's unit tests: create/get/list/
 * update/delete with resourceVersions and 409s, label/field selectors (equality only), NDJSON
 * watches with 410 for stale versions, Status error bodies. Not the real server — just
 * enough of the contract to exercise the client end to end without one.
 *
 * Example:
 * ```ts
 * const api = await startFakeApi({ token: 't' });
 * // … runCli(['get', 'queues'], bufferIo({ env: { QM_SERVER: api.url, QM_TOKEN: 't' } })) …
 * await api.close();
 * ```
 */
export class FakeApi {
  readonly requests: RecordedRequest[] = [];
  readonly objects = new Map<string, ApiObject>();
  private readonly log: { rv: number; event: WatchEvent }[] = [];
  private readonly watchers = new Set<{ info: KindInfo; namespace?: string; res: ServerResponse }>();
  private readonly overrides: { method: string; pattern: RegExp; handler: Handler }[] = [];
  private version = 100;
  private server!: Server;
  url = '';

  constructor(readonly opts: FakeApiOptions = {}) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers matching requests with `handler` instead of the built-in behaviour. */
  override(method: string, pattern: RegExp, handler: Handler): void {
    this.overrides.push({ method, pattern, handler });
  }

  /** Stores an object directly (server-side), as a controller would; returns the stored copy. */
  put(obj: ApiObject): ApiObject {
    const info = findKind(obj.kind);
    if (!info) throw new QmError('NotFound', `unknown kind ${obj.kind}`);
    const key = keyOf(info, obj.metadata.namespace, obj.metadata.name);
    const existed = this.objects.has(key);
    const stored = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.version);
    stored.metadata.uid ??= `uid-${this.version}`;
    stored.metadata.creationTimestamp ??= new Date().toISOString();
    this.objects.set(key, stored);
    this.emit(info, { type: existed ? 'MODIFIED' : 'ADDED', object: stored });
    return structuredClone(stored);
  }

  get currentVersion(): number {
    return this.version;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    try {
      const body = await readBody(req);
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), body, authorization: req.headers.authorization });
      const override = this.overrides.find((o) => o.method === req.method && o.pattern.test(url.pathname));
      if (url.pathname === '/version') return sendJson(res, 200, { version: '0.1.0', apiVersion: 'ml.quartermaster.dev/v1alpha1' });
      if (this.opts.token && req.headers.authorization !== `Bearer ${this.opts.token}`) throw new QmError('Unauthorized', 'the bearer token is missing or unknown');
      if (override && (await override.handler(req, res, url)) !== 'next') return;
      await this.route(req.method ?? 'GET', url, body, res);
    } catch (err) {
      const qe = err instanceof QmError ? err : new QmError('InternalError', String(err));
      sendJson(res, qe.httpStatus, toStatusObject(qe));
    }
  }

  private async route(method: string, url: URL, body: unknown, res: ServerResponse): Promise<void> {
    const { info, namespace, name } = parsePath(url.pathname);
    if (method === 'GET' && name) return sendJson(res, 200, this.mustGet(info, namespace, name));
    if (method === 'GET' && url.searchParams.get('watch') === 'true') return this.watch(info, namespace, url, res);
    if (method === 'GET') {
      const items = [...this.objects.values()].filter((o) => o.kind === info.kind && (!namespace || o.metadata.namespace === namespace))
        .filter((o) => matches(o, url.searchParams.get('labelSelector'), url.searchParams.get('fieldSelector')))
        .sort((a, b) => keyOf(info, a.metadata.namespace, a.metadata.name).localeCompare(keyOf(info, b.metadata.namespace, b.metadata.name)));
      return sendJson(res, 200, { apiVersion: info.apiVersion, kind: `${info.kind}List`, metadata: { resourceVersion: String(this.version) }, items });
    }
    const obj = body as ApiObject;
    if (method === 'POST') {
      this.checkWrite(info, obj);
      if (this.objects.has(keyOf(info, obj.metadata.namespace, obj.metadata.name))) {
        throw new QmError('AlreadyExists', `${info.plural} "${obj.metadata.name}" already exists`);
      }
      return sendJson(res, 201, this.put(obj));
    }
    if (method === 'PUT' && name) {
      const stored = this.mustGet(info, namespace, name);
      this.checkWrite(info, obj);
      if (obj.metadata.resourceVersion && obj.metadata.resourceVersion !== stored.metadata.resourceVersion) {
        throw new QmError('Conflict', `${info.plural} "${name}" was modified; reload and retry`);
      }
      return sendJson(res, 200, this.put({ ...obj, status: stored.status }));
    }
    if (method === 'DELETE' && name) {
      const stored = this.mustGet(info, namespace, name);
      this.objects.delete(keyOf(info, namespace, name));
      this.version++;
      this.emit(info, { type: 'DELETED', object: stored });
      return sendJson(res, 200, stored);
    }
    throw new QmError('MethodNotAllowed', `${method} is not supported on ${url.pathname}`);
  }

  private checkWrite(info: KindInfo, obj: ApiObject): void {
    const causes = this.opts.validate?.(obj) ?? [];
    if (causes.length > 0) {
      throw new QmError('Invalid', `${info.kind} "${obj.metadata?.name}" is invalid`, { kind: info.kind, name: obj.metadata?.name, causes });
    }
    const ns = obj.metadata?.namespace;
    if (this.opts.requireNamespaces && info.namespaced && ns && ![...this.objects.values()].some((o) => o.kind === 'Namespace' && o.metadata.name === ns)) {
      throw new QmError('NotFound', `namespaces "${ns}" not found`);
    }
  }

  private mustGet(info: KindInfo, namespace: string | undefined, name: string): ApiObject {
    const obj = this.objects.get(keyOf(info, namespace, name));
    if (!obj) throw new QmError('NotFound', `${info.plural} "${name}" not found`);
    return obj;
  }

  private watch(info: KindInfo, namespace: string | undefined, url: URL, res: ServerResponse): void {
    const from = Number(url.searchParams.get('resourceVersion') ?? this.version);
    if (this.opts.oldestWatchVersion !== undefined && from < this.opts.oldestWatchVersion) {
      throw new QmError('Gone', `too old resource version: ${from} (${this.opts.oldestWatchVersion})`);
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    for (const entry of this.log) {
      if (entry.rv > from && entry.event.object.kind === info.kind && (!namespace || entry.event.object.metadata.namespace === namespace)) {
        res.write(`${JSON.stringify(entry.event)}\n`);
      }
    }
    const watcher = { info, namespace, res };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }

  private emit(info: KindInfo, event: WatchEvent): void {
    const copy = structuredClone(event);
    this.log.push({ rv: this.version, event: copy });
    for (const w of this.watchers) {
      if (w.info.kind === info.kind && (!w.namespace || w.namespace === event.object.metadata.namespace)) w.res.write(`${JSON.stringify(copy)}\n`);
    }
  }
}

export async function startFakeApi(opts: FakeApiOptions = {}): Promise<FakeApi> {
  return new FakeApi(opts).start();
}

function parsePath(pathname: string): { info: KindInfo; namespace?: string; name?: string } {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  let group = '';
  let version: string;
  let rest: string[];
  if (parts[0] === 'api') [version, rest] = [parts[1], parts.slice(2)];
  else if (parts[0] === 'apis') [group, version, rest] = [parts[1], parts[2], parts.slice(3)];
  else throw new QmError('NotFound', `no route for ${pathname}`);
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  const info = findKindByResource(group, version, rest[0]);
  if (!info) throw new QmError('NotFound', `the server has no resource ${rest[0]} in ${group || 'core'}/${version}`);
  return { info, namespace, name: rest[1] };
}

function keyOf(info: KindInfo, namespace: string | undefined, name: string): string {
  return `${info.kind}/${info.namespaced ? namespace ?? '' : ''}/${name}`;
}

/** Equality-only selectors: `a=b,c=d` on labels; `x.y=z` on dotted field paths. */
function matches(obj: ApiObject, labelSelector: string | null, fieldSelector: string | null): boolean {
  const pairs = (s: string | null) => (s ? s.split(',').map((p) => p.split('=')) : []);
  const labelsOk = pairs(labelSelector).every(([k, v]) => obj.metadata.labels?.[k] === v);
  const fieldsOk = pairs(fieldSelector).every(([path, v]) => String(path.split('.').reduce<any>((o, k) => o?.[k], obj)) === v);
  return labelsOk && fieldsOk;
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  let text = '';
  for await (const chunk of req) text += chunk;
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new QmError('BadRequest', 'the body is not JSON');
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}
