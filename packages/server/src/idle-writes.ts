/**
 * The writes of the idle-GPU loop, each re-read and retried on a write conflict (the scheduler,
 * the training runtime, the HPA and cost loops write the same objects): a status change, the
 * stop mark on a TrainingJob, a ModelDeployment's spec.replicas.
 *
 * Example:
 * ```ts
 * await updateStatus(store, job, (status) => ({ ...status, conditions }));
 * ```
 */
import { isQmError, type ApiObject } from '@qm/api';
import { STOPPED_ANNOTATION, type Store } from '@qm/core';

const ATTEMPTS = 4;

/**
 * Writes `mutate(status)` (undefined = nothing to write) to the status subresource. Returns the
 * stored object, or undefined when it is gone or there was nothing to write.
 */
export async function updateStatus(
  store: Store, obj: ApiObject, mutate: (status: Record<string, any>, obj: ApiObject) => Record<string, any> | undefined,
): Promise<ApiObject | undefined> {
  return retrying(store, obj, async (current) => {
    const status = mutate({ ...(current.status ?? {}) }, current);
    if (!status) return undefined;
    return store.update({ ...current, status }, { subresource: 'status' });
  });
}

/** Sets STOPPED_ANNOTATION (value `reason`) on the object unless it already carries it. */
export async function markStopped(store: Store, obj: ApiObject, reason: string): Promise<ApiObject | undefined> {
  return retrying(store, obj, async (current) => {
    if (current.metadata.annotations?.[STOPPED_ANNOTATION] === reason) return current;
    const annotations = { ...(current.metadata.annotations ?? {}), [STOPPED_ANNOTATION]: reason };
    return store.update({ ...current, metadata: { ...current.metadata, annotations } });
  });
}

/** Sets spec.replicas to `replicas` when it is higher; returns the replicas it had before. */
export async function scaleDownTo(store: Store, obj: ApiObject, replicas: number): Promise<number | undefined> {
  let before: number | undefined;
  await retrying(store, obj, async (current) => {
    before = Number(current.spec?.replicas ?? 1);
    if (before <= replicas) return current;
    return store.update({ ...current, spec: { ...current.spec, replicas } });
  });
  return before;
}

async function retrying(store: Store, obj: ApiObject, write: (current: ApiObject) => Promise<ApiObject | undefined>): Promise<ApiObject | undefined> {
  let current: ApiObject | undefined = obj;
  for (let attempt = 1; current; attempt++) {
    try {
      return await write(current);
    } catch (err) {
      if (isQmError(err, 'NotFound')) return undefined;
      if (!isQmError(err, 'Conflict') || attempt >= ATTEMPTS) throw err;
      current = await store.get(obj.kind, obj.metadata.namespace, obj.metadata.name);
    }
  }
  return undefined;
}
