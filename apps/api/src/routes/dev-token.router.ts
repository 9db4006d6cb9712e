import express, { Router } from 'express';
import type { DataSource } from 'typeorm';
import { mintToken } from '@metering/auth';
import type { JwtKeys } from '@metering/auth';
import { HttpProblem } from '../errors/problem';
import { isUuid } from '@metering/platform';

/** The tenant demo seeding creates; the dev token is for it unless DEMO_TENANT_ID says otherwise. */
export const DEMO_TENANT_NAME = 'Demo tenant';
export const DEV_TOKEN_TTL_SECONDS = 3600;

/** Tenant roles only: operator and admin (Bull Board) are never minted without credentials. */
const DEV_ROLES = ['user', 'agent', 'service'];

export interface DevTokenRouterDeps {
  dataSource: DataSource;
  keys: JwtKeys;
  demoTenantId?: string;
}

async function demoTenantId(deps: DevTokenRouterDeps): Promise<string> {
  if (deps.demoTenantId) return deps.demoTenantId;
  const [row]: Array<{ id: string }> = await deps.dataSource.query(
    'SELECT id FROM tenants WHERE name = $1 ORDER BY created_at LIMIT 1',
    [DEMO_TENANT_NAME],
  );
  if (!row) throw new HttpProblem(404, `No demo tenant: start with demo seeding on, or pass tenant_id`);
  return row.id;
}

/**
 * `POST /api/v1/dev/token` -- mounted only with DEV_LOGIN=true (never in production: the config
 * refuses the combination; otherwise it is a plain 404): a
 * short-lived token for the seeded demo tenant (or `tenant_id` from the body), so the billing page
 * and people trying the API by hand can sign in without an identity provider.
 */
export function devTokenRouter(deps: DevTokenRouterDeps): Router {
  const router = Router();
  router.post('/api/v1/dev/token', express.json({ limit: '4kb' }), async (req, res) => {
    const body = (req.body ?? {}) as { tenant_id?: unknown; roles?: unknown };
    if (body.tenant_id !== undefined && (typeof body.tenant_id !== 'string' || !isUuid(body.tenant_id))) {
      throw new HttpProblem(400, 'The request has invalid fields; see errors', {
        errors: [{ field: 'tenant_id', message: 'tenant_id must be a UUID' }],
      });
    }
    const roles = body.roles ?? ['user'];
    if (!Array.isArray(roles) || roles.length === 0 || !roles.every((role) => DEV_ROLES.includes(role as string))) {
      throw new HttpProblem(400, 'The request has invalid fields; see errors', {
        errors: [{ field: 'roles', message: `roles must be a non-empty list of ${DEV_ROLES.join(', ')}` }],
      });
    }
    if (!deps.keys.signingSecret) throw new HttpProblem(404, 'Dev tokens need JWT_SECRET; only a public key is configured');
    const tenantId = (body.tenant_id as string | undefined) ?? (await demoTenantId(deps));
    const { token, expiresIn } = mintToken(deps.keys, {
      tenantId,
      roles: roles as string[],
      sub: 'dev-user',
      ttlSeconds: DEV_TOKEN_TTL_SECONDS,
    });
    res.setHeader('Cache-Control', 'no-store');
    res.json({ token, token_type: 'Bearer', expires_in: expiresIn, tenant_id: tenantId });
  });
  return router;
}
