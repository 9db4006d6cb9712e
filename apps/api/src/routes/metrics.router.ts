import express, { Router } from 'express';
import type { Express } from 'express';
import { collectProcessMetrics, metricsRegistry } from '@metering/platform';

/** `GET /metrics`: the process registry in Prometheus text format, with default process metrics. */
export function metricsRouter(): Router {
  collectProcessMetrics();
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.setHeader('Content-Type', metricsRegistry.contentType);
    res.send(await metricsRegistry.metrics());
  });
  return router;
}

/**
 * The app of the API's metrics port (API_METRICS_PORT on API_METRICS_HOST): `/metrics` only, away
 * from the public port, so the internet never sees it and Prometheus needs no credentials.
 */
export function createMetricsApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(metricsRouter());
  return app;
}
