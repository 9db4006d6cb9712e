import type { KeyObject } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import type { JwtKeys } from '@metering/auth';
import { HttpProblem } from '../errors/problem';
import { isUuid } from '@metering/platform';

/** Who is calling, from a verified token. The tenant comes from here, never from the request. */
export interface AuthenticatedUser {
  sub: string;
  tenantId: string;
  roles: string[];
}


// One detail for every failure: the client learns nothing about which check failed.
const UNAUTHORIZED_DETAIL = 'A valid bearer token is required';

/** Claims the API needs beyond what jsonwebtoken checks; null when any is missing or malformed. */
export function userFromClaims(payload: Record<string, unknown>): AuthenticatedUser | null {
  const { sub, tenant_id: tenantId, roles, exp } = payload;
  if (typeof exp !== 'number') return null;
  if (typeof sub !== 'string' || sub.length === 0) return null;
  if (typeof tenantId !== 'string' || !isUuid(tenantId)) return null;
  if (!Array.isArray(roles) || !roles.every((role) => typeof role === 'string')) return null;
  return { sub, tenantId: tenantId.toLowerCase(), roles };
}

/** The authenticated caller of this request (set by `authenticate`). */
export function currentUser(res: Response): AuthenticatedUser {
  const user = res.locals.user as AuthenticatedUser | undefined;
  if (!user) throw new Error('currentUser() used on a route without authenticate');
  return user;
}

export interface JwtAuthenticator {
  /** Middleware: 401 problem unless a valid token is present; sets res.locals.user. */
  authenticate: RequestHandler;
  /** The user of a valid bearer token, or null (no token, or any check failed). */
  tryAuthenticate(req: Request, res: Response): Promise<AuthenticatedUser | null>;
}

// As passport-jwt's fromAuthHeaderAsBearerToken read it: the first two words, scheme in any case.
const AUTH_HEADER = /(\S+)\s+(\S+)/;

/** The bearer token of the Authorization header, or null. */
export function bearerToken(authorization: string | undefined): string | null {
  if (typeof authorization !== 'string') return null;
  const match = AUTH_HEADER.exec(authorization);
  return match && match[1]!.toLowerCase() === 'bearer' ? match[2]! : null;
}

/**
 * Verifies bearer tokens with jsonwebtoken directly (it was passport-jwt: the same checks, but
 * passport's per-request strategy objects and a second decode of every token cost ~10% of the
 * API's CPU per usage read). Algorithms are pinned to the configured keys and the key is chosen
 * by the token's `alg` among them, so `alg: none` and HS/RS confusion fail; issuer and audience
 * are checked when configured (production requires both); `exp` is required (userFromClaims) and
 * checked by jsonwebtoken with JWT_CLOCK_TOLERANCE_SECONDS of skew; a token whose `iat` is older than
 * JWT_MAX_AGE_SECONDS (or missing, or in the future) is refused.
 */
export function createJwtAuthenticator(
  keys: JwtKeys,
  options: { cacheSize?: number; clock?: () => number; onFailure?: (req: Request) => void } = {},
): JwtAuthenticator {
  const clock = options.clock ?? Date.now;
  const cache = new VerifiedTokenCache(options.cacheSize ?? 10_000, clock);
  const verifyOptions: jwt.VerifyOptions = {
    algorithms: keys.algorithms,
    issuer: keys.issuer,
    audience: keys.audience,
    clockTolerance: keys.clockToleranceSeconds,
    // Requires `iat`: a token without it, or issued longer ago, is refused whatever its exp says.
    maxAge: keys.maxAgeSeconds > 0 ? keys.maxAgeSeconds : undefined,
  };
  // jsonwebtoken decodes the token once and hands us its header; with a callback it runs synchronously.
  const keyFor: jwt.GetPublicKeyOrSecret = (header, done) => {
    const key: KeyObject | undefined = keys.byAlgorithm[header.alg as 'HS256' | 'RS256'];
    // jsonwebtoken takes a KeyObject; its typings say Secret.
    if (key) done(null, key as unknown as jwt.Secret);
    else done(new Error('token algorithm not allowed'));
  };

  const verify = (req: Request): AuthenticatedUser | null => {
    const token = bearerToken(req.headers.authorization);
    if (!token) return null;
    const cached = cache.get(token);
    if (cached) return cached;
    let user: AuthenticatedUser | null = null;
    let expiresAtMs = 0;
    const nowSeconds = Math.floor(clock() / 1000);
    try {
      // One clock for jsonwebtoken's exp/nbf/maxAge checks and the cache's expiry.
      jwt.verify(token, keyFor, { ...verifyOptions, clockTimestamp: nowSeconds }, (error, payload) => {
        if (error || !payload || typeof payload !== 'object') return;
        const { exp, iat } = payload as { exp: number; iat: number };
        // An `iat` in the future would stretch the maximum age; beyond the skew tolerance it is refused.
        if (keys.maxAgeSeconds > 0 && iat > nowSeconds + keys.clockToleranceSeconds) return;
        user = userFromClaims(payload as Record<string, unknown>);
        // The cache never serves a token past its exp nor past its maximum age.
        expiresAtMs = (keys.maxAgeSeconds > 0 ? Math.min(exp, iat + keys.maxAgeSeconds) : exp) * 1000;
      });
    } catch {
      user = null;
    }
    if (user) cache.set(token, user, expiresAtMs);
    return user;
  };

  const authenticate: RequestHandler = (req, res, next) => {
    const user = verify(req);
    if (!user) {
      // A refused credential counts against the caller's IP (no header is counted on arrival).
      if (req.headers.authorization !== undefined) options.onFailure?.(req);
      const hadToken = /^bearer\s+\S/i.test(req.headers.authorization ?? '');
      next(
        new HttpProblem(401, UNAUTHORIZED_DETAIL, {
          headers: { 'WWW-Authenticate': hadToken ? 'Bearer error="invalid_token"' : 'Bearer' },
        }),
      );
      return;
    }
    res.locals.user = user;
    next();
  };

  return { authenticate, tryAuthenticate: (req) => Promise.resolve(verify(req)) };
}

/**
 * Tokens that passed every check, by their exact string, until their own `exp` (an entry is never
 * served after it). A billing page polls with the same token every few seconds, so most requests
 * skip the signature check, base64 and JSON decoding (~10% of a usage read's CPU). Only verified
 * tokens are stored, so a bad token is checked in full every time; the size is bounded (the
 * oldest entry goes first). Keys are fixed for the process's life, so a stored verdict cannot go
 * stale except by expiry.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, { user: AuthenticatedUser; expiresAtMs: number }>();

  constructor(
    private readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  get(token: string): AuthenticatedUser | null {
    const entry = this.entries.get(token);
    if (!entry) return null;
    // jsonwebtoken rejects a token once now >= exp; so does this.
    if (this.now() >= entry.expiresAtMs) {
      this.entries.delete(token);
      return null;
    }
    return entry.user;
  }

  set(token: string, user: AuthenticatedUser, expiresAtMs: number): void {
    if (this.maxEntries <= 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    // Shared by every request that presents the token, so nobody may change it.
    Object.freeze(user.roles);
    this.entries.set(token, { user: Object.freeze(user), expiresAtMs });
  }
}

/** Middleware: 403 problem unless the caller has one of `roles`. */
export function requireRole(...roles: string[]): RequestHandler {
  return (_req, res, next) => {
    const user = currentUser(res);
    if (user.roles.some((role) => roles.includes(role))) next();
    else next(new HttpProblem(403, `This endpoint needs one of the roles: ${roles.join(', ')}`));
  };
}
