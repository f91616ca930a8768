/**
 * ModelDeployment replica logs for `qm logs md/NAME [--replica R] [-f]` (the kubectl
 * `logs deploy/NAME` shape): reads `<dataDir>/serving/<ns>/<md>/<replica>/replica.log`, which the
 * local serving executor appends to across restarts. Without `replica` it picks the first ready
 * replica (by name), else the first live one, else the only recorded one, as kubectl picks one
 * pod; `replica` is a replica name or a whole-number index into the live replicas sorted by name.
 * A follow stream ends when the replica has no process any more (or the client goes away).
 *
 * Example:
 * ```ts
 * const logs = createReplicaLogSource({ dataDir, replicas: (ns, name) => serving.replicaUsage(ns, name) });
 * await logs.open({ namespace: 'team-nlp', name: 'sentiment', follow: false });              // one ready replica's text
 * await logs.open({ namespace: 'team-nlp', name: 'sentiment', replica: '1', follow: true }); // a Readable
 * ```
 */
import { existsSync, readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QmError } from '@qm/api';
import { followFile } from '@qm/executor-local';
import type { LogRequest, LogSource } from './log-source.js';

/** A replica with a process now, as the serving runtime reports it (`ServingReplicaUsage` fits). */
export interface LiveReplica {
  id: string;
  ready: boolean;
}

export interface ReplicaLogSourceOptions {
  /** The platform's data dir (logs under `<dataDir>/serving`). */
  dataDir: string;
  /** Live replicas of `namespace/name`; the serving runtime's `replicaUsage`. */
  replicas(namespace: string, name: string): readonly LiveReplica[];
  /** How often a follow stream looks for new output. Default 200 ms. */
  pollIntervalMs?: number;
}

export function replicaLogPath(dataDir: string, namespace: string, deployment: string, replica: string): string {
  return join(dataDir, 'serving', namespace, deployment, replica, 'replica.log');
}

/** Resolves which replica a request means; throws NotFound naming the replicas there are. */
export function pickReplica(live: readonly LiveReplica[], recorded: readonly string[], requested: string | undefined, what: string): string | undefined {
  const sorted = [...live].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (requested === undefined || requested === '') {
    return (sorted.find((r) => r.ready) ?? sorted[0])?.id ?? (recorded.length === 1 ? recorded[0] : undefined);
  }
  if (/^\d+$/.test(requested)) {
    const byIndex = sorted[Number(requested)];
    if (byIndex) return byIndex.id;
  }
  if (sorted.some((r) => r.id === requested) || recorded.includes(requested)) return requested;
  const names = sorted.map((r, i) => `${i}=${r.id}`).join(', ');
  throw new QmError('NotFound', `${what} has no replica "${requested}"; live replicas: ${names || 'none'}`,
    { causes: [{ field: 'replica', reason: 'FieldValueNotFound', message: `no replica "${requested}"` }] });
}

export function createReplicaLogSource(opts: ReplicaLogSourceOptions): LogSource {
  const pollIntervalMs = opts.pollIntervalMs ?? 200;
  return {
    async open(request: LogRequest) {
      const { namespace, name } = request;
      const dir = join(opts.dataDir, 'serving', namespace, name);
      const recorded = existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort() : [];
      const replica = pickReplica(opts.replicas(namespace, name), recorded, request.replica, `modeldeployments "${name}" in namespace "${namespace}"`);
      if (replica === undefined) return undefined;
      const path = replicaLogPath(opts.dataDir, namespace, name, replica);
      if (!existsSync(path)) return undefined;
      if (!request.follow) return readFile(path, 'utf8');
      const alive = () => opts.replicas(namespace, name).some((r) => r.id === replica);
      // A replica that is gone has written its last line: read what is there, then end.
      return followFile(path, async () => !alive(), pollIntervalMs);
    },
  };
}
