import { randomUUID } from 'node:crypto';
import { seedCounter, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { SubscriptionNotFoundError, USAGE_READ_STALENESS_MS, UsageService, calendarMonthOf } from '@metering/usage';

const db = useTestDatabase();
const NOW = new Date('2026-11-20T09:30:00Z');
const PERIOD = calendarMonthOf(NOW);
const TRIAL_LIMITS = { emails_per_month: 100, invoices_per_month: 20, meetings_per_month: 5 };

function service(now: Date = NOW): UsageService {
  return new UsageService(db.current.dataSource, { trialLimits: TRIAL_LIMITS, clock: () => now });
}

describe('UsageService.getUsageStats', () => {
  it('reports count, limit, percentage, overage and cost per agent, with alerts', async () => {
    const plan = await seedPlan(db.current.dataSource, { code: `starter-${randomUUID().slice(0, 6)}`, name: 'Starter' });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', PERIOD, 812);
    await seedCounter(db.current.dataSource, tenantId, 'invoice', PERIOD, 230);
    await seedCounter(db.current.dataSource, tenantId, 'meeting', PERIOD, 3);

    const stats = await service().getUsageStats(tenantId);

    expect(stats).toEqual({
      tenant_id: tenantId,
      period_start: '2026-11-01T00:00:00.000Z',
      period_end: '2026-12-01T00:00:00.000Z',
      plan: { code: plan.code, name: 'Starter' },
      subscription_status: 'active',
      usage: {
        inbox: { count: 812, limit: 1000, percentage: 81.2, overage: 0, overage_cost_cents: 0, projected_count: 812, projected_overage_cost_cents: 0, projected_limit_date: null },
        invoice: { count: 230, limit: 200, percentage: 115, overage: 30, overage_cost_cents: 300, projected_count: 230, projected_overage_cost_cents: 300, projected_limit_date: null },
        meeting: { count: 3, limit: null, percentage: null, overage: 0, overage_cost_cents: 0, projected_count: 3, projected_overage_cost_cents: 0, projected_limit_date: null },
      },
      total_overage_cost_cents: 300,
      alerts: [
        { agent: 'inbox', level: 'warning', message: 'Inbox agent has used 81% of its monthly limit' },
        { agent: 'invoice', level: 'error', message: 'Invoice agent is 30 over its monthly limit' },
      ],
    });
  });

  it.each([
    [799, null, 79.9],
    [800, 'warning', 80],
    [999, 'warning', 99.9],
    [1000, 'error', 100],
    [1500, 'error', 150],
  ])('at %i of 1000 emails the alert level is %s', async (count, level, percentage) => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', PERIOD, count);

    const stats = await service().getUsageStats(tenantId);

    expect(stats.usage.inbox.percentage).toBe(percentage);
    expect(stats.alerts.find((a) => a.agent === 'inbox')?.level ?? null).toBe(level);
    expect(stats.usage.inbox.overage).toBe(Math.max(0, count - 1000));
    expect(stats.usage.inbox.overage_cost_cents).toBe(Math.max(0, count - 1000) * 2);
  });

  it('shows the quota and price the period opened with, the ones billing uses, after the plan changed', async () => {
    const plan = await seedPlan(db.current.dataSource, { limits: { emails_per_month: 1000 }, overageUnitCents: { inbox: 2 } });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', PERIOD, 1100);
    await db.current.dataSource.query(`UPDATE plans SET limits = '{"emails_per_month":5000}', overage_unit_cents = '{"inbox":9}' WHERE id = $1`, [plan.id]);

    const stats = await service().getUsageStats(tenantId);

    expect(stats.usage.inbox).toMatchObject({ count: 1100, limit: 1000, percentage: 110, overage: 100, overage_cost_cents: 200 });
  });

  it('says a limit is reached at exactly 100% with no overage', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    await seedCounter(db.current.dataSource, tenantId, 'invoice', PERIOD, 200);

    const stats = await service().getUsageStats(tenantId);

    expect(stats.alerts).toEqual([{ agent: 'invoice', level: 'error', message: 'Invoice agent has reached its monthly limit' }]);
  });

  it('returns zeros when no counters exist yet', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });

    const stats = await service().getUsageStats(tenantId);

    expect(Object.values(stats.usage).map((u) => u.count)).toEqual([0, 0, 0]);
    expect(stats.alerts).toEqual([]);
    expect(stats.total_overage_cost_cents).toBe(0);
  });

  it('treats a plan without a limit for an agent as unlimited', async () => {
    const plan = await seedPlan(db.current.dataSource, { limits: {} });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', PERIOD, 1_000_000);

    const stats = await service().getUsageStats(tenantId);

    expect(stats.usage.inbox).toEqual({ count: 1_000_000, limit: null, percentage: null, overage: 0, overage_cost_cents: 0, projected_count: 1_000_000, projected_overage_cost_cents: 0, projected_limit_date: null });
    expect(stats.alerts).toEqual([]);
  });

  it('applies the configured trial limits to a trial without a plan, with no overage cost', async () => {
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: null, status: 'trialing', period: PERIOD });
    await seedCounter(db.current.dataSource, tenantId, 'meeting', PERIOD, 6);

    const stats = await service().getUsageStats(tenantId);

    expect(stats.plan).toEqual({ code: 'trial', name: 'Trial' });
    expect(stats.subscription_status).toBe('trialing');
    expect(stats.usage.meeting).toEqual({ count: 6, limit: 5, percentage: 120, overage: 1, overage_cost_cents: 0, projected_count: 6, projected_overage_cost_cents: 0, projected_limit_date: null });
  });

  it('shows the period that contains now even before roll-over has run', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const october = calendarMonthOf(new Date('2026-10-10T00:00:00Z'));
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: october, anchorDay: 1 });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', october, 900);
    await seedCounter(db.current.dataSource, tenantId, 'inbox', PERIOD, 7);

    const stats = await service().getUsageStats(tenantId);

    expect(stats.period_start).toBe('2026-11-01T00:00:00.000Z');
    expect(stats.usage.inbox.count).toBe(7);
  });

  it("forecasts a period that starts mid-hour from its own share of that hour, never the previous period's", async () => {
    // A Stripe period starts when the subscription did: 14:30. The 14:00 rollup of Nov 15 exists
    // twice: the previous period's events before 14:30 and this period's after it.
    const period = { start: new Date('2026-11-15T14:30:00Z'), end: new Date('2026-12-15T14:30:00Z') };
    const previous = new Date('2026-10-15T14:30:00Z');
    const plan = await seedPlan(db.current.dataSource, { limits: {} });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', period, 15);
    await db.current.dataSource.query(
      `INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count)
       VALUES ($1, 'inbox', $2, '2026-11-15T14:00:00Z', 700), ($1, 'inbox', $3, '2026-11-15T14:00:00Z', 10), ($1, 'inbox', $3, '2026-11-16T14:00:00Z', 5)`,
      [tenantId, previous, period.start],
    );

    const stats = await service(new Date('2026-11-17T14:00:00Z')).getUsageStats(tenantId);

    // 15 over the 48 h since 14:00 on Nov 15, for the 672.5 h left: 15 + 210.
    expect(stats.usage.inbox).toMatchObject({ count: 15, projected_count: 225 });
  });

  it('throws SubscriptionNotFoundError for a tenant without a subscription', async () => {
    const { tenantId } = await seedTenant(db.current.dataSource, { withSubscription: false });
    await expect(service().getUsageStats(tenantId)).rejects.toBeInstanceOf(SubscriptionNotFoundError);
    await expect(service().getUsageStats(randomUUID())).rejects.toBeInstanceOf(SubscriptionNotFoundError);
  });
});

describe('UsageService answers from memory (cacheMs)', () => {
  it('serves a counter change from 1 s on at the latest, shares concurrent reads, and never remembers a refusal', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', PERIOD, 10);
    let now = NOW.getTime();
    // Asking for more than the bound still gets the bound.
    const cached = new UsageService(db.current.dataSource, { trialLimits: TRIAL_LIMITS, clock: () => new Date(now), cacheMs: 60_000 });

    const [first, concurrent] = await Promise.all([cached.getUsageStats(tenantId), cached.getUsageStats(tenantId)]);
    expect(first.usage.inbox.count).toBe(10);
    expect(concurrent).toBe(first);
    await db.current.dataSource.query(`UPDATE usage_counters SET count = 11 WHERE tenant_id = $1 AND agent = 'inbox'`, [tenantId]);

    now += USAGE_READ_STALENESS_MS - 1;
    expect((await cached.getUsageStats(tenantId)).usage.inbox.count).toBe(10);
    now += 1;
    expect((await cached.getUsageStats(tenantId)).usage.inbox.count).toBe(11);

    const { tenantId: unsubscribed } = await seedTenant(db.current.dataSource, { withSubscription: false });
    await expect(cached.getUsageStats(unsubscribed)).rejects.toBeInstanceOf(SubscriptionNotFoundError);
    await db.current.dataSource.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day)
       SELECT $1, plan_id, status, current_period_start, current_period_end, billing_anchor_day FROM subscriptions WHERE tenant_id = $2`,
      [unsubscribed, tenantId],
    );
    expect((await cached.getUsageStats(unsubscribed)).tenant_id).toBe(unsubscribed);
  });
});
