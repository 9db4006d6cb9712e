import type { KeyObject } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import type { JwtKeys } from './jwt-keys';
import { HttpProblem } from '../errors/problem';

/** Who is calling, from a verified token. The tenant comes from here, never from the request. */
export interface AuthenticatedUser {
  sub: string;
  tenantId: string;
  roles: string[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// One detail for every failure: the client learns nothing about which check failed.
const UNAUTHORIZED_DETAIL = 'A valid bearer token is required';

/** Claims the API needs beyond what jsonwebtoken checks; null when any is missing or malformed. */
export function userFromClaims(payload: Record<string, unknown>): AuthenticatedUser | null {
  const { sub, tenant_id: tenantId, roles, exp } = payload;
  if (typeof exp !== 'number') return null;
  if (typeof sub !== 'string' || sub.length === 0) return null;
  if (typeof tenantId !== 'string' || !UUID.test(tenantId)) return null;
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
 * are checked when configured; `exp` is required (userFromClaims) and checked by jsonwebtoken.
 */
export function createJwtAuthenticator(keys: JwtKeys): JwtAuthenticator {
  const verifyOptions: jwt.VerifyOptions = { algorithms: keys.algorithms, issuer: keys.issuer, audience: keys.audience };
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
    let user: AuthenticatedUser | null = null;
    try {
      jwt.verify(token, keyFor, verifyOptions, (error, payload) => {
        if (!error && payload && typeof payload === 'object') user = userFromClaims(payload as Record<string, unknown>);
      });
    } catch {
      user = null;
    }
    return user;
  };

  const authenticate: RequestHandler = (req, res, next) => {
    const user = verify(req);
    if (!user) {
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

/** Middleware: 403 problem unless the caller has one of `roles`. */
export function requireRole(...roles: string[]): RequestHandler {
  return (_req, res, next) => {
    const user = currentUser(res);
    if (user.roles.some((role) => roles.includes(role))) next();
    else next(new HttpProblem(403, `This endpoint needs one of the roles: ${roles.join(', ')}`));
  };
}
