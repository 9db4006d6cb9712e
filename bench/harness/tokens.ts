import jwt from 'jsonwebtoken';
import { BENCH_JWT_AUDIENCE, BENCH_JWT_ISSUER, BENCH_JWT_SECRET } from './bench-environment';

/** An HS256 bearer token for `tenantId`, signed with the run's JWT_SECRET, valid for an hour. */
export function benchToken(tenantId: string, roles: string[]): string {
  return jwt.sign({ tenant_id: tenantId, roles }, BENCH_JWT_SECRET, {
    algorithm: 'HS256',
    subject: `bench-${tenantId}`,
    expiresIn: 3600,
    issuer: BENCH_JWT_ISSUER,
    audience: BENCH_JWT_AUDIENCE,
  });
}
