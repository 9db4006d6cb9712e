import { UsageLedgerRepository, overageReportIdentifier } from '@metering/billing';
import { seedCountedUsage, seedPlan, seedTenant } from '@metering/testing';
import { PERIOD, PREVIOUS_PERIOD, START, metricValue, useBillingKit } from './billing-test-kit';

const kit = useBillingKit();
const METER_EVENTS = '/v1/billing/meter_events';

describe('overage reporting to Stripe Billing Meters', () => {
  it('reports the overage once with the right value, event name, customer and identifier', async () => {
    const { tenantId, customerId } = await kit.tenantWithInboxCount(1030);

    const result = await kit.reporter().run();

    const identifier = overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30);
    expect(result.status).toBe('completed');
    expect(kit.server.requestsTo(METER_EVENTS)).toHaveLength(1);
    const [request] = kit.server.requests;
    expect(request!.body).toEqual({
      event_name: 'inbox_overage',
      'payload[stripe_customer_id]': customerId,
      'payload[value]': '30',
      identifier,
      timestamp: String(START.getTime() / 1000),
    });
    expect(request!.headers['idempotency-key']).toBe(identifier);
    expect(request!.headers.authorization).toBe('Bearer sk_test_local');
    expect(await kit.ledger(tenantId)).toEqual([
      expect.objectContaining({ status: 'sent', cumulative: 30, delta: 30, identifier, attempts: 1, stripe_customer_id: customerId }),
    ]);
  });

  it('sends nothing on a second run without new usage', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    await kit.reporter().run();
    const second = await kit.reporter().run();

    expect(second.lines).toEqual([]);
    expect(kit.server.requests).toHaveLength(1);
    expect(await kit.ledger(tenantId)).toHaveLength(1);
  });

  it('sends only the delta when usage grows', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    await kit.reporter().run();
    await kit.setInboxCount(tenantId, 1045);
    await kit.reporter().run();

    expect(kit.server.requests.map((r) => r.body['payload[value]'])).toEqual(['30', '15']);
    expect(kit.server.requests[1]!.body.identifier).toBe(overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 45));
    expect((await kit.ledger(tenantId)).map((r) => [r.status, r.cumulative, r.delta])).toEqual([
      ['sent', 30, 30],
      ['sent', 45, 15],
    ]);
  });

  it('re-sends a row left pending by a crashed run with the same identifier, then only the new delta', async () => {
    const { tenantId, customerId } = await kit.tenantWithInboxCount(1030);
    // What a run that died right after writing its ledger row leaves behind.
    const crashedIdentifier = overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30);
    const crashedAt = new Date(START.getTime() - 3_600_000);
    await new UsageLedgerRepository(kit.dataSource).insertPending([
      { tenantId, agent: 'inbox' as never, periodStart: PERIOD.start, periodEnd: PERIOD.end, cumulativeQuantity: 30, delta: 30,
        identifier: crashedIdentifier, meterEventName: 'inbox_overage', stripeCustomerId: customerId, eventTimestamp: crashedAt, purpose: 'overage' },
    ]);
    await kit.setInboxCount(tenantId, 1040);

    await kit.reporter().run();

    const [resend, next] = kit.server.requests;
    expect(resend!.body).toMatchObject({ identifier: crashedIdentifier, 'payload[value]': '30', timestamp: String(crashedAt.getTime() / 1000) });
    expect(resend!.headers['idempotency-key']).toBe(crashedIdentifier);
    expect(next!.body).toMatchObject({ 'payload[value]': '10', identifier: overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 40) });
    expect(kit.server.requests).toHaveLength(2);
    expect((await kit.ledger(tenantId)).map((r) => [r.status, r.cumulative])).toEqual([['sent', 30], ['sent', 40]]);
  });

  it('reports a just-closed period with a timestamp in its last second', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(0);
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 1200);

    await kit.reporter().run();

    expect(kit.server.requests).toHaveLength(1);
    expect(kit.server.requests[0]!.body).toMatchObject({
      'payload[value]': '200',
      timestamp: String(PREVIOUS_PERIOD.end.getTime() / 1000 - 1),
      identifier: overageReportIdentifier(tenantId, 'inbox', PREVIOUS_PERIOD.start, 200),
    });
  });

  it('flags a row pending for more than 20 hours for an operator, and still sends it once', async () => {
    const { tenantId, customerId } = await kit.tenantWithInboxCount(1030);
    const identifier = overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30);
    await new UsageLedgerRepository(kit.dataSource).insertPending([
      { tenantId, agent: 'inbox' as never, periodStart: PERIOD.start, periodEnd: PERIOD.end, cumulativeQuantity: 30, delta: 30,
        identifier, meterEventName: 'inbox_overage', stripeCustomerId: customerId, eventTimestamp: START, purpose: 'overage' },
    ]);
    await kit.dataSource.query(`UPDATE stripe_usage_reports SET created_at = $1 WHERE identifier = $2`, [
      new Date(START.getTime() - 21 * 3_600_000),
      identifier,
    ]);
    const alertsBefore = await metricValue('billing_operator_alerts_total', { kind: 'stale_pending' });

    await kit.reporter().run();

    expect(await metricValue('billing_operator_alerts_total', { kind: 'stale_pending' })).toBe(alertsBefore + 1);
    expect(kit.server.requests.map((r) => r.body.identifier)).toEqual([identifier]);
    expect((await kit.ledger(tenantId)).map((r) => r.status)).toEqual(['sent']);
  });

  it('in usage_records mode never sends a negative delta and raises an operator alert', async () => {
    // Meter events take a negative correction (stripe-corrections.test.ts); legacy usage records do not.
    const { tenantId } = await kit.tenantWithInboxCount(1030, { stripeSubscriptionItemIds: { inbox: 'si_inbox123' } });
    await kit.reporter({ STRIPE_USAGE_API: 'usage_records' }).run();
    await kit.setInboxCount(tenantId, 1010);
    const alertsBefore = await metricValue('billing_operator_alerts_total', { kind: 'negative_delta' });

    const result = await kit.reporter({ STRIPE_USAGE_API: 'usage_records' }).run();

    expect(kit.server.requests).toHaveLength(1);
    expect(result.lines).toEqual([expect.objectContaining({ tenantId, action: 'negative_delta', quantity: -20 })]);
    expect(await metricValue('billing_operator_alerts_total', { kind: 'negative_delta' })).toBe(alertsBefore + 1);
    expect(await kit.ledger(tenantId)).toHaveLength(1);
  });

  it('bills neither trials, canceled subscriptions nor unlimited agents', async () => {
    await kit.tenantWithInboxCount(5000, { status: 'trialing' });
    await kit.tenantWithInboxCount(5000, { status: 'canceled' });
    const unlimited = await seedPlan(kit.dataSource, { limits: { emails_per_month: null } });
    const { tenantId } = await seedTenant(kit.dataSource, { planId: unlimited.id, period: PERIOD });
    await kit.setInboxCount(tenantId, 5000);

    const result = await kit.reporter().run();

    expect(result.lines).toEqual([]);
    expect(kit.server.requests).toHaveLength(0);
  });

  it('previews without writing or sending in a dry run', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);

    const result = await kit.reporter().run({ dryRun: true });

    expect(result.lines).toEqual([expect.objectContaining({ tenantId, action: 'would_send', quantity: 30, cumulativeQuantity: 30 })]);
    expect(kit.server.requests).toHaveLength(0);
    expect(await kit.ledger(tenantId)).toHaveLength(0);
  });

  it('is disabled with a clear result, not a crash, without a Stripe key', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);

    const result = await kit.reporter({ STRIPE_SECRET_KEY: '' }).run();

    expect(result.status).toBe('disabled');
    expect(kit.server.requests).toHaveLength(0);
    expect(await kit.ledger(tenantId)).toHaveLength(0);
  });
});
