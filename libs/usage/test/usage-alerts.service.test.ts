import { createLogger } from '@metering/platform';
import { seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { AgentType, UsageAlertsService, alertLevelsReached, calendarMonthOf } from '@metering/usage';
import type { CounterChange } from '@metering/usage';

const db = useTestDatabase();
const logger = createLogger({ level: 'silent', json: true, service: 'test' });
const PERIOD = calendarMonthOf(new Date('2026-11-15T00:00:00Z'));
const TRIAL_LIMITS = { emails_per_month: 5, invoices_per_month: null, meetings_per_month: 0 };

const service = () => new UsageAlertsService(db.current.dataSource, { trialLimits: TRIAL_LIMITS, logger });

function change(tenantId: string, agent: AgentType, previousCount: number, count: number): CounterChange {
  return { tenantId, agent, periodStart: PERIOD.start, periodEnd: PERIOD.end, previousCount, count };
}

async function alertRows(tenantId: string): Promise<Array<[string, string, number, number]>> {
  const rows = await db.current.dataSource.query(
    `SELECT agent, level, count_at_alert, limit_at_alert FROM usage_alerts WHERE tenant_id = $1 ORDER BY agent, level DESC`,
    [tenantId],
  );
  return rows.map((r: { agent: string; level: string; count_at_alert: string; limit_at_alert: string }) => [
    r.agent, r.level, Number(r.count_at_alert), Number(r.limit_at_alert),
  ]);
}

describe('UsageAlertsService', () => {
  it('writes the 80% and 100% rows when first crossed, and never again in the same period', async () => {
    const plan = await seedPlan(db.current.dataSource, { limits: { emails_per_month: 100, invoices_per_month: 10, meetings_per_month: null } });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });

    const first = await service().recordCrossings([
      change(tenantId, AgentType.Inbox, 79, 80),
      change(tenantId, AgentType.Invoice, 7, 12), // both levels in one step
      change(tenantId, AgentType.Meeting, 0, 5000), // unlimited
    ]);
    const again = await service().recordCrossings([change(tenantId, AgentType.Inbox, 79, 85), change(tenantId, AgentType.Invoice, 7, 12)]);
    const later = await service().recordCrossings([change(tenantId, AgentType.Inbox, 85, 90)]);

    expect(first.map((a) => [a.agent, a.level])).toEqual([
      ['inbox', 'warning'],
      ['invoice', 'warning'],
      ['invoice', 'error'],
    ]);
    expect(again).toEqual([]);
    expect(later).toEqual([]);
    expect(await alertRows(tenantId)).toEqual([
      ['inbox', 'warning', 80, 100],
      ['invoice', 'warning', 12, 10],
      ['invoice', 'error', 12, 10],
    ]);
  });

  it('raises a level the counter reached while no alert was written (the worker died after the commit)', async () => {
    const plan = await seedPlan(db.current.dataSource, { limits: { emails_per_month: 100, invoices_per_month: 10, meetings_per_month: null } });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });

    // 79 -> 80 was committed, then the worker died; the restarted worker sees the next event.
    const alerts = await service().recordCrossings([change(tenantId, AgentType.Inbox, 80, 81)]);

    expect(alerts.map((a) => [a.agent, a.level, a.countAtAlert])).toEqual([['inbox', 'warning', 81]]);
    expect(await alertRows(tenantId)).toEqual([['inbox', 'warning', 81, 100]]);
  });

  it('raises an alert whose insert failed on the next commit that moves the counter, once', async () => {
    const plan = await seedPlan(db.current.dataSource, { limits: { emails_per_month: 100, invoices_per_month: 10, meetings_per_month: null } });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    const alerts = service();
    const tableAway = (away: boolean) =>
      db.current.dataSource.query(away ? 'ALTER TABLE usage_alerts RENAME TO usage_alerts_away' : 'ALTER TABLE usage_alerts_away RENAME TO usage_alerts');

    const whileAway = async <T>(work: () => Promise<T>): Promise<T> => {
      await tableAway(true);
      try {
        return await work();
      } finally {
        await tableAway(false);
      }
    };

    await expect(whileAway(() => alerts.recordCrossings([change(tenantId, AgentType.Inbox, 79, 80)]))).rejects.toThrow(/usage_alerts/);
    const retried = await alerts.recordCrossings([change(tenantId, AgentType.Inbox, 80, 81)]);
    // Known to be stored now: later commits need no round trip, so they succeed with the table away.
    const later = await whileAway(() => alerts.recordCrossings([change(tenantId, AgentType.Inbox, 81, 82)]));

    expect(retried.map((a) => [a.agent, a.level, a.countAtAlert])).toEqual([['inbox', 'warning', 81]]);
    expect(later).toEqual([]);
    expect(await alertRows(tenantId)).toEqual([['inbox', 'warning', 81, 100]]);
  });

  it('uses the trial limits for a trial without a plan, and a zero limit alerts only as error', async () => {
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: null, status: 'trialing', period: PERIOD });

    const alerts = await service().recordCrossings([change(tenantId, AgentType.Inbox, 3, 4), change(tenantId, AgentType.Meeting, 0, 1)]);

    expect(alerts.map((a) => [a.agent, a.level, a.limitAtAlert])).toEqual([
      ['inbox', 'warning', 5],
      ['meeting', 'error', 0],
    ]);
  });

  it('computes reached levels in exact integer arithmetic', () => {
    expect(alertLevelsReached(799, 1000)).toEqual([]);
    expect(alertLevelsReached(800, 1000)).toEqual(['warning']);
    expect(alertLevelsReached(1000, 1000)).toEqual(['warning', 'error']);
    expect(alertLevelsReached(10, null)).toEqual([]);
    expect(alertLevelsReached(0, 0)).toEqual([]);
  });
});
