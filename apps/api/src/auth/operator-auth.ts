import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpProblem } from '../errors/problem';
import type { JwtAuthenticator } from './jwt-auth';

export interface OperatorCredentials {
  username?: string;
  password?: string;
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

/**
 * Operators only: a bearer token with role `operator`, or HTTP basic auth with
 * OPERATOR_USERNAME / OPERATOR_PASSWORD (compared in constant time). Basic auth is what a browser
 * can send to Bull Board; without configured credentials only the token path is open.
 */
export function requireOperator(jwtAuth: JwtAuthenticator, credentials: OperatorCredentials): RequestHandler {
  return (req, res, next) => {
    const basic = basicCredentials(req.headers.authorization);
    if (basic && credentials.username && credentials.password) {
      // Both comparisons always run, so timing does not reveal which half was wrong.
      const userOk = sameSecret(basic.username, credentials.username);
      const passwordOk = sameSecret(basic.password, credentials.password);
      if (userOk && passwordOk) {
        next();
        return;
      }
    }
    void jwtAuth.tryAuthenticate(req, res).then((user) => {
      if (user?.roles.includes('operator')) {
        next();
        return;
      }
      // 401 (not 403) for a non-operator token too, so the browser offers the basic-auth prompt.
      next(
        new HttpProblem(401, 'Operator credentials required', {
          headers: { 'WWW-Authenticate': 'Basic realm="operators", charset="UTF-8"' },
        }),
      );
    });
  };
}
