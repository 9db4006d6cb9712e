import type { KeyObject } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import jwt from 'jsonwebtoken';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
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

/**
 * passport-jwt over a private Passport instance (several apps in one process, as in tests, must
 * not share strategies). Algorithms are pinned to the configured keys, so `alg: none` and HS/RS
 * confusion fail; issuer and audience are checked when configured; `exp` is required.
 */
export function createJwtAuthenticator(keys: JwtKeys): JwtAuthenticator {
  const passport = new Passport();
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        secretOrKeyProvider: (_req: unknown, rawToken: string, done: (err: unknown, key?: string | Buffer) => void) => {
          const header = jwt.decode(rawToken, { complete: true })?.header;
          const key: KeyObject | undefined = header ? keys.byAlgorithm[header.alg as 'HS256' | 'RS256'] : undefined;
          // passport-jwt hands the key to jsonwebtoken, which takes a KeyObject; its typings say string.
          if (key) done(null, key as unknown as string);
          else done(new Error('token algorithm not allowed'));
        },
        algorithms: keys.algorithms,
        issuer: keys.issuer,
        audience: keys.audience,
      },
      (payload: Record<string, unknown>, done: (err: unknown, user?: AuthenticatedUser | false) => void) => {
        done(null, userFromClaims(payload) ?? false);
      },
    ),
  );

  const tryAuthenticate = (req: Request, res: Response): Promise<AuthenticatedUser | null> =>
    new Promise((resolve) => {
      passport.authenticate('jwt', { session: false }, (_err: unknown, user: AuthenticatedUser | false) => {
        resolve(user || null);
      })(req, res, () => resolve(null));
    });

  const authenticate: RequestHandler = (req, res, next) => {
    void tryAuthenticate(req, res).then((user) => {
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
    });
  };

  return { authenticate, tryAuthenticate };
}

/** Middleware: 403 problem unless the caller has one of `roles`. */
export function requireRole(...roles: string[]): RequestHandler {
  return (_req, res, next) => {
    const user = currentUser(res);
    if (user.roles.some((role) => roles.includes(role))) next();
    else next(new HttpProblem(403, `This endpoint needs one of the roles: ${roles.join(', ')}`));
  };
}
