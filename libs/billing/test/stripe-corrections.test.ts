import { createLogger } from '@metering/platform';
import { seedCountedUsage, seedPlan, seedTenant } from '@metering/testing';
import { UsageCorrectionsService, parseCorrectionRequest } from '@metering/usage';
import type { BillingPeriod } from '@metering/usage';
import { BillingCreditsRepository, overageReportIdentifier } from '@metering/billing';
import { PERIOD, PREVIOUS_PERIOD, START, metricValue, useBillingKit } from './billing-test-kit';

const kit = useBillingKit();
const logger = createLogger({ level: 'silent', json: true, service: 'test' });
const HOUR = 3_600_000;

beforeEach(() => {
  // Stripe's clock (the 24-hour cancellation window) is the test's clock.
  kit.server.meters.now = () => kit.now.getTime();
});

/** A tenant with one stored inbox event of `quantity` in `period` (quota 1000, 2 cents a unit over). */
async function tenantWithEvent(quantity: number, period: BillingPeriod = PERIOD): Promise<{ tenantId: string; customerId: string; eventKey: string }> {
  const plan = await seedPlan(kit.dataSource);
  const customerId = `cus_corr${Math.random().toString(36).slice(2, 10)}`;
  const { tenantId } = await seedTenant(kit.dataSource, { planId: plan.id, period: PERIOD, stripeCustomerId: customerId });
  await seedCountedUsage(kit.dataSource, tenantId, 'inbox', period, 1000);
  await seedCountedUsage(kit.dataSource, tenantId, 'inbox', period, quantity);
  const [{ idempotency_key: eventKey }] = await kit.dataSource.query(
    `SELECT idempotency_key FROM usage_events WHERE tenant_id = $1 AND quantity = $2 ORDER BY created_at DESC LIMIT 1`,
    [tenantId, quantity],
  );
  return { tenantId, customerId, eventKey };
}

async function correct(body: Record<string, unknown>): Promise<void> {
  await new UsageCorrectionsService(kit.dataSource, { logger, clock: () => kit.now, invoiceGraceSeconds: 3600 }).apply(parseCorrectionRequest(body), 'test:ops');
}

/** What Stripe's summary shows for the customer's inbox meter over the period. */
function stripeTotal(customerId: string, period: BillingPeriod = PERIOD): number {
  const meter = kit.server.meters.meterId('inbox_overage');
  return kit.server.meters.summary(meter, {
    customer: customerId,
    start_time: String(period.start.getTime() / 1000),
    end_time: String(period.end.getTime() / 1000),
  }).aggregated_value;
}

const sentPaths = () => kit.server.requests.map((r) => `${r.path.replace('/v1/billing/', '')} ${r.body['payload[value]'] ?? r.body['cancel[identifier]'] ?? ''}`);

describe('corrections reach Stripe', () => {
  it('cancels a meter event Stripe received less than 24 h ago when its event is voided', async () => {
    const { tenantId, customerId, eventKey } = await tenantWithEvent(30);
    await kit.reporter().run();
    expect(stripeTotal(customerId)).toBe(30);

    kit.now = new Date(START.getTime() + 2 * HOUR);
    await correct({ type: 'void', tenant_id: tenantId, correction_key: 'v-1', idempotency_key: eventKey, reason: 'duplicate' });
    const result = await kit.reporter().run();

    const first = overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30);
    expect(sentPaths()).toEqual(['meter_events 30', `meter_event_adjustments ${first}`]);
    expect(result.lines).toEqual([expect.objectContaining({ action: 'cancelled', identifier: first, quantity: -30 })]);
    expect((await kit.ledger(tenantId)).map((r) => [r.status, r.delta])).toEqual([['cancelled', 30]]);
    expect(stripeTotal(customerId)).toBe(0);
    // Nothing more on the next run: the ledger and Stripe agree on 0.
    await kit.reporter().run();
    expect(kit.server.requests).toHaveLength(2);
  });

  it('after a partial adjustment cancels the recent event and resends the right delta with a new identifier', async () => {
    const { tenantId, customerId } = await tenantWithEvent(30);
    await kit.reporter().run();
    await correct({ type: 'adjustment', tenant_id: tenantId, correction_key: 'a-1', agent: 'inbox', period_start: PERIOD.start.toISOString(), quantity: -20, reason: 'test mails' });
    await kit.reporter().run();

    const resent = overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 10, 1);
    expect(sentPaths()).toEqual(['meter_events 30', `meter_event_adjustments ${overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30)}`, 'meter_events 10']);
    expect(kit.server.requests[2]!.body.identifier).toBe(resent);
    expect((await kit.ledger(tenantId)).map((r) => [r.status, r.cumulative, r.delta])).toEqual([['cancelled', 30, 30], ['sent', 10, 10]]);
    expect(stripeTotal(customerId)).toBe(10);

    // Usage grows back past the old total: a new identifier, not the cancelled one.
    await correct({ type: 'adjustment', tenant_id: tenantId, correction_key: 'a-2', agent: 'inbox', period_start: PERIOD.start.toISOString(), quantity: 20, reason: 'restored' });
    await kit.reporter().run();
    expect(kit.server.requests[3]!.body).toMatchObject({ 'payload[value]': '20', identifier: overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30, 1) });
    expect(stripeTotal(customerId)).toBe(30);
  });

  it('sends a negative delta when the meter event is older than 24 h (Stripe meters accept negative values)', async () => {
    const { tenantId, customerId } = await tenantWithEvent(30);
    await kit.reporter().run();
    kit.now = new Date(START.getTime() + 25 * HOUR);
    await correct({ type: 'adjustment', tenant_id: tenantId, correction_key: 'a-1', agent: 'inbox', period_start: PERIOD.start.toISOString(), quantity: -20, reason: 'test mails' });
    await kit.reporter().run();

    expect(sentPaths()).toEqual(['meter_events 30', 'meter_events -20']);
    expect(kit.server.requests[1]!.body.identifier).toBe(overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 10, 1));
    expect((await kit.ledger(tenantId)).map((r) => [r.status, r.cumulative, r.delta])).toEqual([['sent', 30, 30], ['sent', 10, -20]]);
    expect(stripeTotal(customerId)).toBe(10);
  });

  it('for a period whose invoice is final sends nothing: records a credit once and alerts an operator', async () => {
    // October's overage went out before its invoice was finalized.
    const { tenantId, customerId } = await tenantWithEvent(30, PREVIOUS_PERIOD);
    kit.now = new Date(PREVIOUS_PERIOD.end.getTime() + 10 * 60_000);
    await kit.reporter().run();
    expect(stripeTotal(customerId, PREVIOUS_PERIOD)).toBe(30);

    kit.now = START;
    await correct({ type: 'adjustment', tenant_id: tenantId, correction_key: 'oct', agent: 'inbox', period_start: PREVIOUS_PERIOD.start.toISOString(), quantity: -20, reason: 'refund' });
    const alertsBefore = await metricValue('billing_operator_alerts_total', { kind: 'credit_due' });
    const result = await kit.reporter().run();
    await kit.reporter().run();

    expect(kit.server.requests).toHaveLength(1);
    expect(result.lines).toEqual([expect.objectContaining({ action: 'credit_due', detail: expect.stringContaining('credit 40 cents') })]);
    expect(await metricValue('billing_operator_alerts_total', { kind: 'credit_due' })).toBe(alertsBefore + 1);
    const credits = await new BillingCreditsRepository(kit.dataSource).listOpen(tenantId);
    expect(credits).toEqual([
      expect.objectContaining({ agent: 'inbox', periodStart: PREVIOUS_PERIOD.start, periodEnd: PREVIOUS_PERIOD.end, quantity: 20, amountCents: 40, reportedQuantity: 30, owedQuantity: 10, status: 'open' }),
    ]);
    expect(stripeTotal(customerId, PREVIOUS_PERIOD)).toBe(30);
  });

  it('a dry run describes the correction and changes nothing, in Stripe or the ledger', async () => {
    const { tenantId, eventKey } = await tenantWithEvent(30);
    await kit.reporter().run();
    await correct({ type: 'void', tenant_id: tenantId, correction_key: 'v-dry', idempotency_key: eventKey, reason: 'duplicate' });

    const preview = await kit.reporter().run({ dryRun: true });

    expect(preview.lines).toEqual([expect.objectContaining({ action: 'would_send', quantity: -30, detail: expect.stringContaining('cancelled') })]);
    expect(kit.server.requests).toHaveLength(1);
    expect((await kit.ledger(tenantId)).map((r) => r.status)).toEqual(['sent']);
  });
});
