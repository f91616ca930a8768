/**
 * Admission plugin: refuses a new TrainingJob or ModelDeployment (create only) while a Budget
 * with `action: BlockNewWorkloads` covering its namespace or queue is blocking, with a 403 that
 * names the budget. Updates, deletes and running workloads are never touched.
 *
 * The queue is the one the scheduler would route to: `spec.queue`, else the first Queue (by
 * name) whose `spec.namespaces` lists the namespace.
 *
 * Example:
 * ```ts
 * createServer({ store, clock, admission: [budgetAdmission({ store, clock })] });
 * ```
 */
import type { ApiObject, Budget } from '@qm/api';
import { blockingBudget, budgetAdmissionError, type Clock, type Store } from '@qm/core';
import type { AdmissionPlugin } from './admission.js';

const GUARDED = new Set(['TrainingJob', 'ModelDeployment']);

export function budgetAdmission(deps: { store: Store; clock: Clock }): AdmissionPlugin {
  return async ({ verb, kindInfo, subresource, object }) => {
    if (verb !== 'create' || subresource || !GUARDED.has(kindInfo.kind)) return;
    const budgets = ((await deps.store.list('Budget')).items as Budget[])
      .filter((b) => b.spec.action === 'BlockNewWorkloads' && b.status?.blocking === true);
    if (budgets.length === 0) return;
    const namespace = object.metadata.namespace ?? '';
    const queue = await routedQueue(deps.store, object);
    const blocker = blockingBudget(budgets, { namespace, ...(queue ? { queue } : {}) }, deps.clock.now());
    if (blocker) throw budgetAdmissionError(blocker);
  };
}

async function routedQueue(store: Store, obj: ApiObject): Promise<string | undefined> {
  if (typeof obj.spec?.queue === 'string' && obj.spec.queue !== '') return obj.spec.queue;
  const queues = (await store.list('Queue')).items.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return queues.find((q) => Array.isArray(q.spec?.namespaces) && q.spec.namespaces.includes(obj.metadata.namespace))?.metadata.name;
}
