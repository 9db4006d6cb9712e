import { createHmac, createSign, generateKeyPairSync } from 'node:crypto';

const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An RSA key pair as PEM strings (the identity provider's, or an attacker's). */
export function rsaKeyPair(): { publicKey: string; privateKey: string } {
  return generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
}

export interface Claims {
  tenant_id?: unknown;
  roles?: unknown;
  sub?: unknown;
  exp?: number;
  [claim: string]: unknown;
}

/** The issuer and audience the production-configured app under test requires (JWT_ISSUER / JWT_AUDIENCE). */
export const TEST_ISSUER = 'https://idp.faults.example';
export const TEST_AUDIENCE = 'usage-metering-faults';

/** Claims for `tenantId` from the expected issuer for this API, valid for ten minutes unless overridden. */
export function claimsFor(tenantId: string, roles: string[], overrides: Claims = {}): Claims {
  const now = Math.floor(Date.now() / 1000);
  return { sub: 'auth-matrix', tenant_id: tenantId, roles, iss: TEST_ISSUER, aud: TEST_AUDIENCE, iat: now, exp: now + 600, ...overrides };
}

/** A compact JWS built by hand, so tests can also build the tokens a library refuses to sign. */
function compact(header: Record<string, unknown>, claims: Claims, sign: (input: string) => string): string {
  const input = `${base64url(header)}.${base64url(claims)}`;
  return `${input}.${sign(input)}`;
}

export const hs256 = (claims: Claims, secret: string): string =>
  compact({ alg: 'HS256', typ: 'JWT' }, claims, (input) => createHmac('sha256', secret).update(input).digest('base64url'));

export const rs256 = (claims: Claims, privateKey: string): string =>
  compact({ alg: 'RS256', typ: 'JWT' }, claims, (input) => createSign('RSA-SHA256').update(input).sign(privateKey, 'base64url'));

/** `alg: none`: no signature at all. */
export const unsigned = (claims: Claims): string => compact({ alg: 'none', typ: 'JWT' }, claims, () => '');

/** RS/HS confusion: HS256 "signed" with the server's RSA PUBLIC key as the HMAC secret. */
export const confused = (claims: Claims, publicKeyPem: string): string => hs256(claims, publicKeyPem);
