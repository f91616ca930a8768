import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Remembers connections that have not sent a request yet. Node's `server.close()` waits for
 * them (they are not "idle" to it) until the headers timeout, about a minute; clients such as
 * undici open them ahead of need. Closing the server destroys them, since no work is lost.
 *
 * Example: `const unused = trackUnusedConnections(app.server); app.addHook('preClose', async () => unused.destroyAll());`
 */
export function trackUnusedConnections(server: Server): { destroyAll(): void } {
  const unused = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    unused.add(socket);
    socket.once('close', () => unused.delete(socket));
  });
  server.on('request', (request: { socket: Socket }) => unused.delete(request.socket));
  return {
    destroyAll() {
      for (const socket of unused) socket.destroy();
      unused.clear();
    },
  };
}
