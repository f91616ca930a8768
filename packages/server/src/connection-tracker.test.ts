import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { trackUnusedConnections } from './connection-tracker.js';

// Without the tracker, server.close() would wait about a minute for the silent connection.
test('trackUnusedConnections: closing destroys connections that never sent a request', { timeout: 10_000 }, async () => {
  const server = createServer((_req, res) => res.end('ok'));
  const unused = trackUnusedConnections(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const silent = connect(port, '127.0.0.1');
  await once(silent, 'connect');
  const used = await fetch(`http://127.0.0.1:${port}/`);
  assert.equal(await used.text(), 'ok');

  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  unused.destroyAll();
  await once(silent, 'close');
  await closed;
});
