import type { Request, RequestHandler, Response } from 'express';
import { counter } from '@metering/platform';
import type { Logger, RedisClient } from '@metering/platform';
import { currentUser } from '../auth/jwt-auth';
import { sendProblem } from '../errors/problem';

const WINDOW_MS = 60_000;

/** Ingest requests refused to protect Redis: a tenant over its budget, or Redis near maxmemory. */
export const ingestShed = counter({
  name: 'api_ingest_shed_total',
  help: 'Ingest requests refused to protect Redis, by reason (tenant_budget: 429, redis_memory: 503)',
  labelNames: ['reason'] as const,
});
ingestShed.labels('tenant_budget').inc(0);
ingestShed.labels('redis_memory').inc(0);

// One hash per tenant and minute (fields e: events, b: bytes), so the check and the spend are one
// atomic call and one key (one slot on Redis Cluster). A request that does not fit spends nothing,
// so a flooding tenant still gets its full budget through, and never more.
const SPEND_SCRIPT = `
local spent = redis.call('HMGET', KEYS[1], 'e', 'b')
local events = tonumber(spent[1] or '0') + tonumber(ARGV[1])
local bytes = tonumber(spent[2] or '0') + tonumber(ARGV[2])
if events > tonumber(ARGV[3]) or bytes > tonumber(ARGV[4]) then return 0 end
redis.call('HINCRBY', KEYS[1], 'e', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'b', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

type BudgetRedis = RedisClient & { spendIngestBudget(key: string, ...args: Array<string | number>): Promise<number> };

export interface IngestBudgetOptions {
  redis: RedisClient;
  keyPrefix: string;
  eventsPerMinute: number;
  bytesPerMinute: number;
  logger: Logger;
  now?: () => number;
}

/** Events in a parsed ingest body: the length of `events`, else one. Validation comes later. */
function eventCount(body: unknown): number {
  const events = (body as { events?: unknown } | null)?.events;
  return Array.isArray(events) ? events.length : 1;
}

function bodyBytes(req: Request): number {
  const declared = Number(req.headers['content-length']);
  return Number.isSafeInteger(declared) && declared >= 0 ? declared : Buffer.byteLength(JSON.stringify(req.body ?? null));
}

/**
 * Per-tenant ingest budget in events and bytes per minute, shared by every API process (Redis),
 * so one tenant cannot fill Redis with jobs for everyone: a request that would go over answers
 * 429 with Retry-After (the end of the minute) and enqueues nothing. Runs after the body is
 * parsed; one script call per request on the auto-pipelined connection. Fails open when Redis
 * is away (the enqueue then answers 503 anyway).
 */
export function ingestBudget(options: IngestBudgetOptions): RequestHandler {
  const redis = options.redis as BudgetRedis;
  if (typeof redis.spendIngestBudget !== 'function') redis.defineCommand('spendIngestBudget', { numberOfKeys: 1, lua: SPEND_SCRIPT });
  const now = options.now ?? Date.now;
  let lastWarning = 0;
  const refuse = (res: Response, at: number): void => {
    ingestShed.labels('tenant_budget').inc();
    const retryAfter = Math.max(1, Math.ceil(((Math.floor(at / WINDOW_MS) + 1) * WINDOW_MS - now()) / 1000));
    sendProblem(
      res,
      429,
      `Ingest budget of ${options.eventsPerMinute} events and ${options.bytesPerMinute} bytes per minute exceeded for this tenant`,
      { headers: { 'Retry-After': String(retryAfter) } },
    );
  };
  return (req, res, next) => {
    if (req.body === undefined) return next();
    const at = now();
    const key = `${options.keyPrefix}ingest-budget:${currentUser(res).tenantId}:${Math.floor(at / WINDOW_MS)}`;
    redis
      .spendIngestBudget(key, eventCount(req.body), bodyBytes(req), options.eventsPerMinute, options.bytesPerMinute, 2 * WINDOW_MS)
      .then(
        (fits) => (fits === 1 ? next() : refuse(res, at)),
        (error: unknown) => {
          if (at - lastWarning > 10_000) {
            lastWarning = at;
            options.logger.warn('ingest budget store unavailable; allowing requests', { error: String(error) });
          }
          next();
        },
      );
  };
}
