import { JOBS } from '@metering/usage';
import { STARTER_LIMITS, resetData, runPool, seedTenants } from '../harness/bench-data';
import { maxTarget } from '../harness/bench-report';
import { runMaintenanceJob } from '../harness/maintenance-job';
import type { Scenario } from '../harness/scenario';

const STRIPE_LATENCY_MS = 20;
const BARE_CONCURRENCY = 50;

/**
 * 10,000 tenants in overage (one agent each, the three meters in rotation) reported by the
 * running worker's report-overage-to-stripe job to the local Stripe server answering in 20 ms.
 * Baseline (context, not a target): bare concurrent POSTs to the same server.
 */
export const stripeReportScenario: Scenario = {
  name: 'stripe-report',
  memoryTargets: { api: false, worker: false },
  async run(ctx) {
    const { db, stripe } = ctx.env;
    const count = ctx.sizes.stripeTenants;
    await resetData(db);
    const { tenantIds, period } = await seedTenants(db, count, STARTER_LIMITS);
    const [{ expected }] = await db.query(
      `WITH c AS (
         INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count)
         SELECT t.id, (ARRAY['inbox','invoice','meeting'])[1 + t.n % 3], $2, $3,
                (ARRAY[1000, 200, 50])[1 + t.n % 3] + 1 + t.n % 50
           FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, n)
         RETURNING count - (CASE agent WHEN 'inbox' THEN 1000 WHEN 'invoice' THEN 200 ELSE 50 END) AS overage
       ) SELECT sum(overage)::bigint AS expected FROM c`,
      [tenantIds, period.start, period.end],
    );

    stripe.reset();
    stripe.setLatency(STRIPE_LATENCY_MS);
    ctx.log(`baseline: ${count} bare POSTs to the Stripe test server (${BARE_CONCURRENCY} at a time)`);
    const bareStarted = Date.now();
    await runPool(count, BARE_CONCURRENCY, async (i) => {
      const response = await fetch(`${stripe.url}/v1/billing/meter_events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ event_name: 'bench', 'payload[stripe_customer_id]': `cus_bare_${i}`, 'payload[value]': '1' }),
      });
      await response.arrayBuffer();
    });
    const baseline = count / ((Date.now() - bareStarted) / 1000);

    stripe.reset();
    stripe.setLatency(STRIPE_LATENCY_MS);
    ctx.log(`project: report-overage-to-stripe for ${count} tenants`);
    const { ms, result } = await runMaintenanceJob(ctx.env, JOBS.reportOverageToStripe, { trigger: 'operator' }, 300_000);
    const calls = stripe.requestsTo('/v1/billing/meter_events');
    const identifiers = new Set(calls.map((call) => call.body.identifier));
    const valueSum = calls.reduce((sum, call) => sum + Number(call.body['payload[value]']), 0);
    const [ledger] = await db.query(
      `SELECT count(*) FILTER (WHERE status = 'sent')::int AS sent, count(*)::int AS total, coalesce(sum(delta), 0)::bigint AS delta
         FROM stripe_usage_reports`,
    );
    const maxPerKey = stripe.maxConcurrentPerCustomerMeter();
    const ok =
      calls.length === count && identifiers.size === count && valueSum === Number(expected) &&
      ledger.sent === count && ledger.total === count && Number(ledger.delta) === Number(expected);
    stripe.reset();
    return {
      size: { tenants: count, latencyMs: STRIPE_LATENCY_MS },
      unit: 'calls/s',
      baseline: { name: `bare POSTs, ${BARE_CONCURRENCY} at a time`, rate: baseline },
      project: { rate: count / (ms / 1000) },
      ratio: count / (ms / 1000) / baseline,
      correctness: {
        ok,
        detail: `${calls.length} calls, ${identifiers.size} identifiers, values ${valueSum} of ${expected}, ledger ${ledger.sent}/${ledger.total} sent; job ${JSON.stringify(result)}`,
      },
      targets: [
        maxTarget('run time', ms / 1000, 30, 's'),
        maxTarget('concurrent calls per customer and meter', maxPerKey, 1, 'calls'),
      ],
    };
  },
};
