/**
 * Stripe outage: the local Stripe server answers 500 while the worker process runs the overage
 * report job. The shared breaker opens, and while it is open a second run makes no call at all;
 * the ledger keeps the rows pending (plus new ones for overage that grew meanwhile) and the first
 * run after the open window sends them. In the end Stripe has counted exactly the ledger, and the
 * ledger is exactly the overage.
 */
import { Queue } from 'bullmq';
import { StripeTestServer, useTestDatabase } from '@metering/testing';
import { JOBS, QUEUES } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { recordScenario } from './support/fault-report';
import { FaultStack } from './support/fault-stack';
import { AckLog, checkLedger, waitForDrain } from './support/ledger-check';
import { eventually, seedScenarioTenants } from './support/scenario-tenants';
import { enqueueAll, seededRandom, usageWorkload } from './support/workload';

const QUOTA = 5;
const OPEN_MS = 10_000;
const db = useTestDatabase();
let stripe: StripeTestServer;
let stack: FaultStack;
let maintenance: Queue;

beforeAll(async () => {
  stripe = await StripeTestServer.start();
  stack = await new FaultStack({
    db: db.current,
    env: {
      STRIPE_SECRET_KEY: 'sk_test_faults',
      STRIPE_API_BASE: stripe.url,
      STRIPE_BREAKER_OPEN_MS: String(OPEN_MS),
      STRIPE_MAX_ATTEMPTS: '2',
    },
  }).start();
  maintenance = new Queue(QUEUES.usageMaintenance, { connection: stack.redis, prefix: stack.queuePrefix });
  await stack.startWorker();
}, 180_000);
afterAll(async () => {
  await maintenance?.close();
  await stack?.stop();
  await stripe?.close();
});

/** Runs the report job in the worker process; resolves with its result. */
async function reportOverage(): Promise<{ status: string; circuit: string }> {
  const job = await maintenance.add(JOBS.reportOverageToStripe, { trigger: 'operator' });
  // State first, then the job: a job read before it finished carries no result yet.
  return eventually(async () => {
    const state = await maintenance.getJobState(job.id!);
    if (state !== 'completed' && state !== 'failed') return undefined;
    const finished = (await maintenance.getJob(job.id!))!;
    if (state === 'failed') throw new Error(`report job failed: ${finished.failedReason}`);
    return finished.returnvalue as { status: string; circuit: string };
  }, 60_000, 'report job completed');
}

/** `extra` more events per tenant and agent than the quota already allows, as one wave. */
function overageWave(tenantIds: string[], label: string, seed: number): TrackEventInput[] {
  const random = seededRandom(seed);
  return tenantIds.flatMap((tenantId, t) =>
    usageWorkload({ tenantIds: [tenantId], total: QUOTA * 3 + 3 + Math.floor(random() * 9), seed: seed + t, label: `${label}-${t}` }),
  );
}

it('opens the breaker on a Stripe outage, calls nothing while open, and bills exactly the ledger after recovery', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 6, {
    limits: { emails_per_month: QUOTA, invoices_per_month: QUOTA, meetings_per_month: QUOTA },
  });
  const acks = new AckLog();
  await enqueueAll(stack.client, overageWave(tenantIds, 'stripe-1', 11), acks);
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);

  stripe.respond(500);
  expect(await reportOverage()).toMatchObject({ status: 'circuit_open', circuit: 'open' });
  const callsWhenOpened = stripe.requests.length;
  expect(callsWhenOpened).toBeGreaterThan(0);

  // Overage grows while Stripe is down; the run during the open window only writes the ledger.
  await enqueueAll(stack.client, overageWave(tenantIds, 'stripe-2', 23), acks);
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  expect(await reportOverage()).toMatchObject({ status: 'circuit_open', circuit: 'open' });
  expect(stripe.requests.length).toBe(callsWhenOpened);
  const [{ pending }] = await db.current.dataSource.query(
    `SELECT count(*)::int AS pending FROM stripe_usage_reports WHERE tenant_id = ANY($1::uuid[]) AND status = 'pending'`,
    [tenantIds],
  );
  expect(pending).toBeGreaterThan(tenantIds.length * 3);

  stripe.clearReplies();
  const openUntilKey = `${stack.queuePrefix}:stripe:circuit:open-until`;
  await eventually(async () => Number(await stack.redis.get(openUntilKey)) < Date.now(), OPEN_MS + 10_000, 'open window over');
  expect(await reportOverage()).toMatchObject({ status: 'completed', circuit: 'closed' });

  // The ledger: everything sent, and per (tenant, agent) exactly the overage.
  const ledger: Array<{ tenant_id: string; agent: string; sent: string; unsent: string; count: string }> = await db.current.dataSource.query(
    `SELECT c.tenant_id, c.agent, c.count,
            coalesce(sum(r.delta) FILTER (WHERE r.status = 'sent'), 0) AS sent,
            count(r.id) FILTER (WHERE r.status <> 'sent') AS unsent
       FROM usage_counters c
       LEFT JOIN stripe_usage_reports r ON r.tenant_id = c.tenant_id AND r.agent = c.agent AND r.period_start = c.period_start
      WHERE c.tenant_id = ANY($1::uuid[])
      GROUP BY c.tenant_id, c.agent, c.count`,
    [tenantIds],
  );
  expect(ledger).toHaveLength(tenantIds.length * 3);
  for (const row of ledger) expect({ ...row, sent: Number(row.sent), unsent: Number(row.unsent) }).toEqual({ ...row, sent: Number(row.count) - QUOTA, unsent: 0 });

  // What Stripe counted: accepted meter events, each identifier once (Stripe deduplicates them).
  const valuesByIdentifier = new Map<string, Set<string>>();
  for (const request of stripe.requests) {
    const values = valuesByIdentifier.get(request.body.identifier!) ?? new Set<string>();
    values.add(request.body['payload[value]']!);
    valuesByIdentifier.set(request.body.identifier!, values);
  }
  const twoValues = [...valuesByIdentifier].filter(([, values]) => values.size > 1);
  expect(twoValues).toEqual([]);
  const counted = new Map<string, number>();
  const seen = new Set<string>();
  for (const request of stripe.requests) {
    if (request.status !== 200 || seen.has(request.body.identifier!)) continue;
    seen.add(request.body.identifier!);
    const key = `${request.body['payload[stripe_customer_id]']}|${request.body.event_name}`;
    counted.set(key, (counted.get(key) ?? 0) + Number(request.body['payload[value]']));
  }
  const [customers] = [
    new Map<string, string>(
      (await db.current.dataSource.query('SELECT id, stripe_customer_id FROM tenants WHERE id = ANY($1::uuid[])', [tenantIds])).map(
        (t: { id: string; stripe_customer_id: string }) => [t.id, t.stripe_customer_id],
      ),
    ),
  ];
  const expected = new Map(ledger.map((row) => [`${customers.get(row.tenant_id)}|${row.agent}_overage`, Number(row.count) - QUOTA]));
  expect(Object.fromEntries(counted)).toEqual(Object.fromEntries(expected));

  // A run with nothing new sends nothing.
  const before = stripe.requests.length;
  expect(await reportOverage()).toMatchObject({ status: 'completed' });
  expect(stripe.requests.length).toBe(before);
  recordScenario('Stripe outage (breaker, ledger resend)', await checkLedger(db.current.dataSource, acks, tenantIds));
});
