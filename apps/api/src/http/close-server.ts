import type { Server } from 'node:http';

/**
 * Stops accepting connections and waits for in-flight requests. Idle keep-alive sockets are closed
 * at once (otherwise `close` waits for their timeout); busy ones finish their current request.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
