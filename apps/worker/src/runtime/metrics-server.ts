import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { metricsRegistry } from '@metering/platform';
import type { Logger } from '@metering/platform';

export interface HealthReport {
  status: 'ok' | 'starting' | 'degraded' | 'stopping';
  checks: Record<string, 'up' | 'down' | 'pending'>;
}

export interface MetricsServerOptions {
  port: number;
  /** Bind address (WORKER_METRICS_HOST): loopback unless a container asks for more. */
  host: string;
  logger: Logger;
  /** Refreshes scrape-time gauges (queue depth) before /metrics answers. */
  collect: () => Promise<void>;
  health: () => Promise<HealthReport>;
}

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * `/metrics` (Prometheus), `/health` and `/health/ready` (200 only when Postgres and Redis answer
 * and the workers run), `/health/live` (the process is up).
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    void (async () => {
      try {
        if (path === '/metrics') {
          await options.collect().catch((error) => options.logger.warn('queue depth not collected', { error: String(error) }));
          return send(res, 200, metricsRegistry.contentType, await metricsRegistry.metrics());
        }
        if (path === '/health/live') return send(res, 200, 'application/json', JSON.stringify({ status: 'ok' }));
        if (path === '/health' || path === '/health/ready') {
          const report = await options.health();
          return send(res, report.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(report));
        }
        send(res, 404, 'application/json', JSON.stringify({ status: 404, title: 'Not Found' }));
      } catch (error) {
        options.logger.error('metrics endpoint failed', { path, error: String(error) });
        if (!res.headersSent) send(res, 500, 'application/json', JSON.stringify({ status: 500, title: 'Internal Server Error' }));
      }
    })();
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
