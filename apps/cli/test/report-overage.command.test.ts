import { StripeTestServer, seedCounter, seedPlan, seedTenant, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { calendarMonthOf } from '@metering/usage';
import { runCliCaptured } from './run-cli-captured';
import type { CliRun } from './run-cli-captured';

const db = useTestDatabase(2);
let stripe: StripeTestServer;

beforeAll(async () => {
  stripe = await StripeTestServer.start();
});
afterAll(async () => {
  await stripe.close();
});

function cli(env: Record<string, string>, ...argv: string[]): Promise<CliRun> {
  return runCliCaptured(db.current.url, argv, { QUEUE_PREFIX: uniqueQueuePrefix(), ...env });
}

describe('npm run usage -- report-overage', () => {
  it('prints per tenant what would be sent on --dry-run, then sends it and prints what was sent', async () => {
    const stripeEnv = { STRIPE_SECRET_KEY: 'sk_test_cli', STRIPE_API_BASE: stripe.url };
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, stripeCustomerId: 'cus_cli1' });
    await seedCounter(db.current.dataSource, tenantId, 'invoice', calendarMonthOf(new Date()), 250);

    const preview = await cli(stripeEnv, 'report-overage', '--dry-run');
    expect(preview.code).toBe(0);
    expect(preview.stdout).toContain(`Tenant ${tenantId} (cus_cli1)`);
    expect(preview.stdout).toMatch(/invoice .* \+50 \(total 50\) to invoice_overage {2}would send/);
    expect(stripe.requests).toHaveLength(0);

    const sent = await cli(stripeEnv, 'report-overage');
    expect(sent.code).toBe(0);
    expect(sent.stdout).toMatch(/invoice .* \+50 \(total 50\) to invoice_overage {2}sent/);
    expect(stripe.requests.map((r) => r.body['payload[value]'])).toEqual(['50']);

    const again = await cli(stripeEnv, 'report-overage', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 'completed', lines: [] });
    expect(stripe.requests).toHaveLength(1);
  });

  it('says reporting is disabled without a Stripe key, and exits cleanly', async () => {
    const result = await cli({ STRIPE_SECRET_KEY: '' }, 'report-overage');

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Stripe reporting is disabled: STRIPE_SECRET_KEY is not set');
  });
});

describe('npm run usage -- stripe-reconcile', () => {
  it("compares Stripe's summaries with the ledger for one tenant and re-sends what Stripe lost", async () => {
    const stripeEnv = { STRIPE_SECRET_KEY: 'sk_test_cli', STRIPE_API_BASE: stripe.url, STRIPE_RECONCILE_SETTLE_SECONDS: '0' };
    stripe.reset();
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, stripeCustomerId: 'cus_cli2' });
    await seedCounter(db.current.dataSource, tenantId, 'invoice', calendarMonthOf(new Date()), 230);
    stripe.meters.injectFault('lose');
    await cli(stripeEnv, 'report-overage', '--tenant', tenantId);

    const first = await cli(stripeEnv, 'stripe-reconcile', '--tenant', tenantId);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`${tenantId} invoice .* \\(cus_cli2\\): RESENT \\(ledger 30, Stripe 0\\): re-sent 30`));
    const second = await cli(stripeEnv, 'stripe-reconcile', '--tenant', tenantId, '--json');
    expect(JSON.parse(second.stdout)).toMatchObject({ status: 'completed', totals: { matched: 1 } });
    expect((await cli(stripeEnv, 'stripe-reconcile', '--tenant', 'nope')).code).toBe(2);
  });
});
