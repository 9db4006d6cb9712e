import type { Request, RequestHandler, Response } from 'express';
import type { Logger, RedisClient } from '@metering/platform';
import { counter } from '@metering/platform';
import { sendProblem } from '../errors/problem';

const WINDOW_MS = 60_000;
/** Blocked addresses remembered per process; the oldest is forgotten first beyond this. */
const MAX_BLOCKED = 50_000;

const ipRefusals = counter({
  name: 'api_ip_limited_requests_total',
  help: 'Requests refused by the per-IP limit in front of authentication',
});

export interface IpGuardOptions {
  redis: RedisClient;
  /** Redis key prefix shared by every API process of the deployment. */
  keyPrefix: string;
  /** Requests per minute and IP that no valid credential vouches for. */
  perMinute: number;
  logger: Logger;
  now?: () => number;
}

/** The per-IP limit in front of authentication (see createIpGuard). */
export interface IpGuard {
  /** The app's first middleware. */
  middleware: RequestHandler;
  /** A credential was presented and refused (bad token, wrong password, no operator role). */
  noteFailure(req: Request): void;
}

/**
 * Limits, per client IP and minute, the requests no valid credential vouches for: requests
 * without an Authorization header (counted in Redis as they arrive, so health, docs, webhooks and
 * the static page are limited too) and requests whose credential was refused (counted when
 * refused). Past the limit the IP is refused with 429 before any token is verified or password
 * compared, until the minute ends. A request with a valid token costs no Redis call: the blocked
 * set is kept in this process, and each process learns of a block at the IP's next counted
 * request, so a fleet of N processes lets at most N more through per window.
 * When Redis is away the count fails open (as the tenant limits do).
 */
export function createIpGuard(options: IpGuardOptions): IpGuard {
  const now = options.now ?? Date.now;
  const blockedUntil = new Map<string, number>();
  let lastWarning = 0;

  const windowEnd = (at: number): number => (Math.floor(at / WINDOW_MS) + 1) * WINDOW_MS;
  const block = (ip: string, until: number): void => {
    if (blockedUntil.size >= MAX_BLOCKED) blockedUntil.delete(blockedUntil.keys().next().value!);
    blockedUntil.set(ip, until);
  };
  const refuse = (res: Response, until: number): void => {
    ipRefusals.inc();
    const retryAfter = Math.max(1, Math.ceil((until - now()) / 1000));
    sendProblem(res, 429, `Too many requests without valid credentials from this address; retry in ${retryAfter} s`, {
      headers: { 'Retry-After': String(retryAfter) },
    });
  };

  /** Counts one request of `ip` in this minute's window; true when it is over the limit. */
  const count = async (ip: string): Promise<boolean> => {
    const at = now();
    const key = `${options.keyPrefix}ip:${ip}:${Math.floor(at / WINDOW_MS)}`;
    try {
      const results = await options.redis.multi().incr(key).pexpire(key, 2 * WINDOW_MS).exec();
      const seen = Number(results?.[0]?.[1] ?? 0);
      if (seen <= options.perMinute) return false;
      block(ip, windowEnd(at));
      return true;
    } catch (error) {
      if (at - lastWarning > 10_000) {
        lastWarning = at;
        options.logger.warn('per-IP limit store unavailable; allowing requests', { error: (error as Error).message });
      }
      return false;
    }
  };

  const middleware: RequestHandler = (req, res, next) => {
    const credentialed = req.headers.authorization !== undefined;
    // The hot paths (usage read, ingest) carry a token: with nobody blocked they skip even req.ip.
    if (credentialed && blockedUntil.size === 0) return next();
    const ip = req.ip ?? 'unknown';
    const until = blockedUntil.get(ip);
    if (until !== undefined) {
      if (now() < until) return refuse(res, until);
      blockedUntil.delete(ip);
    }
    if (credentialed) return next();
    void count(ip).then((over) => (over ? refuse(res, blockedUntil.get(ip) ?? windowEnd(now())) : next()));
  };

  return { middleware, noteFailure: (req) => void count(req.ip ?? 'unknown') };
}
