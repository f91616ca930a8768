/**
 * Lists one kind a page at a time over any backend's ordered scan. The `continue` token
 * names the last (namespace, name) returned, so later pages start strictly after it:
 * objects created meanwhile may appear, none is skipped or repeated.
 */
import { QmError, type ApiObject } from '@qm/api';
import {
  matchesFieldSelector, matchesLabelSelector, parseFieldSelector, parseLabelSelector,
  type ListOptions, type ListResult,
} from '@qm/core';
import { cloneJson } from './json-value.js';
import type { ScanFrom, StorageBackend } from './storage-backend.js';

interface ContinueToken {
  v: 1;
  /** Kind and namespace filter the token was issued for. */
  k: string;
  ns: string | null;
  after: [string, string];
}

export function encodeContinue(kind: string, namespace: string | undefined, last: ApiObject): string {
  const token: ContinueToken = { v: 1, k: kind, ns: namespace ?? null, after: [last.metadata.namespace ?? '', last.metadata.name] };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(text: string, kind: string, namespace: string | undefined): ScanFrom {
  const bad = (why: string): never => {
    throw new QmError('BadRequest', `invalid continue token: ${why}; start the list again without it`, {
      causes: [{ field: 'continue', message: why, reason: 'FieldValueInvalid' }],
    });
  };
  let token: ContinueToken;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
  } catch {
    return bad('it is not a token this server issued');
  }
  if (token?.v !== 1 || !Array.isArray(token.after) || token.after.length !== 2 || !token.after.every((s) => typeof s === 'string')) {
    return bad('it is not a token this server issued');
  }
  if (token.k !== kind || token.ns !== (namespace ?? null)) {
    bad(`it was issued for a list of ${token.k}${token.ns ? ` in namespace ${token.ns}` : ''}, not this one`);
  }
  return { namespace: token.after[0], name: token.after[1] };
}

function checkLimit(limit: number | undefined): number {
  if (limit === undefined) return 0;
  if (!Number.isInteger(limit) || limit < 0) {
    throw new QmError('BadRequest', `limit must be a non-negative integer, got ${String(limit)}`, {
      causes: [{ field: 'limit', message: 'must be a non-negative integer', reason: 'FieldValueInvalid' }],
    });
  }
  return limit;
}

/** One page of `kind`, ordered by (namespace, name). */
export function listPage(backend: StorageBackend, kind: string, opts: ListOptions, resourceVersion: number): ListResult {
  const labels = parseLabelSelector(opts.labelSelector ?? '');
  const fields = parseFieldSelector(opts.fieldSelector ?? '');
  const limit = checkLimit(opts.limit);
  const from = opts.continue ? decodeContinue(opts.continue, kind, opts.namespace) : undefined;
  const selective = labels.length > 0 || fields.length > 0;
  const items: ApiObject[] = [];
  let more = false;
  backend.scan(kind, opts.namespace, from, (obj) => {
    if (selective && !(matchesLabelSelector(labels, obj.metadata.labels) && matchesFieldSelector(fields, obj))) return true;
    if (limit > 0 && items.length === limit) {
      more = true;
      return false;
    }
    items.push(obj);
    return true;
  });
  const result: ListResult = {
    items: backend.freshReads ? items : items.map((o) => cloneJson(o)),
    resourceVersion: String(resourceVersion),
  };
  if (more) {
    const last = items[items.length - 1];
    result.continue = encodeContinue(kind, opts.namespace, last);
    // Like Kubernetes, only without selectors: counting matches would mean reading them all.
    if (!selective) {
      result.remainingItemCount = backend.count(kind, opts.namespace, { namespace: last.metadata.namespace ?? '', name: last.metadata.name });
    }
  }
  return result;
}
