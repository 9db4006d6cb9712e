import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { UsageService } from '@metering/usage';
import { currentUser, requireRole } from '../auth/jwt-auth';
import { sharedJsonSender } from '../http/send-json';
import { usageApiLatency } from '../metrics/http-metrics';

export interface UsageRouterDeps {
  usageService: UsageService;
  authenticate: RequestHandler;
  rateLimit: RequestHandler;
}

/**
 * Who may read a tenant's usage: the billing page's users, services acting for the tenant, and
 * admins. `agent` tokens only report usage and `operator` tokens only watch queues, so a leaked
 * one of those reads nothing; a token without a role reads nothing either.
 */
export const USAGE_READ_ROLES = ['user', 'service', 'admin'] as const;

/** Who may ask the quota check: the readers, and the agents about to do more work. */
export const USAGE_CHECK_ROLES = ['agent', ...USAGE_READ_ROLES] as const;

/**
 * `GET /api/v1/usage`: the caller's tenant's usage of the current period (roles USAGE_READ_ROLES,
 * else 403). The tenant comes only from the token; query strings and bodies cannot name another tenant.
 */
const usageReadOk = usageApiLatency.labels('ok');
const usageReadFailed = usageApiLatency.labels('error');

export function usageRouter({ usageService, authenticate, rateLimit }: UsageRouterDeps): Router {
  const router = Router();
  // A cached answer is shared by the reads within its interval.
  const sendShared = sharedJsonSender();
  router.get('/api/v1/usage', authenticate, requireRole(...USAGE_READ_ROLES), rateLimit, async (_req, res) => {
    const started = performance.now();
    try {
      const stats = await usageService.getUsageStats(currentUser(res).tenantId);
      usageReadOk.observe((performance.now() - started) / 1000);
      res.setHeader('Cache-Control', 'no-store');
      sendShared(res, stats);
    } catch (error) {
      usageReadFailed.observe((performance.now() - started) / 1000);
      throw error;
    }
  });
  return router;
}
