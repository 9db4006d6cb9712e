import { once } from 'node:events';
import { Router } from 'express';
import type { RequestHandler, Response } from 'express';
import { CSV_HEADER, csvLines, parseEventsQuery } from '@metering/usage';
import type { QueryParams, UsageEventsService } from '@metering/usage';
import { currentUser, requireRole } from '../auth/jwt-auth';
import { USAGE_READ_ROLES } from './usage.router';

export interface UsageEventsRouterDeps {
  events: UsageEventsService;
  authenticate: RequestHandler;
  rateLimit: RequestHandler;
}

/** CSV when asked by `format=csv`, or by an Accept header that prefers text/csv over JSON. */
function wantsCsv(format: string | undefined, accept: string | undefined, accepts: (types: string[]) => string | false): boolean {
  if (format !== undefined) return format === 'csv';
  return typeof accept === 'string' && accept.includes('text/csv') && accepts(['application/json', 'text/csv']) === 'text/csv';
}

/** Writes and, when the socket's buffer is full, waits for it to drain, or for the client to go away. */
async function write(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return;
  const done = new AbortController();
  try {
    // The loser rejects with an AbortError once aborted: swallowed, it is not a failure.
    const settle = (event: string) => once(res, event, { signal: done.signal }).then(
      () => undefined,
      () => undefined,
    );
    await Promise.race([settle('drain'), settle('close')]);
  } finally {
    // Removes whichever listener did not fire.
    done.abort();
  }
}

/**
 * `GET /api/v1/usage/events`: the caller's tenant's raw events, newest first, keyset-paginated;
 * as CSV it streams the whole selection page by page (one page in memory, backpressure honoured).
 */
export function usageEventsRouter({ events, authenticate, rateLimit }: UsageEventsRouterDeps): Router {
  const router = Router();
  router.get('/api/v1/usage/events', authenticate, requireRole(...USAGE_READ_ROLES), rateLimit, async (req, res) => {
    const query = parseEventsQuery(req.query as QueryParams);
    const tenantId = currentUser(res).tenantId;
    res.setHeader('Cache-Control', 'no-store');
    if (!wantsCsv(query.format, req.headers.accept, (types) => req.accepts(types))) {
      res.json(await events.page(tenantId, query.selection, query.cursor, query.limit));
      return;
    }
    res.status(200);
    res.setHeader('Content-Type', 'text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', 'attachment; filename="usage-events.csv"');
    await write(res, CSV_HEADER);
    for await (const page of events.stream(tenantId, query.selection, query.cursor)) {
      // The client went away: stop reading pages nobody will receive.
      if (res.destroyed) return;
      await write(res, csvLines(page));
    }
    res.end();
  });
  return router;
}
