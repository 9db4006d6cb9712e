import type { Request, Response } from 'express';
import jwt from 'jsonwebtoken';
import { createJwtAuthenticator } from '@metering/api';
import { resolveJwtKeys } from '@metering/auth';
import { loadApiConfig } from '@metering/platform';
import { runCli } from '../src/run-cli';

const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';

/** Runs the CLI with exactly `env`: no DATABASE_URL or REDIS_URL unless a test gives them. */
async function cli(env: Record<string, string>, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, env, { stdout: (text) => (stdout += `${text}\n`), stderr: (text) => (stderr += `${text}\n`), interactive: false });
  return { code, stdout, stderr };
}

/** What the API's verifier makes of `token` when the API runs with `env`. */
async function apiUserOf(env: Record<string, string>, token: string) {
  const keys = resolveJwtKeys(loadApiConfig({ ...env, DATABASE_URL: 'postgres://api', REDIS_URL: 'redis://api' }));
  const request = { headers: { authorization: `Bearer ${token}` } } as unknown as Request;
  return createJwtAuthenticator(keys).tryAuthenticate(request, {} as Response);
}

describe('token command', () => {
  it('prints a token the API accepts, signed with JWT_SECRET and its issuer and audience', async () => {
    const env = { NODE_ENV: 'test', JWT_SECRET: 's'.repeat(40), JWT_ISSUER: 'metering-test', JWT_AUDIENCE: 'metering-api' };
    const result = await cli(env, 'token', '--tenant', TENANT.toUpperCase(), '--role', 'agent', '--role', 'operator', '--sub', 'me', '--ttl', '60');
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const token = result.stdout.trim();
    expect(await apiUserOf(env, token)).toEqual({ sub: 'me', tenantId: TENANT, roles: ['agent', 'operator'] });
    const claims = jwt.decode(token) as Record<string, number>;
    expect(claims.exp! - claims.iat!).toBe(60);
    // Another secret (a different deployment) does not accept it.
    expect(await apiUserOf({ ...env, JWT_SECRET: 't'.repeat(40) }, token)).toBeNull();
  });

  it('agrees with the API on the development secret when no key is configured', async () => {
    const result = await cli({ NODE_ENV: 'development' }, 'token', '--tenant', TENANT);
    expect(result.code).toBe(0);
    expect(await apiUserOf({ NODE_ENV: 'development' }, result.stdout.trim())).toEqual({ sub: 'cli-user', tenantId: TENANT, roles: ['user'] });
    const json = await cli({ NODE_ENV: 'development' }, 'token', '--tenant', TENANT, '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ token_type: 'Bearer', expires_in: 3600, tenant_id: TENANT });
  });

  it.each([
    [['token'], '--tenant is required'],
    [['token', '--tenant', 'not-a-uuid'], '--tenant must be a tenant id (a UUID)'],
    [['token', '--tenant', TENANT, '--ttl', '0'], '--ttl must be 1 to 604800 seconds'],
    [['token', '--tenant', TENANT, '--ttl', 'soon'], '--ttl must be 1 to 604800 seconds'],
    [['token', '--tenant', TENANT, '--bogus'], "Unknown option '--bogus'"],
  ])('rejects %j with exit code 2 and the usage', async (argv, message) => {
    const result = await cli({ NODE_ENV: 'test' }, ...argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Usage: npm run usage -- token --tenant <tenant-id>');
  });

  it('refuses in production and names bad JWT settings', async () => {
    const production = await cli({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(40), JWT_ISSUER: 'idp', JWT_AUDIENCE: 'api' }, 'token', '--tenant', TENANT);
    expect(production).toMatchObject({ code: 1, stdout: '' });
    expect(production.stderr).toContain('refusing to mint tokens with NODE_ENV=production');
    // Without the production-required JWT variables it stops even earlier, naming them.
    const incomplete = await cli({ NODE_ENV: 'production', JWT_SECRET: 's'.repeat(40) }, 'token', '--tenant', TENANT);
    expect(incomplete).toMatchObject({ code: 1, stdout: '' });
    expect(incomplete.stderr).toContain('JWT_ISSUER must be set in production');
    const badSecret = await cli({ NODE_ENV: 'test', JWT_SECRET: 'short' }, 'token', '--tenant', TENANT);
    expect(badSecret.code).toBe(1);
    expect(badSecret.stderr).toContain('JWT_SECRET must be at least 32 characters');
  });
});
