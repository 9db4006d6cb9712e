import net from 'node:net';

export interface FaultProxyOptions {
  /** Where the real service listens, e.g. { host: '127.0.0.1', port: 5432 }. */
  target: { host: string; port: number };
  /** Port to listen on; 0 picks a free one. */
  port?: number;
}

type Mode = 'pass' | 'cut';

/**
 * A TCP proxy between an app and Postgres or Redis that tests can break on purpose: cut every
 * connection and refuse new ones, add latency, or reset live connections -- without touching the
 * system services. Point the app's DATABASE_URL / REDIS_URL at `proxy.url(...)`.
 */
export class FaultProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private mode: Mode = 'pass';
  private latencyMs = 0;
  port = 0;

  constructor(private readonly options: FaultProxyOptions) {}

  async start(): Promise<this> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  /** `scheme://[auth@]127.0.0.1:<proxy port>[/path]` for a URL of the real service. */
  url(realUrl: string): string {
    const parsed = new URL(realUrl);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.port);
    return parsed.toString();
  }

  /** Drops every open connection and refuses new ones until `restore()`. */
  cut(): void {
    this.mode = 'cut';
    this.destroyAll();
  }

  restore(): void {
    this.mode = 'pass';
  }

  /** Delays every chunk in both directions by `ms` (0 turns it off). */
  delay(ms: number): void {
    this.latencyMs = ms;
  }

  /** Resets the open connections (the peers see ECONNRESET); new ones are accepted. */
  resetConnections(): void {
    this.destroyAll();
  }

  get openConnections(): number {
    return this.sockets.size / 2;
  }

  async close(): Promise<void> {
    this.destroyAll();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private accept(client: net.Socket): void {
    if (this.mode === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.options.target.port, this.options.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    this.pipe(client, upstream);
    this.pipe(upstream, client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private pipe(from: net.Socket, to: net.Socket): void {
    from.on('data', (chunk) => {
      if (this.latencyMs === 0) {
        to.write(chunk);
        return;
      }
      // Latency must not reorder bytes: pause the source until this chunk is written.
      from.pause();
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
        from.resume();
      }, this.latencyMs);
    });
  }

  private destroyAll(): void {
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
  }
}
