import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Router } from 'express';
import request from 'supertest';
import { eventually, seedPlan, seedTenant } from '@metering/testing';
import { capturingLogger, tokenFor, useApiHarness } from './support/api-harness';

const OPERATOR = { OPERATOR_USERNAME: 'ops', OPERATOR_PASSWORD: 'correct-horse-battery' };
const PRODUCTION = { NODE_ENV: 'production', JWT_ISSUER: 'https://idp.example.com', JWT_AUDIENCE: 'usage-api' };
const api = useApiHarness({ env: { ...OPERATOR, DEV_LOGIN: 'true' } });

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('Bull Board at /admin/queues', () => {
  it('answers 401 with WWW-Authenticate without operator credentials', async () => {
    const { app } = api.current;
    const attempts = [
      request(app).get('/admin/queues'),
      request(app).get('/admin/queues').set('Authorization', basic('ops', 'wrong-password-123')),
      request(app).get('/admin/queues').set('Authorization', basic('someone', OPERATOR.OPERATOR_PASSWORD)),
      request(app).get('/admin/queues').set('Authorization', `Bearer ${tokenFor('3f1b2c4d-1111-4222-8333-123456789abc', ['user', 'agent'])}`),
      request(app).get('/admin/queues/api/queues'),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic realm="operators"/);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it('serves the board to basic-auth operators and to operator tokens', async () => {
    const { app } = api.current;
    const withBasic = await request(app).get('/admin/queues').set('Authorization', basic('ops', OPERATOR.OPERATOR_PASSWORD));
    expect(withBasic.status).toBe(200);
    expect(withBasic.text).toContain('<html');
    expect(withBasic.headers['content-security-policy']).toContain("'unsafe-inline'");

    const token = tokenFor('3f1b2c4d-1111-4222-8333-123456789abc', ['operator']);
    const queues = await request(app).get('/admin/queues/api/queues').set('Authorization', `Bearer ${token}`);
    expect(queues.status).toBe(200);
    expect(queues.body.queues.map((queue: { name: string }) => queue.name).sort()).toEqual(
      ['usage-alerts', 'usage-events', 'usage-maintenance'],
    );
  });
});

describe('Bull Board writes', () => {
  const tenant = '3f1b2c4d-1111-4222-8333-123456789abc';
  const promote = (app: Parameters<typeof request>[0], jobId: string, authorization: string) =>
    request(app).put(`/admin/queues/api/queues/usage-events/${jobId}/promote`).set('Authorization', authorization);

  it('refuses every write from operator tokens and basic auth (403) and changes nothing', async () => {
    const { app, eventsQueue } = api.current;
    const job = await eventsQueue.add('track-event', { probe: true }, { delay: 3_600_000, jobId: 'bb-readonly-1' });
    const attempts = [
      promote(app, job.id!, `Bearer ${tokenFor(tenant, ['operator'])}`),
      promote(app, job.id!, basic('ops', OPERATOR.OPERATOR_PASSWORD)),
      request(app).put(`/admin/queues/api/queues/usage-events/${job.id}/clean`).set('Authorization', `Bearer ${tokenFor(tenant, ['operator'])}`),
      request(app).post('/admin/queues/api/queues/usage-events/add').set('Authorization', basic('ops', OPERATOR.OPERATOR_PASSWORD)).send({ name: 'track-event', data: {} }),
      request(app).put('/admin/queues/api/queues/usage-events/empty').set('Authorization', `Bearer ${tokenFor(tenant, ['operator', 'user'])}`),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(403);
      expect(res.body.detail).toBe('Bull Board is read-only for operators; changing jobs or queues needs a token with role admin');
    }
    expect(await job.getState()).toBe('delayed');
    expect(await eventsQueue.getJob('bb-readonly-1')).toBeDefined();
    const [{ n }] = await api.current.db.dataSource.query(`SELECT count(*)::int AS n FROM operator_audit_log WHERE job_id = 'bb-readonly-1'`);
    expect(n).toBe(0);
    // The board operators see offers no actions either.
    const queues = await request(app).get('/admin/queues/api/queues').set('Authorization', `Bearer ${tokenFor(tenant, ['operator'])}`);
    expect(queues.body.queues.every((queue: { readOnlyMode: boolean }) => queue.readOnlyMode)).toBe(true);
  });

  it('lets an admin token write, and records actor, action, queue and job id first', async () => {
    const { app, eventsQueue, db } = api.current;
    const job = await eventsQueue.add('track-event', { probe: true }, { delay: 3_600_000, jobId: 'bb-admin-1' });
    const admin = tokenFor(tenant, ['admin'], { subject: 'alice@ops' });
    const queues = await request(app).get('/admin/queues/api/queues').set('Authorization', `Bearer ${admin}`);
    expect(queues.body.queues.some((queue: { readOnlyMode: boolean }) => queue.readOnlyMode)).toBe(false);

    const res = await promote(app, job.id!, `Bearer ${admin}`);

    expect(res.status).toBeLessThan(300);
    expect(await job.getState()).toBe('waiting');
    // The row is written before the action; its status once the answer went out.
    const rows = await eventually(async () => {
      const found = await db.dataSource.query(
        `SELECT actor, actor_tenant_id, action, queue, job_id, method, status FROM operator_audit_log WHERE job_id = 'bb-admin-1'`,
      );
      return found[0]?.status !== null && found;
    }, 5000, 'audit row completed');
    expect(rows).toEqual([
      { actor: 'token:alice@ops', actor_tenant_id: tenant, action: 'promote', queue: 'usage-events', job_id: 'bb-admin-1', method: 'PUT', status: res.status },
    ]);
  });

  it('locks an IP out after OPERATOR_LOGIN_MAX_FAILURES failed basic logins, even for the right password', async () => {
    const app = api.current.buildApp({ env: { OPERATOR_LOGIN_MAX_FAILURES: '3', OPERATOR_LOCKOUT_SECONDS: '60' } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await request(app).get('/admin/queues').set('Authorization', basic('ops', `wrong-password-${i}`))).status);
    expect(statuses).toEqual([401, 401, 429, 429]);
    const right = await request(app).get('/admin/queues').set('Authorization', basic('ops', OPERATOR.OPERATOR_PASSWORD));
    expect(right.status).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(right.headers['retry-after'])).toBeLessThanOrEqual(60);
  });
});

describe('documentation and headers', () => {
  it('serves Swagger UI at /api/docs with a CSP relaxed only there', async () => {
    const { app } = api.current;
    const docs = await request(app).get('/api/docs/');
    expect(docs.status).toBe(200);
    expect(docs.text).toContain('swagger-ui');
    expect(docs.headers['content-security-policy']).toContain("script-src 'self' 'unsafe-inline'");

    const apiResponse = await request(app).get('/health/live');
    expect(apiResponse.headers['content-security-policy']).toContain("script-src 'self';");
    expect(apiResponse.headers['x-content-type-options']).toBe('nosniff');
  });

  it('gives JSON API answers the API security headers only, errors included', async () => {
    const { app } = api.current;
    for (const path of ['/api/v1/usage', '/api/v1/usage/check?agent=inbox', '/api/v1/no-such-route']) {
      const answer = await request(app).get(path);
      expect(answer.status).toBe(path.includes('no-such') ? 404 : 401);
      expect(answer.headers).toMatchObject({
        'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
        'cross-origin-resource-policy': 'same-origin',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': 'max-age=31536000; includeSubDomains',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
      });
      for (const documentOnly of ['x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'origin-agent-cluster', 'cross-origin-opener-policy']) {
        expect(answer.headers[documentOnly]).toBeUndefined();
      }
    }
    // Documents keep helmet's full set.
    const page = await request(app).get('/health/live');
    expect(page.headers['x-dns-prefetch-control']).toBe('off');
    expect(page.headers['x-frame-options']).toBe('SAMEORIGIN');
  });

  it('allows CORS from the web origin only', async () => {
    const { app, config } = api.current;
    const allowed = await request(app).options('/api/v1/usage').set('Origin', config.api.webOrigin).set('Access-Control-Request-Method', 'GET');
    expect(allowed.headers['access-control-allow-origin']).toBe(config.api.webOrigin);
    const other = await request(app).get('/health/live').set('Origin', 'https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect(other.headers.vary).toBe('Origin');
    // A cross-origin GET from the page can read the rate-limit and request-id headers.
    const page = await request(app).get('/health/live').set('Origin', config.api.webOrigin);
    expect(page.headers['access-control-allow-origin']).toBe(config.api.webOrigin);
    expect(page.headers['access-control-expose-headers']).toBe('X-Request-Id,RateLimit,RateLimit-Policy,Retry-After');
    expect(page.headers.vary).toBe('Origin');
    // Without an Origin header it is not a CORS request: no CORS headers, but still Vary: Origin.
    const sameOrigin = await request(app).get('/health/live');
    expect(sameOrigin.headers['access-control-allow-origin']).toBeUndefined();
    expect(sameOrigin.headers['access-control-expose-headers']).toBeUndefined();
    expect(sameOrigin.headers.vary).toBe('Origin');
  });

  it("echoes a caller's X-Request-Id and creates one otherwise", async () => {
    const { app } = api.current;
    expect((await request(app).get('/health/live').set('X-Request-Id', 'trace-abc-123')).headers['x-request-id']).toBe('trace-abc-123');
    expect((await request(app).get('/health/live').set('X-Request-Id', 'bad id\twith spaces')).headers['x-request-id']).toMatch(
      /^[0-9a-f-]{36}$/,
    );
  });

  it('answers an unknown path with a 404 problem', async () => {
    const res = await request(api.current.app).get('/api/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('logs an unexpected error with the request id and returns no stack', async () => {
    const { logger, lines } = capturingLogger();
    const failing = Router().get('/api/v1/explode', () => {
      throw new Error('secret internal detail at /srv/app.ts:12');
    });
    const app = api.current.buildApp({ logger, extraRouters: [failing] });

    const res = await request(app).get('/api/v1/explode').set('X-Request-Id', 'req-500-check');

    expect(res.status).toBe(500);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 500, request_id: 'req-500-check' });
    expect(JSON.stringify(res.body)).not.toMatch(/secret internal detail|app\.ts|stack/);
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'error', requestId: 'req-500-check', error: 'secret internal detail at /srv/app.ts:12' }),
      ]),
    );
  });
});

describe('development token', () => {
  it('mints a token for the demo tenant that the usage read accepts', async () => {
    const { db, app } = api.current;
    const { tenantId } = await seedTenant(db.dataSource, { name: 'Demo tenant', planId: (await seedPlan(db.dataSource)).id });

    const minted = await request(app).post('/api/v1/dev/token');

    expect(minted.status).toBe(200);
    expect(minted.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, tenant_id: tenantId });
    const usage = await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${minted.body.token}`);
    expect(usage.status).toBe(200);
    expect(usage.body.tenant_id).toBe(tenantId);
  });

  it('is for DEMO_TENANT_ID when it is configured', async () => {
    const { db } = api.current;
    const { tenantId } = await seedTenant(db.dataSource, { name: 'Configured demo', planId: (await seedPlan(db.dataSource)).id });
    const app = api.current.buildApp({ env: { ...OPERATOR, DEV_LOGIN: 'true', DEMO_TENANT_ID: tenantId.toUpperCase() } });
    const minted = await request(app).post('/api/v1/dev/token');
    expect(minted.status).toBe(200);
    expect(minted.body.tenant_id).toBe(tenantId);
  });

  it('is a 404 in production', async () => {
    const app = api.current.buildApp({ env: { ...PRODUCTION, ...OPERATOR, DEV_LOGIN: 'false' } });
    const res = await request(app).post('/api/v1/dev/token');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('is a 404 when DEV_LOGIN is not set, whatever NODE_ENV says', async () => {
    for (const NODE_ENV of ['development', 'test']) {
      const app = api.current.buildApp({ env: { ...OPERATOR, NODE_ENV, DEV_LOGIN: '' } });
      const res = await request(app).post('/api/v1/dev/token').send({ roles: ['user'] });
      expect({ NODE_ENV, status: res.status, token: res.body.token }).toEqual({ NODE_ENV, status: 404, token: undefined });
    }
  });

  it('never mints operator or admin tokens', async () => {
    const { db, app } = api.current;
    await seedTenant(db.dataSource, { name: 'Demo tenant', planId: (await seedPlan(db.dataSource)).id });
    for (const roles of [['operator'], ['admin'], ['user', 'admin']]) {
      const res = await request(app).post('/api/v1/dev/token').send({ roles });
      expect({ roles, status: res.status, token: res.body.token }).toEqual({ roles, status: 400, token: undefined });
      expect(res.body.errors).toEqual([{ field: 'roles', message: 'roles must be a non-empty list of user, agent, service' }]);
    }
  });
});

describe('built web app', () => {
  let distDir: string;
  beforeAll(() => {
    distDir = mkdtempSync(path.join(tmpdir(), 'web-dist-'));
    writeFileSync(path.join(distDir, 'index.html'), '<!doctype html><html><body><div id="root">billing</div></body></html>');
    writeFileSync(path.join(distDir, 'app.js'), 'console.log("app")');
  });
  afterAll(() => rmSync(distDir, { recursive: true, force: true }));

  it('serves files and falls back to index.html for client routes, never for API paths', async () => {
    const app = api.current.buildApp({ webDistDir: distDir });
    const page = await request(app).get('/settings/billing').set('Accept', 'text/html');
    expect(page.status).toBe(200);
    expect(page.text).toContain('id="root"');
    expect((await request(app).get('/app.js')).text).toContain('console.log');
    const apiMiss = await request(app).get('/api/v1/missing').set('Accept', 'text/html');
    expect(apiMiss.status).toBe(404);
    expect(apiMiss.headers['content-type']).toMatch(/^application\/problem\+json/);
  });
});
