import { createLogger } from '@metering/platform';
import { counterValue, seedCounter, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { UsageRolloverService } from '@metering/usage';
import type { BillingPeriod } from '@metering/usage';

const db = useTestDatabase();
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

function rollover(now: string): UsageRolloverService {
  return new UsageRolloverService(db.current.dataSource, { logger, clock: () => new Date(now) });
}

const period = (start: string, end: string): BillingPeriod => ({ start: new Date(start), end: new Date(end) });

async function subscriptionPeriod(tenantId: string): Promise<[string, string]> {
  const [row] = await db.current.dataSource.query(
    `SELECT current_period_start, current_period_end FROM subscriptions WHERE tenant_id = $1`,
    [tenantId],
  );
  return [row.current_period_start.toISOString(), row.current_period_end.toISOString()];
}

async function counters(tenantId: string): Promise<Array<[string, string, number]>> {
  const rows = await db.current.dataSource.query(
    `SELECT agent, period_start, count FROM usage_counters WHERE tenant_id = $1 ORDER BY period_start, agent`,
    [tenantId],
  );
  return rows.map((r: { agent: string; period_start: Date; count: string }) => [r.agent, r.period_start.toISOString(), Number(r.count)]);
}

beforeEach(async () => {
  await db.current.dataSource.query(`TRUNCATE tenants, plans CASCADE`);
});

describe('UsageRolloverService', () => {
  it('moves an ended period to the next, creates zeroed counters for it, keeps history, and is idempotent', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const november = period('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z');
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: november, anchorDay: 1 });
    await seedCounter(db.current.dataSource, tenantId, 'inbox', november, 812);

    const first = await rollover('2026-12-01T00:05:00Z').rollOver();

    expect(first).toEqual({ subscriptionsRolled: 1, periodsAdvanced: 1, countersCreated: 3 });
    expect(await subscriptionPeriod(tenantId)).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
    expect(await counters(tenantId)).toEqual([
      ['inbox', '2026-11-01T00:00:00.000Z', 812],
      ['inbox', '2026-12-01T00:00:00.000Z', 0],
      ['invoice', '2026-12-01T00:00:00.000Z', 0],
      ['meeting', '2026-12-01T00:00:00.000Z', 0],
    ]);

    const before = await counters(tenantId);
    const second = await rollover('2026-12-01T00:06:00Z').rollOver();
    expect(second).toEqual({ subscriptionsRolled: 0, periodsAdvanced: 0, countersCreated: 0 });
    expect(await counters(tenantId)).toEqual(before);
    expect(await subscriptionPeriod(tenantId)).toEqual(['2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);
  });

  it('gives the new period the plan terms in force now and leaves the closed period on the terms it opened with', async () => {
    const plan = await seedPlan(db.current.dataSource, { limits: { emails_per_month: 1000 } });
    const november = period('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z');
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: november, anchorDay: 1 });
    // The plan changes during November: November keeps 1,000, December opens with 5,000.
    await db.current.dataSource.query(`UPDATE plans SET limits = '{"emails_per_month":5000}' WHERE id = $1`, [plan.id]);

    await rollover('2026-12-01T00:01:00Z').rollOver();

    const terms = await db.current.dataSource.query(
      `SELECT period_start, period_end, limits FROM billing_period_terms WHERE tenant_id = $1 ORDER BY period_start`,
      [tenantId],
    );
    expect(terms).toEqual([
      { period_start: november.start, period_end: november.end, limits: { emails_per_month: 1000 } },
      { period_start: new Date('2026-12-01T00:00:00Z'), period_end: new Date('2027-01-01T00:00:00Z'), limits: { emails_per_month: 5000 } },
    ]);
  });

  it('keeps the anchor day through short months: Jan 31 -> Feb 28 -> Mar 31, and Feb 29 in a leap year', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const january = period('2027-01-31T00:00:00Z', '2027-02-28T00:00:00Z');
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: january, anchorDay: 31 });
    const leapJanuary = period('2028-01-31T00:00:00Z', '2028-02-29T00:00:00Z');
    const leap = await seedTenant(db.current.dataSource, { planId: plan.id, period: leapJanuary, anchorDay: 31 });

    await rollover('2027-02-28T00:05:00Z').rollOver();
    expect(await subscriptionPeriod(tenantId)).toEqual(['2027-02-28T00:00:00.000Z', '2027-03-31T00:00:00.000Z']);
    await rollover('2027-03-31T00:05:00Z').rollOver();
    expect(await subscriptionPeriod(tenantId)).toEqual(['2027-03-31T00:00:00.000Z', '2027-04-30T00:00:00.000Z']);

    await rollover('2028-02-29T00:05:00Z').rollOver();
    expect(await subscriptionPeriod(leap.tenantId)).toEqual(['2028-02-29T00:00:00.000Z', '2028-03-31T00:00:00.000Z']);
  });

  it('catches up several missed periods in one run and seeds only the current one', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, {
      planId: plan.id,
      period: period('2026-08-15T00:00:00Z', '2026-09-15T00:00:00Z'),
      anchorDay: 15,
    });

    const summary = await rollover('2026-11-20T00:00:00Z').rollOver();

    expect(summary).toEqual({ subscriptionsRolled: 1, periodsAdvanced: 3, countersCreated: 3 });
    expect(await subscriptionPeriod(tenantId)).toEqual(['2026-11-15T00:00:00.000Z', '2026-12-15T00:00:00.000Z']);
  });

  it('keeps a count that events already put into the new period, and leaves canceled subscriptions alone', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const november = period('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z');
    const december = period('2026-12-01T00:00:00Z', '2027-01-01T00:00:00Z');
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: november, anchorDay: 1 });
    await seedCounter(db.current.dataSource, tenantId, 'invoice', december, 4);
    const canceled = await seedTenant(db.current.dataSource, { planId: plan.id, period: november, status: 'canceled' });

    const summary = await rollover('2026-12-01T00:05:00Z').rollOver();

    expect(summary).toEqual({ subscriptionsRolled: 1, periodsAdvanced: 1, countersCreated: 2 });
    expect(await counterValue(db.current.dataSource, tenantId, 'invoice', december.start)).toBe(4);
    expect(await subscriptionPeriod(canceled.tenantId)).toEqual(['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z']);
  });

  it('rolls many subscriptions page by page and reports progress', async () => {
    const plan = await seedPlan(db.current.dataSource);
    for (let i = 0; i < 7; i++) {
      await seedTenant(db.current.dataSource, { planId: plan.id, period: period('2026-11-01T00:00:00Z', '2026-12-01T00:00:00Z') });
    }
    const progress: Array<[number, number]> = [];
    const service = new UsageRolloverService(db.current.dataSource, { logger, clock: () => new Date('2026-12-02T00:00:00Z'), pageSize: 3 });

    const summary = await service.rollOver({ onProgress: (done, total) => progress.push([done, total]) });

    expect(summary.subscriptionsRolled).toBe(7);
    expect(summary.countersCreated).toBe(21);
    expect(progress).toEqual([[0, 7], [3, 7], [6, 7], [7, 7]]);
  });
});
