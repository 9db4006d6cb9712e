import { createPublicKey, createSecretKey } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import type { Algorithm } from 'jsonwebtoken';
import { DEV_JWT_SECRET } from '@metering/platform';
import type { JwtConfig, RuntimeConfig } from '@metering/platform';

/** Re-exported: the development secret lives with the config that refuses it in production. */
export { DEV_JWT_SECRET };

/** The keys and rules tokens are verified (and, in development, minted) with. */
export interface JwtKeys {
  /** One verification key per allowed algorithm; nothing else is accepted. */
  byAlgorithm: Partial<Record<'HS256' | 'RS256', KeyObject>>;
  algorithms: Algorithm[];
  /** HS256 secret for minting dev tokens; absent when only a public key is configured. */
  signingSecret?: KeyObject;
  issuer?: string;
  audience?: string;
  /** Seconds of clock skew accepted on exp, nbf and iat. */
  clockToleranceSeconds: number;
  /** Tokens issued longer ago than this are refused (`iat` is then required); 0: no maximum. */
  maxAgeSeconds: number;
  usingDevSecret: boolean;
}

/**
 * Builds KeyObjects once: jsonwebtoken rebuilds a key from a string on every verify (~585 us),
 * a KeyObject costs ~33 us (DESIGN.md). A KeyObject also carries its type, so jsonwebtoken refuses
 * an HS256 token checked against the RSA public key (algorithm confusion).
 */
export function resolveJwtKeys(config: Pick<RuntimeConfig, 'env'> & JwtConfig): JwtKeys {
  const { jwtSecret, jwtPublicKey, issuer, audience, clockToleranceSeconds, maxAgeSeconds } = config.auth;
  let secret = jwtSecret;
  let usingDevSecret = false;
  if (!secret && !jwtPublicKey) {
    if (config.env === 'production') {
      throw new Error('JWT_SECRET or JWT_PUBLIC_KEY must be set in production');
    }
    secret = DEV_JWT_SECRET;
    usingDevSecret = true;
  }
  const byAlgorithm: JwtKeys['byAlgorithm'] = {};
  let signingSecret: KeyObject | undefined;
  if (secret) {
    signingSecret = createSecretKey(Buffer.from(secret, 'utf8'));
    byAlgorithm.HS256 = signingSecret;
  }
  if (jwtPublicKey) byAlgorithm.RS256 = createPublicKey(jwtPublicKey.replace(/\\n/g, '\n'));
  return {
    byAlgorithm,
    algorithms: Object.keys(byAlgorithm) as Algorithm[],
    signingSecret,
    issuer,
    audience,
    // A hand-built config without them (a unit test) gets exact checks and no maximum age.
    clockToleranceSeconds: clockToleranceSeconds ?? 0,
    maxAgeSeconds: maxAgeSeconds ?? 0,
    usingDevSecret,
  };
}
