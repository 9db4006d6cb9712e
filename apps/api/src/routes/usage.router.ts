import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { UsageService } from '@metering/usage';
import { currentUser } from '../auth/jwt-auth';
import { usageApiLatency } from '../metrics/http-metrics';

export interface UsageRouterDeps {
  usageService: UsageService;
  authenticate: RequestHandler;
  rateLimit: RequestHandler;
}

/**
 * `GET /api/v1/usage`: the caller's tenant's usage of the current period. The tenant comes only
 * from the token; query strings and bodies cannot name another tenant.
 */
export function usageRouter({ usageService, authenticate, rateLimit }: UsageRouterDeps): Router {
  const router = Router();
  router.get('/api/v1/usage', authenticate, rateLimit, async (_req, res) => {
    const stopTimer = usageApiLatency.startTimer();
    try {
      const stats = await usageService.getUsageStats(currentUser(res).tenantId);
      stopTimer({ outcome: 'ok' });
      res.setHeader('Cache-Control', 'no-store');
      res.json(stats);
    } catch (error) {
      stopTimer({ outcome: 'error' });
      throw error;
    }
  });
  return router;
}
