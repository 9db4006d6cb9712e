import { seedCounter, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, DAY_MS, DEFAULT_OCCURRED_AT_WINDOW, NON_BLOCKING_MEMORY_MS, QUOTA_STALENESS_MS, QuotaExceededError, UsageQuotaService, decideQuota, forecastAgent, parseTrackEventInputs, recentRatePerMs } from '@metering/usage';

const db = useTestDatabase();

describe('UsageQuotaService', () => {
  it('answers from its cache for at most 1 s, then sees the committed counter', async () => {
    const plan = await seedPlan(db.current.dataSource, { limitPolicies: { inbox: 'block' } });
    const { tenantId, period } = await seedTenant(db.current.dataSource, { planId: plan.id });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', period, 999);
    let now = new Date(period.start.getTime() + DAY_MS);
    const quota = new UsageQuotaService(db.current.dataSource, { trialLimits: {}, clock: () => now, staleMs: 60_000 });

    expect(await quota.check(tenantId, AgentType.Inbox, 1)).toMatchObject({ allowed: true, count: 999, remaining: 1 });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', period, 1000);
    now = new Date(now.getTime() + QUOTA_STALENESS_MS - 1);
    expect((await quota.check(tenantId, AgentType.Inbox, 1)).count).toBe(999);
    // A longer staleMs is capped at the documented bound.
    now = new Date(now.getTime() + 1);
    expect(await quota.check(tenantId, AgentType.Inbox, 1)).toMatchObject({ allowed: false, count: 1000, reason: 'limit_reached' });
  });

  it('answers checkCached from memory only once the state is loaded and while it is fresh', async () => {
    const plan = await seedPlan(db.current.dataSource, { limitPolicies: { inbox: 'block' } });
    const { tenantId, period } = await seedTenant(db.current.dataSource, { planId: plan.id });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', period, 998);
    let now = new Date(period.start.getTime() + DAY_MS);
    const quota = new UsageQuotaService(db.current.dataSource, { trialLimits: {}, clock: () => now });

    expect(quota.checkCached(tenantId, AgentType.Inbox, 1)).toBeUndefined(); // nothing loaded yet
    const first = quota.check(tenantId, AgentType.Inbox, 1);
    expect(quota.checkCached(tenantId, AgentType.Inbox, 1)).toBeUndefined(); // loading, not settled
    const second = quota.check(tenantId, AgentType.Inbox, 2); // while the load is in flight
    expect(await first).toMatchObject({ count: 998, remaining: 2, allowed: true });
    expect(await second).toMatchObject({ count: 998, allowed: true });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', period, 1000);
    expect(quota.checkCached(tenantId, AgentType.Inbox, 3)).toMatchObject({ count: 998, allowed: false, reason: 'limit_reached' });
    // The same question, the same (frozen) answer; another quantity, another answer.
    expect(quota.checkCached(tenantId, AgentType.Inbox, 3)).toBe(quota.checkCached(tenantId, AgentType.Inbox, 3));
    expect(Object.isFrozen(quota.checkCached(tenantId, AgentType.Inbox, 3))).toBe(true);
    expect(quota.checkCached(tenantId, AgentType.Inbox, 2)).toMatchObject({ quantity: 2, allowed: true, remaining: 2 });
    now = new Date(now.getTime() + QUOTA_STALENESS_MS);
    expect(quota.checkCached(tenantId, AgentType.Inbox, 1)).toBeUndefined(); // past the bound
    expect(await quota.check(tenantId, AgentType.Inbox, 1)).toMatchObject({ count: 1000, allowed: false });
    // A tenant without a subscription is never answered from memory.
    const unknown = '3f1b2c4d-1111-4222-8333-000000000000';
    await expect(quota.check(unknown, AgentType.Inbox, 1)).rejects.toThrow();
    expect(quota.checkCached(unknown, AgentType.Inbox, 1)).toBeUndefined();
  });

  it('lets ingest skip the counters of a tenant whose plan blocks nothing, for at most NON_BLOCKING_MEMORY_MS', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId, period } = await seedTenant(db.current.dataSource, { planId: plan.id });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', period, 1000);
    let now = new Date(period.start.getTime() + DAY_MS);
    const quota = new UsageQuotaService(db.current.dataSource, { trialLimits: {}, clock: () => now });
    const events = () =>
      parseTrackEventInputs([{ tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: `r-${now.getTime()}` }], {
        now,
        window: DEFAULT_OCCURRED_AT_WINDOW,
      });
    await expect(quota.admit(events())).resolves.toBeUndefined(); // overage policy: admitted
    // The plan now blocks inbox at its limit, which the counter has reached.
    await db.current.dataSource.query(`UPDATE plans SET limit_policies = '{"inbox":"block"}' WHERE id = $1`, [plan.id]);
    now = new Date(now.getTime() + NON_BLOCKING_MEMORY_MS - 1);
    await expect(quota.admit(events())).resolves.toBeUndefined(); // still remembered as non-blocking
    now = new Date(now.getTime() + 1);
    await expect(quota.admit(events())).rejects.toBeInstanceOf(QuotaExceededError);
  });
});

describe('decideQuota', () => {
  it.each([
    [0, 1, null, 'overage', true, 'unlimited', null],
    [999, 1, 1000, 'block', true, 'within_limit', 1],
    [999, 2, 1000, 'block', false, 'limit_reached', 1],
    [1200, 5, 1000, 'overage', true, 'overage_billed', 0],
    [0, 1, 0, 'block', false, 'limit_reached', 0],
  ] as const)('count %d + %d against %s (%s): allowed %s, %s', (count, quantity, limit, policy, allowed, reason, remaining) => {
    expect(decideQuota(AgentType.Inbox, quantity, count, limit, policy)).toMatchObject({ allowed, reason, remaining });
  });
});

describe('the forecast on constructed histories', () => {
  const periodStart = Date.UTC(2026, 10, 1);
  const periodEnd = Date.UTC(2026, 11, 1);

  it('a steady 100 a day from day one projects 3,000 for a 30-day month', () => {
    const now = Date.UTC(2026, 10, 11);
    const rate = recentRatePerMs({ firstUsageMs: periodStart, recentCount: 700, sinceMs: now - 7 * DAY_MS }, now);
    expect(rate * DAY_MS).toBeCloseTo(100, 6);
    expect(forecastAgent({ count: 1000, limit: 2000, unitCents: 2, ratePerMs: rate, nowMs: now, periodEndMs: periodEnd })).toEqual({
      projected_count: 3000,
      projected_overage_cost_cents: 2000,
      projected_limit_date: new Date(Date.UTC(2026, 10, 21)).toISOString(),
    });
  });

  it('a quiet first week does not dilute the rate: it is measured from the first hour with usage', () => {
    const now = Date.UTC(2026, 10, 10);
    const firstUsage = Date.UTC(2026, 10, 8);
    // 400 over two days since Nov 8 (nothing in the week before): 200 a day, not 400 / 7.
    const rate = recentRatePerMs({ firstUsageMs: firstUsage, recentCount: 400, sinceMs: Date.UTC(2026, 10, 3) }, now);
    expect(rate * DAY_MS).toBeCloseTo(200, 6);
    expect(forecastAgent({ count: 400, limit: null, unitCents: 2, ratePerMs: rate, nowMs: now, periodEndMs: periodEnd })).toEqual({
      projected_count: 400 + 200 * 21,
      projected_overage_cost_cents: 0,
      projected_limit_date: null,
    });
  });

  it('an hour of usage is spread over a day, and idle or already-reached agents get no date', () => {
    const now = Date.UTC(2026, 10, 20, 1);
    const rate = recentRatePerMs({ firstUsageMs: Date.UTC(2026, 10, 20), recentCount: 24, sinceMs: Date.UTC(2026, 10, 13) }, now);
    expect(rate * DAY_MS).toBeCloseTo(24, 6);
    expect(recentRatePerMs(undefined, now)).toBe(0);
    expect(forecastAgent({ count: 10, limit: 100, unitCents: 1, ratePerMs: 0, nowMs: now, periodEndMs: periodEnd })).toMatchObject({
      projected_count: 10,
      projected_limit_date: null,
    });
    expect(forecastAgent({ count: 150, limit: 100, unitCents: 1, ratePerMs: rate, nowMs: now, periodEndMs: periodEnd }).projected_limit_date).toBeNull();
    // Would reach the limit only after period end: no date, and no overage projected.
    expect(forecastAgent({ count: 10, limit: 10_000, unitCents: 1, ratePerMs: rate, nowMs: now, periodEndMs: periodEnd })).toMatchObject({
      projected_overage_cost_cents: 0,
      projected_limit_date: null,
    });
  });
});
