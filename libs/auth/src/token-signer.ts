import { randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { JwtKeys } from './jwt-keys';

export interface MintTokenInput {
  tenantId: string;
  roles: string[];
  sub?: string;
  ttlSeconds?: number;
}

/**
 * Signs an HS256 token the API accepts (the API's dev token endpoint and the CLI's `token` command). Only for
 * development: production tokens come from the identity provider.
 */
export function mintToken(keys: JwtKeys, input: MintTokenInput): { token: string; expiresIn: number } {
  if (!keys.signingSecret) throw new Error('minting tokens needs JWT_SECRET (only a public key is configured)');
  const expiresIn = input.ttlSeconds ?? 3600;
  const token = jwt.sign({ tenant_id: input.tenantId, roles: input.roles }, keys.signingSecret, {
    algorithm: 'HS256',
    expiresIn,
    subject: input.sub ?? `dev-${randomUUID()}`,
    ...(keys.issuer ? { issuer: keys.issuer } : {}),
    ...(keys.audience ? { audience: keys.audience } : {}),
  });
  return { token, expiresIn };
}
