import { Router } from 'express';
import type { RedisClient } from '@metering/platform';
import type { DataSource } from 'typeorm';
import { sendProblem } from '../errors/problem';

/** Each readiness check gets this long; a slow dependency counts as down. */
export const READINESS_TIMEOUT_MS = 1000;

type CheckStatus = 'up' | 'down';

async function check(probe: () => Promise<unknown>): Promise<CheckStatus> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'down'>((resolve) => {
    timer = setTimeout(() => resolve('down'), READINESS_TIMEOUT_MS);
  });
  const result = probe().then(
    () => 'up' as const,
    () => 'down' as const,
  );
  return Promise.race([result, timeout]).finally(() => clearTimeout(timer));
}

export interface HealthRouterDeps {
  dataSource: DataSource;
  redis: RedisClient;
  /** True while the process drains; readiness then fails so load balancers stop sending traffic. */
  isShuttingDown?: () => boolean;
}

/** `GET /health/live` (the process answers) and `GET /health/ready` (Postgres and Redis answer). */
export function healthRouter({ dataSource, redis, isShuttingDown }: HealthRouterDeps): Router {
  const router = Router();
  router.get('/health/live', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/health/ready', async (_req, res) => {
    const [postgres, redisStatus] = await Promise.all([
      check(() => dataSource.query('SELECT 1')),
      check(() => redis.ping()),
    ]);
    const checks = { postgres, redis: redisStatus };
    res.setHeader('Cache-Control', 'no-store');
    const draining = isShuttingDown?.() ?? false;
    if (postgres === 'up' && redisStatus === 'up' && !draining) {
      res.json({ status: 'ok', checks });
      return;
    }
    const failed = Object.entries(checks).filter(([, status]) => status === 'down').map(([name]) => name);
    const detail = draining ? 'The process is shutting down' : `Not ready: ${failed.join(' and ')} unavailable`;
    sendProblem(res, 503, detail, { extensions: { checks } });
  });
  return router;
}
