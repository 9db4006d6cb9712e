import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from '../src/http/close-server';

function get(agent: http.Agent, port: number): Promise<{ status: number; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection }));
      })
      .on('error', reject);
  });
}

describe('closeServer', () => {
  it('closes while a keep-alive client keeps sending, telling it to close its socket', async () => {
    // Shutdown starts while the 20th request is being handled, so at least that socket is busy at
    // that moment: its client reuses it for the next request, which must be told to close.
    let served = 0;
    let closing: Promise<void> | undefined;
    const server = http.createServer((_req, res) => {
      served += 1;
      if (served === 20) closing = closeServer(server, 60_000);
      setTimeout(() => res.end('ok'), 5);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const answers: Array<{ status: number; connection: string | undefined }> = [];
    // Four clients that send again as soon as an answer arrives, as a load generator does.
    const clients = Array.from({ length: 4 }, async () => {
      for (;;) {
        try {
          answers.push(await get(agent, port));
        } catch {
          return; // the server stopped accepting: this client is done
        }
      }
    });

    await Promise.all(clients);
    await closing;
    agent.destroy();

    expect(server.listening).toBe(false);
    expect(answers.slice(0, 19).every((a) => a.connection === 'keep-alive')).toBe(true);
    expect(answers.some((a) => a.connection === 'close')).toBe(true);
  });

  it('closes connections still open after the grace period', async () => {
    // A handler that never answers: only the grace period can end its connection.
    const server = http.createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const request = http.get({ host: '127.0.0.1', port, path: '/' });
    const failed = new Promise<string>((resolve) => request.on('error', (error) => resolve((error as NodeJS.ErrnoException).code ?? 'error')));
    await new Promise((resolve) => server.once('request', resolve));

    await closeServer(server, 100);

    expect(await failed).toBe('ECONNRESET');
  });
});
