import { overageReportIdentifier } from '@metering/billing';
import { StripeTestServer, seedCounter, seedPlan, seedTenant, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { JOBS, QUEUES } from '@metering/usage';
import type { BillingPeriod } from '@metering/usage';
import { eventually, startTestWorker } from './worker-test-kit';
import type { TestWorker } from './worker-test-kit';

const db = useTestDatabase();
const NOVEMBER: BillingPeriod = { start: new Date('2026-11-01T00:00:00Z'), end: new Date('2026-12-01T00:00:00Z') };
const NOW = '2026-11-20T01:00:00Z';
let stripe: StripeTestServer;
let worker: TestWorker | undefined;

beforeAll(async () => {
  stripe = await StripeTestServer.start();
});
afterEach(async () => {
  await worker?.close();
  worker = undefined;
  stripe.reset();
});
afterAll(async () => {
  await stripe.close();
});

async function runReportJob(w: TestWorker, name: string = JOBS.reportOverageToStripe): Promise<Record<string, unknown>> {
  const queue = w.runtime.queues.get(QUEUES.usageMaintenance)!;
  const job = await queue.add(name, { trigger: 'operator' });
  // State first, then the job: a job read before it completed carries no return value yet.
  return eventually(async () => {
    if ((await queue.getJobState(job.id!)) !== 'completed') return undefined;
    return (await queue.getJob(job.id!))!.returnvalue as Record<string, unknown>;
  });
}

describe('report-overage-to-stripe job', () => {
  it('sends the overage to Stripe from the queue and records it as sent', async () => {
    worker = await startTestWorker(
      db.current.url,
      { QUEUE_PREFIX: uniqueQueuePrefix(), STRIPE_SECRET_KEY: 'sk_test_worker', STRIPE_API_BASE: stripe.url },
      () => new Date(NOW),
    );
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: NOVEMBER, stripeCustomerId: 'cus_worker1' });
    await seedCounter(db.current.dataSource, tenantId, 'invoice', NOVEMBER, 212);

    const result = await runReportJob(worker);

    expect(result).toEqual({ status: 'completed', circuit: 'closed', totals: { sent: 1 } });
    expect(stripe.requests.map((r) => r.body)).toEqual([
      expect.objectContaining({
        event_name: 'invoice_overage',
        'payload[stripe_customer_id]': 'cus_worker1',
        'payload[value]': '12',
        identifier: overageReportIdentifier(tenantId, 'invoice', NOVEMBER.start, 12),
      }),
    ]);
    const [row] = await db.current.dataSource.query(`SELECT status FROM stripe_usage_reports WHERE tenant_id = $1`, [tenantId]);
    expect(row.status).toBe('sent');
  });

  it('completes without calling Stripe when no key is configured', async () => {
    worker = await startTestWorker(db.current.url, { QUEUE_PREFIX: uniqueQueuePrefix(), STRIPE_SECRET_KEY: '', STRIPE_API_BASE: stripe.url }, () => new Date(NOW));

    const result = await runReportJob(worker);

    expect(result).toMatchObject({ status: 'disabled' });
    expect(stripe.requests).toHaveLength(0);
  });

  it('reconcile-stripe-totals compares the summaries from the queue and re-sends a lost meter event', async () => {
    worker = await startTestWorker(
      db.current.url,
      { QUEUE_PREFIX: uniqueQueuePrefix(), STRIPE_SECRET_KEY: 'sk_test_worker', STRIPE_API_BASE: stripe.url, STRIPE_RECONCILE_SETTLE_SECONDS: '0' },
      () => new Date(NOW),
    );
    stripe.meters.now = () => new Date(NOW).getTime();
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: NOVEMBER, stripeCustomerId: 'cus_worker3' });
    await seedCounter(db.current.dataSource, tenantId, 'invoice', NOVEMBER, 215);
    stripe.meters.injectFault('lose');
    await runReportJob(worker);

    const result = await runReportJob(worker, JOBS.reconcileStripeTotals);

    // The job checks every tenant: the earlier tests' ledgers too (their meter events went with stripe.reset()).
    expect(result).toMatchObject({ status: 'completed', totals: { resent: expect.any(Number) } });
    const sent = stripe.requestsTo('/v1/billing/meter_events').filter((r) => r.body['payload[stripe_customer_id]'] === 'cus_worker3');
    expect(sent.map((r) => r.body['payload[value]'])).toEqual(['15', '15']);
    const [check] = await db.current.dataSource.query(`SELECT outcome, ledger_quantity::int AS ledger, stripe_quantity AS stripe FROM stripe_reconciliation_checks WHERE tenant_id = $1`, [tenantId]);
    expect(check).toEqual({ outcome: 'resent', ledger: 15, stripe: 0 });
  });
});
