import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { HttpProblem } from '../errors/problem';
import type { BasicAuthLockout } from './basic-auth-lockout';
import type { JwtAuthenticator } from './jwt-auth';

export interface OperatorCredentials {
  username?: string;
  password?: string;
}

/** Who is looking at Bull Board, and whether they may change anything. */
export interface OperatorIdentity {
  /** `token:<sub>` or `basic:<username>`. */
  actor: string;
  /** The tenant of the token; null for basic auth. */
  tenantId: string | null;
  /** Only a bearer token with role `admin`; never basic auth. */
  canWrite: boolean;
}

export interface OperatorAuthOptions {
  jwtAuth: JwtAuthenticator;
  credentials: OperatorCredentials;
  lockout: BasicAuthLockout;
  /** A credential was presented and refused (feeds the per-IP limit). */
  onFailure: (req: Request) => void;
}

/** Equal-length digests so timingSafeEqual neither throws nor leaks the secret's length. */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function basicCredentials(header: string | undefined): { username: string; password: string } | null {
  const match = /^basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

// 401 (not 403) for a non-operator token too, so the browser offers the basic-auth prompt.
const operatorCredentialsRequired = (): HttpProblem =>
  new HttpProblem(401, 'Operator credentials required', {
    headers: { 'WWW-Authenticate': 'Basic realm="operators", charset="UTF-8"' },
  });

/** The identity of a Bull Board request (set by `authenticateOperator`). */
export function currentOperator(res: Response): OperatorIdentity {
  const operator = res.locals.operator as OperatorIdentity | undefined;
  if (!operator) throw new Error('currentOperator() used on a route without authenticateOperator');
  return operator;
}

/**
 * Operators only: a bearer token with role `operator` (read-only) or `admin` (may write), or HTTP
 * basic auth with OPERATOR_USERNAME / OPERATOR_PASSWORD (read-only; compared in constant time).
 * Basic auth is what a browser can send to Bull Board; without configured credentials only the
 * token path is open. Failed basic logins lock the client IP out (BasicAuthLockout).
 */
export function authenticateOperator(options: OperatorAuthOptions): RequestHandler {
  const { credentials, jwtAuth, lockout } = options;
  const viaBasic = async (req: Request, basic: { username: string; password: string }): Promise<OperatorIdentity> => {
    const ip = req.ip ?? 'unknown';
    // Without the shared failure count a guesser would be unlimited: basic auth fails closed.
    const locked = await lockout.lockedForSeconds(ip).catch(() => {
      throw new HttpProblem(503, 'Operator login is unavailable (Redis is unreachable); use an operator token or retry later', {
        headers: { 'Retry-After': '5' },
      });
    });
    if (locked > 0) throw lockedOut(locked);
    // Both comparisons always run, so timing does not reveal which half was wrong.
    const userOk = sameSecret(basic.username, credentials.username!);
    const passwordOk = sameSecret(basic.password, credentials.password!);
    if (userOk && passwordOk) return { actor: `basic:${basic.username}`, tenantId: null, canWrite: false };
    options.onFailure(req);
    const lockedNow = await lockout.noteFailure(ip).catch(() => 0);
    throw lockedNow > 0 ? lockedOut(lockedNow) : operatorCredentialsRequired();
  };

  const identify = async (req: Request, res: Response): Promise<OperatorIdentity> => {
    const basic = basicCredentials(req.headers.authorization);
    if (basic && credentials.username && credentials.password) return viaBasic(req, basic);
    const user = await jwtAuth.tryAuthenticate(req, res);
    if (user?.roles.includes('admin')) return { actor: `token:${user.sub}`, tenantId: user.tenantId, canWrite: true };
    if (user?.roles.includes('operator')) return { actor: `token:${user.sub}`, tenantId: user.tenantId, canWrite: false };
    if (req.headers.authorization !== undefined) options.onFailure(req);
    throw operatorCredentialsRequired();
  };

  return (req, res, next) => {
    identify(req, res).then(
      (operator) => {
        res.locals.operator = operator;
        next();
      },
      next,
    );
  };
}

function lockedOut(seconds: number): HttpProblem {
  return new HttpProblem(429, `Too many failed operator logins from this address; locked out for ${seconds} s`, {
    headers: { 'Retry-After': String(seconds) },
  });
}
