import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import request from 'supertest';
import { seedPlan, seedTenant } from '@metering/testing';
import { TEST_JWT_SECRET, tokenFor, useApiHarness } from './support/api-harness';

const api = useApiHarness();

const rsa = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

/** A token with the given header and payload and the signature part left empty (alg: none). */
function unsignedToken(payload: Record<string, unknown>): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'none', typ: 'JWT' })}.${encode(payload)}.`;
}

let tenantId: string;
beforeAll(async () => {
  const { db } = api.current;
  ({ tenantId } = await seedTenant(db.dataSource, { planId: (await seedPlan(db.dataSource)).id }));
});

async function expectUnauthorized(authorization: string | undefined, app = api.current.app): Promise<void> {
  const req = request(app).get('/api/v1/usage');
  if (authorization !== undefined) req.set('Authorization', authorization);
  const res = await req;
  expect(res.status).toBe(401);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  // The same body for every failure: nothing says which check failed.
  expect(res.body).toMatchObject({ status: 401, title: 'Authentication required', detail: 'A valid bearer token is required' });
  expect(Object.keys(res.body).sort()).toEqual(['detail', 'instance', 'request_id', 'status', 'title', 'type']);
}

describe('JWT authentication', () => {
  it('accepts a valid HS256 token', async () => {
    const res = await request(api.current.app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId)}`);
    expect(res.status).toBe(200);
  });

  it('rejects a request without a token', async () => {
    await expectUnauthorized(undefined);
    await expectUnauthorized('Bearer');
    await expectUnauthorized(`Basic ${Buffer.from('a:b').toString('base64')}`);
  });

  it('rejects a token with a bad signature', async () => {
    const forged = jwt.sign({ tenant_id: tenantId, roles: ['user'] }, 'another-secret-that-is-long-enough-to-use', {
      algorithm: 'HS256',
      expiresIn: 300,
      subject: 'x',
    });
    await expectUnauthorized(`Bearer ${forged}`);
    const valid = tokenFor(tenantId);
    await expectUnauthorized(`Bearer ${valid.slice(0, -2)}${valid.endsWith('AA') ? 'BB' : 'AA'}`);
  });

  it('rejects alg: none', async () => {
    const exp = Math.floor(Date.now() / 1000) + 300;
    await expectUnauthorized(`Bearer ${unsignedToken({ sub: 'x', tenant_id: tenantId, roles: ['user'], exp })}`);
  });

  it('rejects an algorithm other than the configured one, even signed with the right secret', async () => {
    await expectUnauthorized(`Bearer ${tokenFor(tenantId, ['user'], { algorithm: 'HS512' })}`);
    const rs256 = jwt.sign({ tenant_id: tenantId, roles: ['user'] }, rsa.privateKey, { algorithm: 'RS256', expiresIn: 300, subject: 'x' });
    await expectUnauthorized(`Bearer ${rs256}`);
  });

  it('rejects an expired token and a token without exp', async () => {
    // Expired by more than the 30 s of clock skew tolerated (JWT_CLOCK_TOLERANCE_SECONDS).
    const expired = jwt.sign(
      { tenant_id: tenantId, roles: ['user'], sub: 'x', exp: Math.floor(Date.now() / 1000) - 40 },
      TEST_JWT_SECRET(),
      { algorithm: 'HS256' },
    );
    await expectUnauthorized(`Bearer ${expired}`);
    const noExp = jwt.sign({ tenant_id: tenantId, roles: ['user'], sub: 'x' }, TEST_JWT_SECRET(), { algorithm: 'HS256' });
    await expectUnauthorized(`Bearer ${noExp}`);
  });

  it('tolerates 30 s of clock skew on exp, and no more', async () => {
    const now = Math.floor(Date.now() / 1000);
    const sign = (exp: number) => jwt.sign({ tenant_id: tenantId, roles: ['user'], sub: 'x', iat: now - 60, exp }, TEST_JWT_SECRET(), { algorithm: 'HS256' });
    const justExpired = await request(api.current.app).get('/api/v1/usage').set('Authorization', `Bearer ${sign(now - 10)}`);
    expect(justExpired.status).not.toBe(401);
    await expectUnauthorized(`Bearer ${sign(now - 31)}`);
  });

  it('refuses a token issued longer ago than JWT_MAX_AGE_SECONDS whatever its exp, and one without iat or issued in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    const app = api.current.buildApp({ env: { JWT_MAX_AGE_SECONDS: '3600' } });
    // jsonwebtoken keeps an explicit iat, and drops it with noTimestamp.
    const sign = (claims: Record<string, unknown>, noTimestamp = false) =>
      jwt.sign({ tenant_id: tenantId, roles: ['user'], sub: 'x', exp: now + 30 * 86_400, ...claims }, TEST_JWT_SECRET(), { algorithm: 'HS256', noTimestamp });
    expect((await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${sign({ iat: now - 3000 })}`)).status).not.toBe(401);
    for (const token of [sign({ iat: now - 3700 }), sign({}, true), sign({ iat: now + 3600 })]) {
      await expectUnauthorized(`Bearer ${token}`, app);
    }
  });

  it('rejects a missing or malformed tenant_id and roles that are not a list', async () => {
    const sign = (claims: Record<string, unknown>) =>
      jwt.sign(claims, TEST_JWT_SECRET(), { algorithm: 'HS256', expiresIn: 300, subject: 'x' });
    await expectUnauthorized(`Bearer ${sign({ roles: ['user'] })}`);
    await expectUnauthorized(`Bearer ${sign({ tenant_id: 'not-a-uuid', roles: ['user'] })}`);
    await expectUnauthorized(`Bearer ${sign({ tenant_id: 42, roles: ['user'] })}`);
    await expectUnauthorized(`Bearer ${sign({ tenant_id: tenantId, roles: 'user' })}`);
    await expectUnauthorized(`Bearer ${sign({ tenant_id: tenantId })}`);
  });

  it('checks issuer and audience when they are configured', async () => {
    const app = api.current.buildApp({ env: { JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'usage-api' } });
    const good = tokenFor(tenantId, ['user'], { issuer: 'https://id.example.com', audience: 'usage-api' });
    expect((await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${good}`)).status).toBe(200);
    await expectUnauthorized(`Bearer ${tokenFor(tenantId)}`, app);
    await expectUnauthorized(`Bearer ${tokenFor(tenantId, ['user'], { issuer: 'https://evil.example.com', audience: 'usage-api' })}`, app);
    await expectUnauthorized(`Bearer ${tokenFor(tenantId, ['user'], { issuer: 'https://id.example.com', audience: 'other' })}`, app);
  });

  describe('with RS256 (JWT_PUBLIC_KEY)', () => {
    const rsApp = () => api.current.buildApp({ env: { JWT_PUBLIC_KEY: rsa.publicKey, JWT_SECRET: '' } });

    it('accepts a token signed with the private key', async () => {
      const token = jwt.sign({ tenant_id: tenantId, roles: ['user'] }, rsa.privateKey, { algorithm: 'RS256', expiresIn: 300, subject: 'x' });
      const res = await request(rsApp()).get('/api/v1/usage').set('Authorization', `Bearer ${token}`);
      expect(res.status).toBe(200);
      expect(res.body.tenant_id).toBe(tenantId);
    });

    it('rejects an HS256 token signed with the public key as the secret (algorithm confusion)', async () => {
      const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
      const payload = Buffer.from(
        JSON.stringify({ sub: 'x', tenant_id: tenantId, roles: ['user'], exp: Math.floor(Date.now() / 1000) + 300 }),
      ).toString('base64url');
      const { createHmac } = await import('node:crypto');
      const signature = createHmac('sha256', rsa.publicKey).update(`${header}.${payload}`).digest('base64url');
      await expectUnauthorized(`Bearer ${header}.${payload}.${signature}`, rsApp());
    });

    it('rejects any HS256 token when only a public key is configured', async () => {
      await expectUnauthorized(`Bearer ${tokenFor(tenantId)}`, rsApp());
    });
  });
});

describe('roles', () => {
  const event = () => ({ agent: 'inbox', action_type: 'email_processed', resource_id: `msg-${randomUUID()}` });

  it('answers 403 problem+json when a user token posts events', async () => {
    const res = await request(api.current.app)
      .post('/api/v1/usage/events')
      .set('Authorization', `Bearer ${tokenFor(tenantId, ['user'])}`)
      .send(event());
    expect(res.status).toBe(403);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toContain('agent, service');
  });

  it('lets agent and service tokens post events', async () => {
    for (const role of ['agent', 'service']) {
      const res = await request(api.current.app)
        .post('/api/v1/usage/events')
        .set('Authorization', `Bearer ${tokenFor(tenantId, [role])}`)
        .send(event());
      expect(res.status).toBe(202);
    }
  });
});
