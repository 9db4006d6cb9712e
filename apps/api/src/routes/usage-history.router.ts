import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { Clock } from '@metering/platform';
import { parsePeriodsQuery } from '@metering/billing';
import type { UsagePeriodsService } from '@metering/billing';
import { parseHistoryQuery } from '@metering/usage';
import type { QueryParams, UsageHistoryService } from '@metering/usage';
import { currentUser, requireRole } from '../auth/jwt-auth';
import { USAGE_READ_ROLES } from './usage.router';

export interface UsageHistoryRouterDeps {
  history: UsageHistoryService;
  periods: UsagePeriodsService;
  clock: Clock;
  authenticate: RequestHandler;
  historyRateLimit: RequestHandler;
  periodsRateLimit: RequestHandler;
}

/**
 * `GET /api/v1/usage/history` (a series per agent and window, from the hourly rollups) and
 * `GET /api/v1/usage/periods` (past periods, newest first). The tenant comes only from the token.
 */
export function usageHistoryRouter(deps: UsageHistoryRouterDeps): Router {
  const router = Router();
  router.get('/api/v1/usage/history', deps.authenticate, requireRole(...USAGE_READ_ROLES), deps.historyRateLimit, async (req, res) => {
    const query = parseHistoryQuery(req.query as QueryParams);
    const history = await deps.history.history(currentUser(res).tenantId, query);
    res.setHeader('Cache-Control', 'no-store');
    res.json(history);
  });
  router.get('/api/v1/usage/periods', deps.authenticate, requireRole(...USAGE_READ_ROLES), deps.periodsRateLimit, async (req, res) => {
    const query = parsePeriodsQuery(req.query as QueryParams);
    const periods = await deps.periods.periods(currentUser(res).tenantId, query, deps.clock());
    res.setHeader('Cache-Control', 'no-store');
    res.json(periods);
  });
  return router;
}
