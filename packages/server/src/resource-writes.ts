import { DEFAULT_NAMESPACE, QmError, isQmError } from '@qm/api';
import type { ApiObject, KindInfo } from '@qm/api';
import type { Store } from '@qm/core';
import type { AdmissionPlugin } from './admission.js';
import { runAdmission } from './admission.js';
import type { UserInfo } from './auth.js';
import { conformToPath, forCreate, validateAndDefault, withStatus } from './object-checks.js';
import { isPlainObject, mergePatch } from './merge-patch.js';

/** Everything a write needs to know about the request it serves. */
export interface WriteContext {
  store: Store;
  admission: readonly AdmissionPlugin[];
  kindInfo: KindInfo;
  namespace?: string;
  user: UserInfo;
}

// A patch we resolved ourselves races only with other writers; retry a few times before giving up.
const PATCH_ATTEMPTS = 5;

/**
 * POST on a collection: conform to the path, drop server-set fields, validate (422 with every
 * cause), default, check the namespace exists, run admission, create.
 */
export async function createObject(ctx: WriteContext, body: Record<string, unknown>): Promise<ApiObject> {
  const obj = validateAndDefault(forCreate(conformToPath(body, ctx.kindInfo, ctx.namespace, undefined)), ctx.kindInfo);
  if (ctx.kindInfo.namespaced) await requireNamespace(ctx.store, obj.metadata.namespace as string);
  await runAdmission(ctx.admission, { verb: 'create', kindInfo: ctx.kindInfo, object: obj, user: ctx.user });
  return ctx.store.create(obj);
}

/**
 * PUT on an object (or its status). The body's `metadata.resourceVersion`, when present,
 * must be current (else Conflict). The main resource keeps the stored status; `/status`
 * keeps everything but the status.
 */
export async function updateObject(
  ctx: WriteContext, name: string, body: Record<string, unknown>, subresource?: 'status',
): Promise<ApiObject> {
  const incoming = conformToPath(body, ctx.kindInfo, ctx.namespace, name);
  const current = await getExisting(ctx, name);
  const candidate = subresource === 'status'
    ? withStatus({ ...current, metadata: { ...current.metadata, resourceVersion: incoming.metadata.resourceVersion } },
      incoming.status)
    : keepServerFields(withStatus(incoming, current.status), current);
  return admitAndWrite(ctx, 'update', candidate, current, subresource);
}

/**
 * PATCH with a JSON merge patch: applied to the stored object and written with its
 * resourceVersion, retried when another writer got in between. A patch that carries its
 * own `metadata.resourceVersion` is a precondition, so a Conflict then is the caller's.
 */
export async function patchObject(
  ctx: WriteContext, name: string, patch: Record<string, unknown>, subresource?: 'status',
): Promise<ApiObject> {
  const patchMeta = isPlainObject(patch.metadata) ? patch.metadata : {};
  const callerVersion = typeof patchMeta.resourceVersion === 'string' ? patchMeta.resourceVersion : undefined;
  for (let attempt = 1; ; attempt++) {
    const current = await getExisting(ctx, name);
    const patched = mergePatch(current, patch);
    if (!isPlainObject(patched)) throw new QmError('BadRequest', 'the patch must be a JSON object');
    const conformed = conformToPath(patched, ctx.kindInfo, ctx.namespace, name);
    const resourceVersion = callerVersion ?? current.metadata.resourceVersion;
    const candidate = subresource === 'status'
      ? withStatus({ ...current, metadata: { ...current.metadata, resourceVersion } }, conformed.status)
      : keepServerFields(withStatus({ ...conformed, metadata: { ...conformed.metadata, resourceVersion } },
        current.status), current);
    try {
      return await admitAndWrite(ctx, 'patch', candidate, current, subresource);
    } catch (err) {
      if (!isQmError(err, 'Conflict') || callerVersion !== undefined || attempt >= PATCH_ATTEMPTS) throw err;
    }
  }
}

/** DELETE: preconditions from the body's DeleteOptions; returns what the store returns. */
export async function deleteObject(
  ctx: WriteContext, name: string, preconditions?: { uid?: string; resourceVersion?: string },
): Promise<ApiObject> {
  if (ctx.admission.length > 0) {
    const current = await getExisting(ctx, name);
    await runAdmission(ctx.admission, { verb: 'delete', kindInfo: ctx.kindInfo, object: current, oldObject: current, user: ctx.user });
  }
  return ctx.store.delete(ctx.kindInfo.kind, scopeNamespace(ctx), name, preconditions ? { preconditions } : {});
}

/** GET one object, or NotFound naming it. */
export async function getExisting(ctx: Pick<WriteContext, 'store' | 'kindInfo' | 'namespace'>, name: string): Promise<ApiObject> {
  const obj = await ctx.store.get(ctx.kindInfo.kind, scopeNamespace(ctx), name);
  if (!obj) {
    const where = ctx.kindInfo.namespaced ? ` in namespace "${ctx.namespace}"` : '';
    throw new QmError('NotFound', `${ctx.kindInfo.plural} "${name}" not found${where}`,
      { name, kind: ctx.kindInfo.kind, group: ctx.kindInfo.group });
  }
  return obj;
}

async function admitAndWrite(
  ctx: WriteContext, verb: 'update' | 'patch', candidate: ApiObject, current: ApiObject, subresource?: 'status',
): Promise<ApiObject> {
  const obj = validateAndDefault(candidate, ctx.kindInfo);
  await runAdmission(ctx.admission, {
    verb, kindInfo: ctx.kindInfo, object: obj, oldObject: current, user: ctx.user,
    ...(subresource ? { subresource } : {}),
  });
  return ctx.store.update(obj, subresource ? { subresource } : {});
}

// uid, creation and deletion timestamps are the server's: a client cannot rewrite them.
function keepServerFields(obj: ApiObject, current: ApiObject): ApiObject {
  const metadata = { ...obj.metadata };
  for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp'] as const) {
    if (current.metadata[field] === undefined) delete metadata[field];
    else metadata[field] = current.metadata[field] as string;
  }
  return { ...obj, metadata };
}

async function requireNamespace(store: Store, namespace: string): Promise<void> {
  // `default` always exists in a running platform (created at start), so skip the lookup.
  if (namespace === DEFAULT_NAMESPACE) return;
  const ns = await store.get('Namespace', undefined, namespace);
  if (!ns) {
    throw new QmError('NotFound', `namespace "${namespace}" not found; create it first: qm create namespace ${namespace}`,
      { name: namespace, kind: 'Namespace' });
  }
  if (ns.metadata.deletionTimestamp) {
    throw new QmError('Forbidden', `namespace "${namespace}" is being deleted; no new objects may be created in it`,
      { name: namespace, kind: 'Namespace' });
  }
}

function scopeNamespace(ctx: Pick<WriteContext, 'kindInfo' | 'namespace'>): string | undefined {
  return ctx.kindInfo.namespaced ? ctx.namespace : undefined;
}
