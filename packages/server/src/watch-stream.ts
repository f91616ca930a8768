import type { FastifyReply, FastifyRequest } from 'fastify';
import type { KindInfo, WatchEvent } from '@qm/api';
import type { Store, WatchHandle } from '@qm/core';

export interface WatchRequest {
  kindInfo: KindInfo;
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Absent or '0': the current state as ADDED events, then changes (Kubernetes semantics). */
  resourceVersion?: string;
  /** Close the stream after this long (the client re-watches from its last version). */
  timeoutSeconds?: number;
}

/** The open watch streams of one server, so closing the server can end them instead of waiting. */
export class WatchRegistry {
  private readonly open = new Set<() => void>();

  add(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  endAll(): void {
    for (const end of [...this.open]) end();
  }

  get size(): number {
    return this.open.size;
  }
}

// A client this far behind is cut off rather than buffered without bound; it re-watches.
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/**
 * Streams `{"type","object"}` lines for a collection. The store watch is opened before any
 * byte is sent, so a too-old resourceVersion fails as an ordinary 410 Status; events that
 * arrive before the headers go out are buffered and sent first. The store watch is closed
 * when the client disconnects, the timeout passes, or the server closes.
 *
 * Example: `GET /apis/ml.quartermaster.dev/v1alpha1/namespaces/a/trainingjobs?watch=true&resourceVersion=42`
 */
export async function serveWatch(
  store: Store, registry: WatchRegistry, request: FastifyRequest, reply: FastifyReply, watch: WatchRequest,
): Promise<void> {
  const selectors = {
    ...(watch.namespace !== undefined ? { namespace: watch.namespace } : {}),
    ...(watch.labelSelector ? { labelSelector: watch.labelSelector } : {}),
    ...(watch.fieldSelector ? { fieldSelector: watch.fieldSelector } : {}),
  };
  const pending: WatchEvent[] = [];
  let fromVersion = watch.resourceVersion;
  if (fromVersion === undefined || fromVersion === '' || fromVersion === '0') {
    const list = await store.list(watch.kindInfo.kind, selectors);
    for (const object of list.items) pending.push({ type: 'ADDED', object });
    fromVersion = list.resourceVersion;
  }

  let deliver: ((event: WatchEvent) => void) | undefined;
  const handle: WatchHandle = await store.watch(
    { kind: watch.kindInfo.kind, ...selectors, resourceVersion: fromVersion },
    (event) => (deliver ? deliver(event) : pending.push(event)),
  );

  reply.hijack();
  const res = reply.raw;
  let ended = false;
  let timer: NodeJS.Timeout | undefined;
  const end = (): void => {
    if (ended) return;
    ended = true;
    deliver = () => undefined;
    handle.close();
    if (timer) clearTimeout(timer);
    unregister();
    // A watch connection is not reused: closing it lets a shutting-down server finish at once.
    res.shouldKeepAlive = false;
    if (!res.writableEnded) res.end();
  };
  const unregister = registry.add(end);
  // The response closes when the client goes away (the request's own 'close' fires early, once read).
  res.on('close', end);
  res.on('error', end);
  if (watch.timeoutSeconds !== undefined && watch.timeoutSeconds > 0) {
    timer = setTimeout(end, watch.timeoutSeconds * 1000);
  }

  res.writeHead(200, {
    'content-type': 'application/json;stream=watch',
    'cache-control': 'no-cache, private',
    'x-content-type-options': 'nosniff',
  });
  res.flushHeaders();
  const write = (event: WatchEvent): void => {
    if (ended) return;
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      request.log.warn({ kind: watch.kindInfo.kind }, 'watch client is too slow; closing its stream');
      end();
      return;
    }
    res.write(`${JSON.stringify(event)}\n`);
  };
  for (const event of pending.splice(0)) write(event);
  deliver = write;
}
