import type { RequestHandler, Response } from 'express';
import type { Logger, RedisClient } from '@metering/platform';
import { currentUser } from '../auth/jwt-auth';
import { sendProblem } from '../errors/problem';
import { LeasedWindowBudget } from './leased-window-budget';
import type { BudgetDecision } from './leased-window-budget';

const WINDOW_MS = 60_000;

export interface TenantRateLimitOptions {
  /** Names the limit in keys, headers and logs, e.g. `usage-read`. */
  name: string;
  perMinute: number;
  redis: RedisClient;
  /** Redis key prefix; tests give each app their own so counts never leak between files. */
  keyPrefix: string;
  logger: Logger;
  now?: () => number;
}

/**
 * A per-tenant limit of requests per (fixed) minute, shared by every API process through Redis
 * (LeasedWindowBudget: the fleet never admits more than the limit; far from it a process spends a
 * leased share in memory instead of calling Redis per request). Runs after authentication: the
 * key is the token's tenant, so one tenant cannot spend another's quota. Answers carry the IETF
 * draft-8 `RateLimit-Policy` and `RateLimit` headers; a refusal is a 429 problem with Retry-After.
 *
 * When Redis is unreachable the limiter FAILS OPEN: a usage read only needs Postgres, and turning
 * a Redis outage into 500s or 503s on the billing page would be worse than briefly not limiting.
 * Ingest still answers 503 in that case, because enqueueing needs Redis.
 */
export function tenantRateLimit(options: TenantRateLimitOptions): RequestHandler {
  const now = options.now ?? Date.now;
  const budget = new LeasedWindowBudget({
    redis: options.redis,
    name: options.name,
    keyPrefix: `${options.keyPrefix}${options.name}:`,
    limits: [options.perMinute],
    windowMs: WINDOW_MS,
    logger: options.logger,
    now,
  });
  const policy = `"${options.name}"; q=${options.perMinute}; w=${WINDOW_MS / 1000}`;

  const answer = (res: Response, decision: BudgetDecision, next: (error?: unknown) => void): void => {
    const resetSeconds = Math.max(1, Math.ceil((decision.resetAtMs - now()) / 1000));
    res.setHeader('RateLimit-Policy', policy);
    res.setHeader('RateLimit', `"${options.name}"; r=${decision.remaining[0]}; t=${resetSeconds}`);
    if (decision.allowed) return next();
    sendProblem(res, 429, `Rate limit of ${options.perMinute} requests per minute exceeded for this tenant`, {
      headers: { 'Retry-After': String(resetSeconds) },
    });
  };

  return (_req, res, next) => {
    const decision = budget.take(currentUser(res).tenantId, [1]);
    if (decision instanceof Promise) decision.then((d) => answer(res, d, next), next);
    else answer(res, decision, next);
  };
}
