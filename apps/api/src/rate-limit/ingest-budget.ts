import type { Request, RequestHandler, Response } from 'express';
import { counter } from '@metering/platform';
import type { Logger, RedisClient } from '@metering/platform';
import { currentUser } from '../auth/jwt-auth';
import { sendProblem } from '../errors/problem';
import { LeasedWindowBudget } from './leased-window-budget';

const WINDOW_MS = 60_000;

/** Ingest requests refused to protect Redis: a tenant over its budget, or Redis near maxmemory. */
export const ingestShed = counter({
  name: 'api_ingest_shed_total',
  help: 'Ingest requests refused to protect Redis, by reason (tenant_budget: 429, redis_memory: 503)',
  labelNames: ['reason'] as const,
});
ingestShed.labels('tenant_budget').inc(0);
ingestShed.labels('redis_memory').inc(0);

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
 * Per-tenant ingest budget in events and bytes per minute, shared by every API process (a
 * LeasedWindowBudget over Redis: the fleet never admits more, and most requests spend a leased
 * share in memory instead of calling Redis), so one tenant cannot fill Redis with jobs for
 * everyone: a request that would go over answers 429 with Retry-After (the end of the minute) and
 * spends and enqueues nothing. Runs after the body is parsed. Fails open when Redis is away (the
 * enqueue then answers 503 anyway).
 */
export function ingestBudget(options: IngestBudgetOptions): RequestHandler {
  const now = options.now ?? Date.now;
  const budget = new LeasedWindowBudget({
    redis: options.redis,
    name: 'ingest-budget',
    keyPrefix: `${options.keyPrefix}ingest-budget:`,
    limits: [options.eventsPerMinute, options.bytesPerMinute],
    windowMs: WINDOW_MS,
    logger: options.logger,
    now,
  });
  const refuse = (res: Response): void => {
    ingestShed.labels('tenant_budget').inc();
    const retryAfter = Math.max(1, Math.ceil(((Math.floor(now() / WINDOW_MS) + 1) * WINDOW_MS - now()) / 1000));
    sendProblem(
      res,
      429,
      `Ingest budget of ${options.eventsPerMinute} events and ${options.bytesPerMinute} bytes per minute exceeded for this tenant`,
      { headers: { 'Retry-After': String(retryAfter) } },
    );
  };
  return (req, res, next) => {
    if (req.body === undefined) return next();
    const decision = budget.take(currentUser(res).tenantId, [eventCount(req.body), bodyBytes(req)]);
    if (decision instanceof Promise) decision.then((d) => (d.allowed ? next() : refuse(res)), next);
    else if (decision.allowed) next();
    else refuse(res);
  };
}
