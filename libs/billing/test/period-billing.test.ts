import { overageReportIdentifier } from '@metering/billing';
import { seedCountedUsage, seedPlan } from '@metering/testing';
import { calendarMonthOf } from '@metering/usage';
import { PERIOD, PREVIOUS_PERIOD, useBillingKit } from './billing-test-kit';

const kit = useBillingKit();

async function termsFor(tenantId: string, period: { start: Date; end: Date }, emailsPerMonth: number): Promise<void> {
  await kit.dataSource.query(
    `INSERT INTO billing_period_terms (tenant_id, period_start, period_end, limits, overage_unit_cents, meter_event_names)
     VALUES ($1, $2, $3, $4, '{"inbox":2}', '{"inbox":"inbox_overage"}')`,
    [tenantId, period.start, period.end, JSON.stringify({ emails_per_month: emailsPerMonth })],
  );
}

describe('billing a period with its own terms, from its events', () => {
  it('bills a closed period with the quota it opened with, not the plan it is on now', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(0);
    await termsFor(tenantId, PREVIOUS_PERIOD, 1000);
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 1200);
    const bigger = await seedPlan(kit.dataSource, { limits: { emails_per_month: 5000 } });
    await kit.dataSource.query(`UPDATE subscriptions SET plan_id = $2 WHERE tenant_id = $1`, [tenantId, bigger.id]);

    await kit.reporter().run();

    expect(kit.server.requests.map((r) => r.body['payload[value]'])).toEqual(['200']);
  });

  it('bills a closed period from its events, not from a counter that drifted', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(0);
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 1200);
    await kit.setInboxCount(tenantId, 1500, PREVIOUS_PERIOD);

    await kit.reporter().run();

    expect(kit.server.requests.map((r) => r.body['payload[value]'])).toEqual(['200']);
  });

  it('bills every period still inside Stripe\'s 35-day window, not just the current and the previous', async () => {
    kit.now = new Date('2026-11-02T12:00:00Z');
    const { tenantId } = await kit.tenantWithInboxCount(0);
    const september = calendarMonthOf(new Date('2026-09-15T00:00:00Z'));
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', september, 1040);

    await kit.reporter().run();

    expect(kit.server.requests).toHaveLength(1);
    expect(kit.server.requests[0]!.body).toMatchObject({
      'payload[value]': '40',
      timestamp: String(september.end.getTime() / 1000 - 1),
      identifier: overageReportIdentifier(tenantId, 'inbox', september.start, 40),
    });
  });

  it('does not bill a counter on hold until an operator resolves the hold', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    await kit.dataSource.query(
      `INSERT INTO usage_counter_holds (tenant_id, agent, period_start, counter_count, event_count, drift_ratio)
       VALUES ($1, 'inbox', $2, 1030, 900, 0.144)`,
      [tenantId, PERIOD.start],
    );

    await kit.reporter().run();
    expect(kit.server.requests).toHaveLength(0);

    await kit.dataSource.query(`UPDATE usage_counter_holds SET resolved_at = now(), resolution = 'checked' WHERE tenant_id = $1`, [tenantId]);
    await kit.reporter().run();
    expect(kit.server.requests.map((r) => r.body['payload[value]'])).toEqual(['30']);
  });

  it('reports only recently closed periods when asked to, and knows the oldest closed period still unsent', async () => {
    kit.now = new Date(PERIOD.start.getTime() + 10 * 60_000);
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 1100);
    const reporter = kit.reporter();
    expect(await reporter.oldestUnsentClosedPeriodEnd()).toEqual(PREVIOUS_PERIOD.end);

    const result = await reporter.run({ closedPeriodsOnly: true });

    expect(result.totals).toEqual({ sent: 1 });
    expect(kit.server.requests[0]!.body).toMatchObject({ 'payload[value]': '100', timestamp: String(PERIOD.start.getTime() / 1000 - 1) });
    expect(await reporter.oldestUnsentClosedPeriodEnd()).toBeNull();
    // The open period's overage (30) is left to the regular report.
    expect(kit.server.requests).toHaveLength(1);
  });

  it('sends the delta a late event adds to a closed, already billed period, with a timestamp inside that period', async () => {
    kit.now = new Date(PERIOD.start.getTime() + 10 * 60_000);
    const { tenantId } = await kit.tenantWithInboxCount(0);
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 1100);
    await kit.reporter().run({ closedPeriodsOnly: true });

    kit.now = new Date(PERIOD.start.getTime() + 20 * 60_000);
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 7);
    await kit.reporter().run({ closedPeriodsOnly: true });

    expect(kit.server.requests.map((r) => [r.body['payload[value]'], r.body.timestamp])).toEqual([
      ['100', String(PREVIOUS_PERIOD.end.getTime() / 1000 - 1)],
      ['7', String(PREVIOUS_PERIOD.end.getTime() / 1000 - 1)],
    ]);
    expect((await kit.ledger(tenantId)).map((r) => [r.status, r.cumulative])).toEqual([['sent', 100], ['sent', 107]]);
  });

  it('waits for a run holding the lock instead of skipping; the close job (lockWaitMs 0) skips its minute', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    const holder = kit.dataSource.createQueryRunner();
    await holder.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(7211426005)');
      const skipped = await kit.reporter().run({ lockWaitMs: 0 });
      const waiting = kit.reporter().run();
      await new Promise((resolve) => setTimeout(resolve, 400));
      await holder.query('SELECT pg_advisory_unlock(7211426005)');

      expect(skipped.status).toBe('busy');
      expect((await waiting).status).toBe('completed');
      expect((await kit.ledger(tenantId)).map((r) => r.status)).toEqual(['sent']);
    } finally {
      await holder.release();
    }
  });

  it('still bills the final overage of a subscription canceled at the end of its period, and nothing after', async () => {
    // November has ended too, but the subscription ended with October: only October is billed.
    kit.now = new Date(PERIOD.end.getTime() + 3_600_000);
    const { tenantId } = await kit.tenantWithInboxCount(0, { period: PREVIOUS_PERIOD, status: 'canceled' });
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 1050);
    await kit.setInboxCount(tenantId, 1500, PERIOD);

    await kit.reporter().run();

    expect(kit.server.requests.map((r) => [r.body['payload[value]'], r.body.timestamp])).toEqual([
      ['50', String(PREVIOUS_PERIOD.end.getTime() / 1000 - 1)],
    ]);
  });
});
