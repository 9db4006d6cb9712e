import { Router } from 'express';
import type { RequestHandler } from 'express';
import { agentParam, integerParam, invalidParam, rejectUnknownParams } from '@metering/usage';
import type { QueryParams, UsageQuotaService } from '@metering/usage';
import { currentUser, requireRole } from '../auth/jwt-auth';
import { sendJson, sharedJsonSender } from '../http/send-json';
import { USAGE_CHECK_ROLES } from './usage.router';

export interface UsageCheckRouterDeps {
  quota: UsageQuotaService;
  authenticate: RequestHandler;
  rateLimit: RequestHandler;
}

/** Largest quantity one check may ask about, as for one event. */
const MAX_CHECK_QUANTITY = 1_000_000;

/**
 * `GET /api/v1/usage/check?agent=inbox&quantity=1`: may the caller's tenant do `quantity` more
 * units of `agent` this period? Answered from a per-process cache at most 1 s old.
 */
export function usageCheckRouter({ quota, authenticate, rateLimit }: UsageCheckRouterDeps): Router {
  const router = Router();
  // An answer from memory is the same object for the same question within its interval.
  const sendShared = sharedJsonSender();
  router.get('/api/v1/usage/check', authenticate, requireRole(...USAGE_CHECK_ROLES), rateLimit, (req, res, next) => {
    const query = req.query as QueryParams;
    rejectUnknownParams(query, ['agent', 'quantity']);
    const agent = agentParam(query) ?? invalidParam('agent', 'agent is required (inbox, invoice or meeting)');
    const quantity = integerParam(query, 'quantity', 1, MAX_CHECK_QUANTITY, 1);
    const tenantId = currentUser(res).tenantId;
    res.setHeader('Cache-Control', 'no-store');
    // Usually answered from memory in this turn; otherwise once the tenant's state is loaded.
    const answer = quota.checkCached(tenantId, agent, quantity);
    if (answer) return sendShared(res, answer);
    quota.check(tenantId, agent, quantity).then((loaded) => sendJson(res, loaded), next);
  });
  return router;
}
