import { resendIdentifier } from '@metering/billing';
import { seedCountedUsage } from '@metering/testing';
import { PERIOD, PREVIOUS_PERIOD, START, metricValue, useBillingKit } from './billing-test-kit';

const kit = useBillingKit();
const SETTLED = { STRIPE_RECONCILE_SETTLE_SECONDS: '0' };

beforeEach(() => {
  kit.server.meters.now = () => kit.now.getTime();
});

/** Stripe's own summary of the customer's inbox meter for the period. */
function stripeTotal(customerId: string): number {
  const meter = kit.server.meters.meterId('inbox_overage');
  return kit.server.meters.summary(meter, { customer: customerId, start_time: String(PERIOD.start.getTime() / 1000), end_time: String(PERIOD.end.getTime() / 1000) }).aggregated_value;
}

async function checks(tenantId: string): Promise<Array<{ outcome: string; ledger_quantity: string; stripe_quantity: number; resend_identifier: string | null }>> {
  return kit.dataSource.query(
    `SELECT outcome, ledger_quantity, stripe_quantity, resend_identifier FROM stripe_reconciliation_checks WHERE tenant_id = $1 ORDER BY checked_at, id`,
    [tenantId],
  );
}

const meterEventsSent = () => kit.server.requestsTo('/v1/billing/meter_events').length;

describe('reconciliation with Stripe', () => {
  it('records a period as checked when Stripe holds what the ledger sent', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    await kit.reporter().run();

    const result = await kit.reporter(SETTLED).reconcileWithStripe();

    expect(result.lines).toEqual([expect.objectContaining({ tenantId, outcome: 'matched', ledgerQuantity: 30, stripeQuantity: 30 })]);
    expect(await checks(tenantId)).toEqual([{ outcome: 'matched', ledger_quantity: '30', stripe_quantity: 30, resend_identifier: null }]);
    const summaries = kit.server.requests.filter((r) => r.path.endsWith('/event_summaries'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.body).toMatchObject({ start_time: String(PERIOD.start.getTime() / 1000), end_time: String(START.getTime() / 1000 + 60) });
    expect(meterEventsSent()).toBe(1);
  });

  it('re-sends what Stripe lost under a new deterministic identifier, then finds the totals equal', async () => {
    const { tenantId, customerId } = await kit.tenantWithInboxCount(1030);
    kit.server.meters.injectFault('lose');
    await kit.reporter().run();
    expect(stripeTotal(customerId)).toBe(0);

    const result = await kit.reporter(SETTLED).reconcileWithStripe({ tenantId });

    const identifier = resendIdentifier(tenantId, 'inbox', PERIOD.start, 30, 0);
    expect(result.lines).toEqual([expect.objectContaining({ outcome: 'resent', ledgerQuantity: 30, stripeQuantity: 0, resendIdentifier: identifier })]);
    expect(kit.server.requestsTo('/v1/billing/meter_events').map((r) => [r.body.identifier, r.body['payload[value]']])).toEqual([
      [expect.stringMatching(/^ovg_/), '30'],
      [identifier, '30'],
    ]);
    expect(stripeTotal(customerId)).toBe(30);

    // The re-send restored Stripe's total; it is not new overage: nothing more is reported.
    kit.now = new Date(START.getTime() + 60_000);
    await kit.reporter().run();
    expect(meterEventsSent()).toBe(2);
    expect((await kit.reporter(SETTLED).reconcileWithStripe({ tenantId })).lines.map((l) => l.outcome)).toEqual(['matched']);
    expect((await checks(tenantId)).map((c) => c.outcome)).toEqual(['resent', 'matched']);
  });

  it('never fixes a Stripe total above the ledger: alerts with both numbers and sends nothing', async () => {
    const { tenantId, customerId } = await kit.tenantWithInboxCount(1030);
    kit.server.meters.injectFault('count_twice');
    await kit.reporter().run();
    expect(stripeTotal(customerId)).toBe(60);
    const alertsBefore = await metricValue('billing_operator_alerts_total', { kind: 'stripe_higher' });

    const result = await kit.reporter(SETTLED).reconcileWithStripe();
    await kit.reporter().run();

    expect(result.lines).toEqual([expect.objectContaining({ outcome: 'stripe_higher', ledgerQuantity: 30, stripeQuantity: 60, detail: 'Stripe 60 > ledger 30' })]);
    expect(await metricValue('billing_operator_alerts_total', { kind: 'stripe_higher' })).toBe(alertsBefore + 1);
    expect(await checks(tenantId)).toEqual([{ outcome: 'stripe_higher', ledger_quantity: '30', stripe_quantity: 60, resend_identifier: null }]);
    expect(meterEventsSent()).toBe(1);
    expect(kit.server.requestsTo('/v1/billing/meter_event_adjustments')).toHaveLength(0);
    expect(stripeTotal(customerId)).toBe(60);
  });

  it('does not compare a period whose last send is younger than the settle delay', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    kit.server.meters.injectFault('lose');
    await kit.reporter().run();

    const result = await kit.reporter({ STRIPE_RECONCILE_SETTLE_SECONDS: '3600' }).reconcileWithStripe();

    expect(result.lines).toEqual([expect.objectContaining({ tenantId, outcome: 'unsettled' })]);
    expect(await checks(tenantId)).toEqual([]);
    expect(meterEventsSent()).toBe(1);
  });

  it('does not re-send what Stripe lost once the invoice is final: alerts it as unbilled', async () => {
    // A closed period is billed from its events.
    const { tenantId } = await kit.tenantWithInboxCount(0);
    await seedCountedUsage(kit.dataSource, tenantId, 'inbox', PREVIOUS_PERIOD, 1012);
    kit.now = new Date(PREVIOUS_PERIOD.end.getTime() + 60_000);
    kit.server.meters.injectFault('lose');
    await kit.reporter().run();
    kit.now = START;
    const alertsBefore = await metricValue('billing_operator_alerts_total', { kind: 'stripe_lower_final' });

    const result = await kit.reporter(SETTLED).reconcileWithStripe({ tenantId });

    expect(result.lines).toEqual([expect.objectContaining({ outcome: 'unbilled', ledgerQuantity: 12, stripeQuantity: 0, detail: '12 units not billed on a final invoice' })]);
    expect(await metricValue('billing_operator_alerts_total', { kind: 'stripe_lower_final' })).toBe(alertsBefore + 1);
    expect(meterEventsSent()).toBe(1);
  });
});
