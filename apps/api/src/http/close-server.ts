import type { Server } from 'node:http';

/**
 * Stops accepting connections and waits for in-flight requests to finish.
 * - Idle keep-alive sockets are closed at once (otherwise `close` waits for their timeout).
 * - Busy sockets finish their current request, and its response carries `Connection: close`: a
 *   client under load would otherwise keep sending on its keep-alive socket and hold the server
 *   open until the shutdown deadline.
 * - Whatever is still open after `graceMs` is closed, so HTTP never uses up the whole deadline
 *   that the workers, queues and connections behind it also need.
 */
export function closeServer(server: Server, graceMs = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.prependListener('request', (_req, res) => {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    });
    const force = setTimeout(() => server.closeAllConnections(), graceMs);
    force.unref();
    server.close((error) => {
      clearTimeout(force);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
