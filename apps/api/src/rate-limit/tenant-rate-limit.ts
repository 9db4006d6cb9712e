import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger, RedisClient } from '@metering/platform';
import { currentUser } from '../auth/jwt-auth';
import { sendProblem } from '../errors/problem';
import { RecoveringRedisStore } from './recovering-redis.store';

export interface TenantRateLimitOptions {
  /** Names the limit in keys, headers and logs, e.g. `usage-read`. */
  name: string;
  perMinute: number;
  redis: RedisClient;
  /** Redis key prefix; tests give each app their own so counts never leak between files. */
  keyPrefix: string;
  logger: Logger;
}

/**
 * A per-tenant limit shared by every API process (counts live in Redis). Runs after
 * authentication: the key is the token's tenant, so one tenant cannot spend another's quota.
 *
 * When Redis is unreachable the limiter FAILS OPEN (passOnStoreError): a usage read only needs
 * Postgres, and turning a Redis outage into 500s or 503s on the billing page would be worse than
 * briefly not limiting. Ingest still answers 503 in that case, because enqueueing needs Redis.
 */
export function tenantRateLimit(options: TenantRateLimitOptions): RequestHandler {
  let lastWarning = 0;
  return rateLimit({
    windowMs: 60_000,
    limit: options.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    identifier: options.name,
    keyGenerator: (_req, res) => currentUser(res).tenantId,
    store: new RecoveringRedisStore(options.redis, `${options.keyPrefix}${options.name}:`),
    passOnStoreError: true,
    // The key is the tenant id, never the client IP, so the IP-related checks do not apply.
    validate: { keyGeneratorIpFallback: false, trustProxy: false, xForwardedForHeader: false },
    logger: {
      // One line per 10 s at most: during an outage every request would log otherwise.
      error: (error: unknown, message?: string) => {
        const now = Date.now();
        if (now - lastWarning < 10_000) return;
        lastWarning = now;
        options.logger.warn('rate limiter store unavailable; allowing requests', {
          limiter: options.name,
          message,
          error: error instanceof Error ? error.message : String(error),
        });
      },
      warn: (warning: unknown, message?: string) =>
        options.logger.warn(message ?? String(warning), { limiter: options.name }),
    },
    handler: (_req, res) => {
      sendProblem(res, 429, `Rate limit of ${options.perMinute} requests per minute exceeded for this tenant`);
    },
  });
}
