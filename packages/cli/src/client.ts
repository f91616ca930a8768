import {
  fromStatusObject, QmError, restPathFor,
  type ApiList, type ApiObject, type KindInfo, type StatusObject, type WatchEvent,
} from '@qm/api';
import { CliError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { ndjson } from './ndjson.js';

export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:7070`. */
  server: string;
  token?: string;
  /** Called with one line per request and per response when `-v` is on. */
  verbose?: (line: string) => void;
  /** Aborts every request (Ctrl-C). */
  signal?: AbortSignal;
  /** Appended to a 401's message when no token was found, to say where tokens come from. */
  missingTokenHint?: string;
  /** Per-request timeout for non-streaming requests; default 30 s. */
  requestTimeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  /** Streaming requests (watch, logs -f) have no timeout. */
  streaming?: boolean;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
}

/**
 * The CLI's HTTP client for the Quartermaster REST API (Kubernetes conventions). Non-2xx
 * responses become `QmError`s rebuilt from the server's Status object; an unreachable
 * server becomes a `CliError` that says so.
 *
 * Example:
 * ```ts
 * const client = new QmClient({ server: 'http://127.0.0.1:7070', token });
 * const queues = await client.list(findKindByName('queues')!, undefined);
 * ```
 */
export class QmClient {
  readonly server: string;
  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.server = opts.server.replace(/\/+$/, '');
  }

  /** Sends a request and returns the parsed JSON body (undefined for an empty body). */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.open(method, path, opts);
    const text = await res.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new QmError('InternalError', `the server answered ${method} ${path} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** Sends a request and returns the raw response once its status is known to be 2xx. */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = this.urlFor(path, opts.query);
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.opts.token) headers.Authorization = `Bearer ${this.opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
    }
    const signals = [this.opts.signal, opts.streaming ? undefined : AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000)]
      .filter((s): s is AbortSignal => s !== undefined);
    this.opts.verbose?.(`> ${method} ${url}`);
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, signal: signals.length ? AbortSignal.any(signals) : undefined });
    } catch (err) {
      throw this.connectionError(err);
    }
    this.opts.verbose?.(`< ${res.status} ${res.statusText}`);
    if (res.ok) return res;
    throw await this.errorFrom(res);
  }

  async get(info: KindInfo, namespace: string | undefined, name: string): Promise<ApiObject> {
    return this.request<ApiObject>('GET', restPathFor(info, namespace, name));
  }

  /** Lists every object, following `continue` tokens page by page. */
  async list(info: KindInfo, namespace: string | undefined, query: ListQuery = {}): Promise<ApiList> {
    const path = restPathFor(info, namespace);
    let page = await this.request<ApiList>('GET', path, { query: { ...query, limit: 500 } });
    const items = [...(page.items ?? [])];
    const first = page;
    while (page.metadata?.continue) {
      page = await this.request<ApiList>('GET', path, { query: { ...query, limit: 500, continue: page.metadata.continue } });
      items.push(...(page.items ?? []));
    }
    return { ...first, metadata: { resourceVersion: first.metadata?.resourceVersion ?? '' }, items };
  }

  async create(info: KindInfo, obj: ApiObject): Promise<ApiObject> {
    return this.request<ApiObject>('POST', restPathFor(info, obj.metadata.namespace), { body: obj });
  }

  async update(info: KindInfo, obj: ApiObject): Promise<ApiObject> {
    return this.request<ApiObject>('PUT', restPathFor(info, obj.metadata.namespace, obj.metadata.name), { body: obj });
  }

  async delete(info: KindInfo, namespace: string | undefined, name: string): Promise<unknown> {
    return this.request('DELETE', restPathFor(info, namespace, name));
  }

  /**
   * Watches a collection from `resourceVersion` (exclusive). Ends when the server closes the
   * stream or the signal aborts; a too-old version throws `QmError('Gone')` (relist and retry).
   */
  async *watch(info: KindInfo, namespace: string | undefined, resourceVersion: string, query: ListQuery = {}): AsyncGenerator<WatchEvent> {
    const res = await this.open('GET', restPathFor(info, namespace), {
      query: { ...query, watch: 'true', resourceVersion }, streaming: true,
    });
    if (!res.body) return;
    try {
      for await (const event of ndjson<WatchEvent>(res.body as unknown as AsyncIterable<Uint8Array>)) {
        if (event.type === 'ERROR') {
          const status = event.object as unknown as Partial<StatusObject>;
          throw fromStatusObject(status, typeof status.code === 'number' ? status.code : 500);
        }
        if (event.type === 'BOOKMARK') continue;
        yield event;
      }
    } catch (err) {
      if (this.opts.signal?.aborted) return;
      if (err instanceof QmError) throw err;
      throw this.connectionError(err);
    }
  }

  private urlFor(path: string, query: RequestOptions['query']): string {
    let url: URL;
    try {
      url = new URL(this.server + path);
    } catch {
      throw new CliError(`the server address "${this.server}" is not a valid URL (expected e.g. http://127.0.0.1:7070)`, EXIT_USAGE);
    }
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    return url.toString();
  }

  private async errorFrom(res: Response): Promise<QmError> {
    const text = await res.text().catch(() => '');
    let status: Partial<StatusObject> | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed && typeof parsed === 'object' && ('message' in parsed || 'reason' in parsed)) status = parsed as Partial<StatusObject>;
    } catch { /* not a Status: fall through */ }
    const err = fromStatusObject(status ?? { message: `HTTP ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}` }, res.status);
    if (res.status === 401 && !this.opts.token && this.opts.missingTokenHint) {
      return new QmError(err.code, `${err.message} (${this.opts.missingTokenHint})`, err.details);
    }
    return err;
  }

  private connectionError(err: unknown): Error {
    if (err instanceof CliError || err instanceof QmError) return err;
    const e = err as Error & { cause?: { code?: string; message?: string; errors?: { code?: string }[] } };
    if (e.name === 'AbortError' && this.opts.signal?.aborted) return e;
    if (e.name === 'TimeoutError') {
      return new CliError(`the Quartermaster server at ${this.server} did not answer in time`, EXIT_FAILURE);
    }
    const code = e.cause?.code ?? e.cause?.errors?.[0]?.code;
    if (code === 'ECONNREFUSED') {
      return new CliError(`cannot reach the Quartermaster server at ${this.server} (is \`qm up\` running?)`, EXIT_FAILURE);
    }
    const why = e.cause?.message ?? e.message;
    return new CliError(`cannot reach the Quartermaster server at ${this.server}: ${why} (is \`qm up\` running?)`, EXIT_FAILURE);
  }
}
