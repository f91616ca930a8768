// Shared by this package's tests: a server over a real store, tokens, and request helpers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { MemoryStore, openSqliteStore } from '@qm/store';
import type { Store, TokenStore } from '@qm/core';
import type { AdmissionPlugin } from './admission.js';
import { mintToken } from './auth.js';
import type { LogSource } from './log-source.js';
import { ensureNamespace } from './platform.js';
import { createServer } from './server.js';

export const QM = '/apis/ml.quartermaster.dev/v1alpha1';

export interface TestServer {
  app: FastifyInstance;
  store: Store & TokenStore;
  adminToken: string;
  /** A token for user alice (group team-a), who is not an admin. */
  aliceToken: string;
  call(method: string, url: string, body?: unknown, opts?: { token?: string | null; contentType?: string; raw?: string }): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** A server (not listening) over SQLite in a temp dir, or over MemoryStore when `memory` is set. */
export async function startTestServer(opts: {
  memory?: boolean; admission?: AdmissionPlugin[]; logSource?: LogSource; processMetrics?: boolean;
} = {}): Promise<TestServer> {
  const clock = { now: () => Date.now() };
  const dir = opts.memory ? undefined : await mkdtemp(join(tmpdir(), 'qm-server-test-'));
  const store: Store & TokenStore = dir ? await openSqliteStore(join(dir, 'qm.db'), clock) : new MemoryStore(clock);
  const admin = mintToken('admin', ['system:masters']);
  const alice = mintToken('alice', ['team-a']);
  await store.addToken(admin.record);
  await store.addToken(alice.record);
  await ensureNamespace(store, 'default');
  await ensureNamespace(store, 'team-a');
  const app = createServer({
    store, clock, processMetrics: opts.processMetrics ?? false,
    ...(opts.admission ? { admission: opts.admission } : {}),
    ...(opts.logSource ? { logSource: opts.logSource } : {}),
  });
  return {
    app, store, adminToken: admin.secret, aliceToken: alice.secret,
    call(method, url, body, callOpts = {}) {
      const token = callOpts.token === undefined ? admin.secret : callOpts.token;
      const headers: Record<string, string> = {};
      if (token !== null) headers.authorization = `Bearer ${token}`;
      let payload: string | undefined = callOpts.raw;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) {
        headers['content-type'] = callOpts.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
      }
      return app.inject({ method: method as 'GET', url, headers, ...(payload !== undefined ? { payload } : {}) });
    },
    async close() {
      await app.close();
      await store.close();
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
