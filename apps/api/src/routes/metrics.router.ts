import { Router } from 'express';
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
