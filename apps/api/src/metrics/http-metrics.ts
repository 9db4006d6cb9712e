import type { Request, RequestHandler, Response } from 'express';
import { histogram } from '@metering/platform';

/** Request duration by route template (not raw path, to keep label cardinality bounded). */
export const httpRequestDuration = histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration in seconds, by route template, method and status',
  labelNames: ['route', 'method', 'status'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
});

/** Time to answer `GET /api/v1/usage` (database read and computation), by outcome. */
export const usageApiLatency = histogram({
  name: 'usage_api_latency_seconds',
  help: 'Latency of the usage read (GET /api/v1/usage) in seconds, by outcome',
  labelNames: ['outcome'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
});

function routeLabel(req: Request, res: Response): string {
  const routePath = (req.route as { path?: string } | undefined)?.path;
  if (typeof routePath === 'string') return `${req.baseUrl}${routePath === '/' && req.baseUrl ? '' : routePath}`;
  // Mounted sub-apps (Bull Board, Swagger UI, static files) and 404s: a fixed label per area.
  if (res.statusCode === 404) return 'unmatched';
  return req.baseUrl || 'other';
}

type Observer = { observe(value: number): void };

/** The histogram's child per (route, method, status), so a request skips prom-client's label hashing. */
const observers = new Map<string, Observer>();
const MAX_OBSERVERS = 10_000;

function observerFor(route: string, method: string, status: number): Observer {
  const key = `${route} ${method} ${status}`;
  let observer = observers.get(key);
  if (!observer) {
    observer = httpRequestDuration.labels(route, method, String(status));
    if (observers.size < MAX_OBSERVERS) observers.set(key, observer);
  }
  return observer;
}

/** Observes every request when its response finishes. */
export const httpMetricsMiddleware: RequestHandler = (req, res, next) => {
  const started = performance.now();
  res.once('finish', () => {
    observerFor(routeLabel(req, res), req.method, res.statusCode).observe((performance.now() - started) / 1000);
  });
  next();
};
