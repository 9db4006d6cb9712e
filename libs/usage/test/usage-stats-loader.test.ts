import { randomUUID } from 'node:crypto';
import { seedCounter, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { SubscriptionNotFoundError, UsageService, calendarMonthOf } from '@metering/usage';

const db = useTestDatabase();
const NOW = new Date('2026-11-20T09:30:00Z');
const PERIOD = calendarMonthOf(NOW);

describe('concurrent usage reads (read together in one query)', () => {
  it('gives every caller its own tenant, also when the same tenant is asked twice at once', async () => {
    const ds = db.current.dataSource;
    const plan = await seedPlan(ds, { code: `loader-${randomUUID().slice(0, 6)}` });
    const tenants: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { tenantId } = await seedTenant(ds, { planId: plan.id, period: PERIOD });
      await seedCounter(ds, tenantId, 'inbox', PERIOD, 100 + i);
      tenants.push(tenantId);
    }
    const service = new UsageService(ds, { trialLimits: {}, clock: () => NOW });

    const asked = [...tenants, tenants[0]!, tenants[3]!.toUpperCase()];
    const stats = await Promise.all(asked.map((id) => service.getUsageStats(id)));

    expect(stats.map((s) => [s.tenant_id.toLowerCase(), s.usage.inbox.count])).toEqual(
      asked.map((id) => [id.toLowerCase(), 100 + tenants.indexOf(id.toLowerCase())]),
    );
  });

  it('fails only the caller with an unknown or malformed tenant, not the others read with it', async () => {
    const ds = db.current.dataSource;
    const plan = await seedPlan(ds, { code: `loader-${randomUUID().slice(0, 6)}` });
    const { tenantId } = await seedTenant(ds, { planId: plan.id, period: PERIOD });
    await seedCounter(ds, tenantId, 'invoice', PERIOD, 7);
    const service = new UsageService(ds, { trialLimits: {}, clock: () => NOW });

    const [known, unknown, malformed] = await Promise.allSettled([
      service.getUsageStats(tenantId),
      service.getUsageStats(randomUUID()),
      service.getUsageStats('not-a-uuid'),
    ]);

    expect(known).toMatchObject({ status: 'fulfilled', value: { usage: { invoice: { count: 7 } } } });
    expect(unknown).toMatchObject({ status: 'rejected', reason: expect.any(SubscriptionNotFoundError) });
    expect(malformed).toMatchObject({ status: 'rejected', reason: expect.any(SubscriptionNotFoundError) });
  });
});
