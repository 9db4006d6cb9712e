import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import type { RedisClient } from '@metering/platform';
import { EnqueueNotReplicatedError, MAX_EVENTS_PER_BATCH, isUsageError } from '@metering/usage';
import type { IngestAdmission, UsageClient, ValidEvent } from '@metering/usage';
import { currentUser, requireRole } from '../auth/jwt-auth';
import { HttpProblem } from '../errors/problem';

/**
 * Room for a full batch: 1,000 events with 4 KB of metadata and long ids each is ~4.7 MB. Larger
 * bodies are refused with 413 before they are parsed.
 */
export const INGEST_BODY_LIMIT = '5mb';

/** How long an enqueue may take before the caller gets 503 and retries (job ids make that safe). */
export const ENQUEUE_TIMEOUT_MS = 3000;

export interface EventsRouterDeps {
  usageClient: UsageClient;
  /** Tenant, subscription, period and key checks against the database, before the 202. */
  admission: IngestAdmission;
  /** The producer connection the client enqueues on; checked first so an outage answers 503 at once. */
  redis: RedisClient;
  authenticate: RequestHandler;
  rateLimit: RequestHandler;
  /** Answers 503 while Redis is near maxmemory; runs before the body is read (rate-limit/redis-memory-guard.ts). */
  shedWhenRedisFull: RequestHandler;
  /** The tenant's events and bytes per minute (rate-limit/ingest-budget.ts); runs on the parsed body. */
  ingestBudget: RequestHandler;
}

function validationProblem(field: string, message: string): HttpProblem {
  return new HttpProblem(400, 'The request has invalid fields; see errors', { errors: [{ field, message }] });
}

/** One event object or `{ "events": [...] }`, as the list of raw events to validate. */
function eventsOf(body: unknown): unknown[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw validationProblem('body', 'body must be an event object or { "events": [ ... ] }');
  }
  const fields = body as Record<string, unknown>;
  if ('tenant_id' in fields) {
    throw validationProblem('tenant_id', 'tenant_id must not be sent: the tenant is taken from the token');
  }
  if (!('events' in fields)) return [fields];
  const extra = Object.keys(fields).find((key) => key !== 'events');
  if (extra) throw validationProblem(extra, `${extra} is not allowed next to events`);
  if (!Array.isArray(fields.events)) throw validationProblem('events', 'events must be an array');
  if (fields.events.length > MAX_EVENTS_PER_BATCH) {
    throw validationProblem('events', `at most ${MAX_EVENTS_PER_BATCH} events per request`);
  }
  return fields.events;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new HttpProblem(503, 'The event queue did not answer in time; retry the request')), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * `POST /api/v1/usage/events` (roles `agent` or `service`): validates every event, checks what the
 * worker would need (tenant, metered subscription, a period whose invoice is not final, no key
 * already used for another event), then enqueues them for the workers; one refused event
 * refuses the request (a specific 4xx naming each event) and nothing is enqueued.
 */
export function eventsRouter({ usageClient, admission, redis, authenticate, rateLimit, shedWhenRedisFull, ingestBudget }: EventsRouterDeps): Router {
  const router = Router();
  router.post(
    '/api/v1/usage/events',
    authenticate,
    requireRole('agent', 'service'),
    rateLimit,
    shedWhenRedisFull,
    express.json({ limit: INGEST_BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
    ingestBudget,
    async (req, res) => {
      if (req.body === undefined) throw new HttpProblem(415, 'Send the events as application/json');
      const events = eventsOf(req.body);
      if (redis.status !== 'ready') {
        throw new HttpProblem(503, 'The event queue is unavailable; retry the request later', {
          headers: { 'Retry-After': '5' },
        });
      }
      let accepted: number;
      try {
        // Admission fails open when Postgres does not answer (see IngestAdmission): ingest needs only Redis.
        const admit = (valid: readonly ValidEvent[]): Promise<void> => admission.admit(valid[0]!.tenantId, valid);
        ({ accepted } = await withDeadline(usageClient.trackWire(currentUser(res).tenantId, events, { admit }), ENQUEUE_TIMEOUT_MS));
      } catch (error) {
        // Validation (400) and the `block` policy's refusal (409 naming the limit) are answers, not outages.
        if (error instanceof HttpProblem || isUsageError(error)) throw error;
        // Queued, but no replica confirmed it: a failover could still lose it, so it is not acknowledged.
        if (error instanceof EnqueueNotReplicatedError) {
          throw new HttpProblem(503, 'The event queue did not confirm a replicated copy in time; retry the request with the same idempotency keys', {
            headers: { 'Retry-After': '1' },
          });
        }
        // Only Redis failing mid-request is worth a retry; any other error is a bug, and a 503
        // would send the caller into retries that can never succeed. It goes to the 500 handler.
        if (redis.status !== 'ready' || isRedisUnavailable(error)) {
          throw new HttpProblem(503, 'The event queue is unavailable; retry the request later', {
            headers: { 'Retry-After': '5' },
          });
        }
        throw error;
      }
      res.status(202).json({ accepted });
    },
  );
  return router;
}

const REDIS_UNAVAILABLE =
  /Connection is closed|Stream isn't writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Command timed out|Reached the max retries|READONLY|LOADING|MISCONF|OOM |CLUSTERDOWN|TRYAGAIN|MASTERDOWN|Too many Cluster redirections|Cluster isn't ready|Failed to refresh slots cache|no known master/;

/** ioredis's ways of saying the server (or, on a cluster, the master of the queue's slot) is away, busy or refusing writes. */
function isRedisUnavailable(error: unknown): boolean {
  const { name, message, code } = (error ?? {}) as { name?: string; message?: string; code?: string };
  return name === 'MaxRetriesPerRequestError' || REDIS_UNAVAILABLE.test(`${code ?? ''} ${message ?? ''}`);
}
