import request from 'supertest';
import { calendarMonthOf } from '@metering/usage';
import { seedCounter, seedPlan, seedTenant } from '@metering/testing';
import { createMetricsApp } from '../src/routes/metrics.router';
import { tokenFor, useApiHarness } from './support/api-harness';

const api = useApiHarness();

describe('GET /api/v1/usage', () => {
  it("returns the tenant's counts, limits, overage cost and alerts for the current period", async () => {
    const { db, app } = api.current;
    const plan = await seedPlan(db.dataSource, { name: 'Starter' });
    const { tenantId, period } = await seedTenant(db.dataSource, { planId: plan.id });
    await seedCounter(db.dataSource, tenantId, 'inbox', period, 812);
    await seedCounter(db.dataSource, tenantId, 'invoice', period, 230);
    await seedCounter(db.dataSource, tenantId, 'meeting', period, 3);

    const res = await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId)}`);

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      tenant_id: tenantId,
      period_start: period.start.toISOString(),
      period_end: period.end.toISOString(),
      plan: { code: plan.code, name: 'Starter' },
      subscription_status: 'active',
      usage: {
        inbox: { count: 812, limit: 1000, percentage: 81.2, overage: 0, overage_cost_cents: 0, projected_count: 812, projected_overage_cost_cents: 0, projected_limit_date: null },
        invoice: { count: 230, limit: 200, percentage: 115, overage: 30, overage_cost_cents: 300, projected_count: 230, projected_overage_cost_cents: 300, projected_limit_date: null },
        meeting: { count: 3, limit: null, percentage: null, overage: 0, overage_cost_cents: 0, projected_count: 3, projected_overage_cost_cents: 0, projected_limit_date: null },
      },
      total_overage_cost_cents: 300,
      alerts: [
        { agent: 'inbox', level: 'warning', message: expect.stringContaining('81') },
        { agent: 'invoice', level: 'error', message: expect.stringContaining('30') },
      ],
    });
  });

  it("never shows another tenant's numbers, whatever the query string or body says", async () => {
    const { db, app } = api.current;
    const plan = await seedPlan(db.dataSource);
    const a = await seedTenant(db.dataSource, { planId: plan.id, name: 'Tenant A' });
    const b = await seedTenant(db.dataSource, { planId: plan.id, name: 'Tenant B' });
    await seedCounter(db.dataSource, a.tenantId, 'inbox', a.period, 5);
    await seedCounter(db.dataSource, b.tenantId, 'inbox', b.period, 999);
    const tokenA = tokenFor(a.tenantId);

    const attempts = [
      request(app).get(`/api/v1/usage?tenant_id=${b.tenantId}`).set('Authorization', `Bearer ${tokenA}`),
      request(app).get(`/api/v1/usage?tenantId=${b.tenantId}&tenant=${b.tenantId}`).set('Authorization', `Bearer ${tokenA}`),
      request(app)
        .get('/api/v1/usage')
        .set('Authorization', `Bearer ${tokenA}`)
        .set('X-Tenant-Id', b.tenantId)
        .send({ tenant_id: b.tenantId }),
    ];
    for (const res of await Promise.all(attempts)) {
      expect(res.status).toBe(200);
      expect(res.body.tenant_id).toBe(a.tenantId);
      expect(res.body.usage.inbox.count).toBe(5);
    }
    const asB = await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(b.tenantId)}`);
    expect(asB.body.usage.inbox.count).toBe(999);
  });

  it('answers 404 problem+json when the tenant has no subscription', async () => {
    const { db, app } = api.current;
    const { tenantId } = await seedTenant(db.dataSource, { withSubscription: false });

    const res = await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId)}`);

    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not found', detail: expect.stringContaining('no subscription') });
  });

  it('shows trial limits from config for a trial without a plan', async () => {
    const { db, app } = api.current;
    const { tenantId, period } = await seedTenant(db.dataSource, { planId: null, status: 'trialing' });
    await seedCounter(db.dataSource, tenantId, 'inbox', period, 100);

    const res = await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId)}`);

    expect(res.status).toBe(200);
    expect(res.body.plan).toEqual({ code: 'trial', name: 'Trial' });
    expect(res.body.subscription_status).toBe('trialing');
    expect(res.body.usage.inbox).toMatchObject({ count: 100, limit: 100, percentage: 100 });
    expect(res.body.period_start).toBe(calendarMonthOf(new Date()).start.toISOString());
  });

  it('records the read in usage_api_latency_seconds and http_request_duration_seconds', async () => {
    const { db, app } = api.current;
    const { tenantId } = await seedTenant(db.dataSource, { planId: (await seedPlan(db.dataSource)).id });
    await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId)}`).expect(200);

    const metrics = await request(createMetricsApp()).get('/metrics');

    expect(metrics.status).toBe(200);
    // Served on the metrics port only: the public app has no /metrics.
    expect((await request(app).get('/metrics')).status).toBe(404);
    expect(metrics.text).toMatch(/usage_api_latency_seconds_count\{outcome="ok"\} [1-9]/);
    expect(metrics.text).toMatch(/http_request_duration_seconds_count\{route="\/api\/v1\/usage",method="GET",status="200"\} [1-9]/);
    expect(metrics.text).toContain('process_cpu_user_seconds_total');
  });
});

describe('who may read usage', () => {
  it('serves user, service and admin tokens, and answers 403 to agent, operator and role-less tokens', async () => {
    const { db, app } = api.current;
    const { tenantId } = await seedTenant(db.dataSource, { planId: (await seedPlan(db.dataSource)).id });
    const reader = api.current.buildApp({ env: { USAGE_RATE_LIMIT_PER_MINUTE: '1000' } });
    for (const roles of [['user'], ['service'], ['admin'], ['agent', 'user']]) {
      const res = await request(reader).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId, roles)}`);
      expect({ roles, status: res.status, tenant: res.body.tenant_id }).toEqual({ roles, status: 200, tenant: tenantId });
    }
    for (const roles of [[], ['agent'], ['operator'], ['reader']]) {
      const res = await request(app).get('/api/v1/usage').set('Authorization', `Bearer ${tokenFor(tenantId, roles)}`);
      expect({ roles, status: res.status }).toEqual({ roles, status: 403 });
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.detail).toBe('This endpoint needs one of the roles: user, service, admin');
      expect(res.text).not.toContain('"usage"');
    }
  });
});
