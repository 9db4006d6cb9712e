import request from 'supertest';
import { awayFromMinuteEnd, seedPlan, seedTenant } from '@metering/testing';
import { deadRedis, tokenFor, useApiHarness } from './support/api-harness';

const api = useApiHarness({ env: { USAGE_RATE_LIMIT_PER_MINUTE: '10', INGEST_RATE_LIMIT_PER_MINUTE: '3' } });

async function newTenant(): Promise<string> {
  const { db } = api.current;
  return (await seedTenant(db.dataSource, { planId: (await seedPlan(db.dataSource)).id })).tenantId;
}

const read = (app: Parameters<typeof request>[0], tenantId: string) =>
  request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId)}`);

describe('per-tenant rate limits', () => {
  it('answers the 11th usage read within a minute with 429, and leaves another tenant unaffected', async () => {
    const app = api.current.buildApp();
    const [busy, quiet] = [await newTenant(), await newTenant()];
    await awayFromMinuteEnd(5);

    for (let i = 1; i <= 10; i += 1) {
      const res = await read(app, busy);
      expect(res.status).toBe(200);
      expect(res.headers.ratelimit).toBe(`"usage-read"; r=${10 - i}; t=${res.headers.ratelimit!.split('t=')[1]}`);
    }
    const limited = await read(app, busy);

    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, title: 'Too many requests' });
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(limited.headers['ratelimit-policy']).toMatch(/^"usage-read"; q=10; w=60/);
    expect(limited.headers.ratelimit).toMatch(/^"usage-read"; r=0; t=\d+$/);

    const other = await read(app, quiet);
    expect(other.status).toBe(200);
    expect(other.body.tenant_id).toBe(quiet);
  });

  it('shares counts across API processes through Redis', async () => {
    const { prefix } = api.current;
    const sharedPrefix = `rl:${prefix}:shared:`;
    const first = api.current.buildApp({ rateLimitPrefix: sharedPrefix });
    const second = api.current.buildApp({ rateLimitPrefix: sharedPrefix });
    const tenantId = await newTenant();
    await awayFromMinuteEnd(5);

    for (let i = 0; i < 5; i += 1) expect((await read(first, tenantId)).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await read(second, tenantId)).status).toBe(200);
    expect((await read(first, tenantId)).status).toBe(429);
    expect((await read(second, tenantId)).status).toBe(429);
  });

  it('limits ingest separately, with its own configured limit', async () => {
    const app = api.current.buildApp();
    const tenantId = await newTenant();
    const token = tokenFor(tenantId, ['agent']);
    const ingest = (n: number) =>
      request(app)
        .post('/api/v1/usage/events')
        .set('Authorization', `Bearer ${token}`)
        .send({ agent: 'inbox', action_type: 'email_processed', resource_id: `msg-${n}` });
    await awayFromMinuteEnd(5);

    for (let i = 0; i < 3; i += 1) expect((await ingest(i)).status).toBe(202);
    const limited = await ingest(99);
    expect(limited.status).toBe(429);
    expect(limited.headers['ratelimit-policy']).toMatch(/^"ingest"; q=3; w=60/);
    // The read limit of the same tenant is untouched.
    expect((await read(app, tenantId)).status).toBe(200);
  });

  it('lets usage reads through (fails open) while Redis is unreachable', async () => {
    const dead = await deadRedis();
    try {
      const app = api.current.buildApp({ redis: dead.redis });
      const tenantId = await newTenant();
      for (let i = 0; i < 12; i += 1) {
        const res = await read(app, tenantId);
        expect(res.status).toBe(200);
        expect(res.body.tenant_id).toBe(tenantId);
      }
    } finally {
      await dead.close();
    }
  });
});

describe('per-IP limit in front of authentication', () => {
  it('answers 429 to an address past IP_RATE_LIMIT_PER_MINUTE refused or anonymous requests, on every route, before checking tokens', async () => {
    const app = api.current.buildApp({ env: { IP_RATE_LIMIT_PER_MINUTE: '5' } });
    const tenantId = await newTenant();
    await awayFromMinuteEnd(5);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await request(app).get('/api/v1/usage').set('Authorization', `Bearer forged-${i}`)).status);
    for (let i = 0; i < 2; i += 1) statuses.push((await request(app).get('/health/live')).status);
    expect(statuses).toEqual([401, 401, 401, 401, 200, 429]);
    const valid = await read(app, tenantId);
    expect(valid.status).toBe(429);
    expect(valid.body.detail).toMatch(/^Too many requests without valid credentials from this address; retry in \d+ s$/);
    expect(Number(valid.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('never counts requests with a valid token', async () => {
    const app = api.current.buildApp({ env: { IP_RATE_LIMIT_PER_MINUTE: '2', USAGE_RATE_LIMIT_PER_MINUTE: '100' } });
    const tenantId = await newTenant();
    for (let i = 0; i < 8; i += 1) expect((await read(app, tenantId)).status).toBe(200);
  });
});

describe('per-tenant ingest budget', () => {
  it('refuses events past INGEST_EVENTS_PER_MINUTE with 429 + Retry-After, enqueues nothing for them, and leaves other tenants alone', async () => {
    const app = api.current.buildApp({ env: { INGEST_RATE_LIMIT_PER_MINUTE: '1000', INGEST_EVENTS_PER_MINUTE: '1000' } });
    const [busy, quiet] = [await newTenant(), await newTenant()];
    await awayFromMinuteEnd(5);
    const batch = (tenant: string, from: number, n: number) =>
      request(app)
        .post('/api/v1/usage/events')
        .set('Authorization', `Bearer ${tokenFor(tenant, ['agent'])}`)
        .send({ events: Array.from({ length: n }, (_, i) => ({ agent: 'inbox', action_type: 'email_processed', resource_id: `budget-${from + i}` })) });
    const jobsBefore = await api.current.eventsQueue.count();
    expect((await batch(busy, 0, 600)).status).toBe(202);
    const over = await batch(busy, 600, 600);
    expect(over.status).toBe(429);
    expect(over.body.detail).toMatch(/^Ingest budget of 1000 events and \d+ bytes per minute exceeded for this tenant$/);
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await batch(busy, 1200, 400)).status).toBe(202); // what fits still fits
    expect((await batch(quiet, 0, 600)).status).toBe(202);
    expect((await api.current.eventsQueue.count()) - jobsBefore).toBe(3);
  });
});
