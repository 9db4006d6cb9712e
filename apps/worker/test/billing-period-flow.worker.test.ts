import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { createApp } from '@metering/api';
import { mintToken, resolveJwtKeys } from '@metering/auth';
import { createLogger, createRedisConnection, systemClock, waitForRedis } from '@metering/platform';
import { StripeTestServer, eventually, seedCountedUsage, seedPlan, seedTenant, testConfig, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { ALL_QUEUES, addMonthsAnchored, createUsageClient, occurredAtWindow } from '@metering/usage';
import type { UsageClient } from '@metering/usage';
import { createWorkerRuntime } from '../src/create-worker-runtime';
import type { WorkerRuntime } from '../src/create-worker-runtime';

/*
 * The whole life of a billing period, with real time passing its end: events over HTTP, counted
 * by the worker, overage shown by the usage read, the period ends a few seconds into the test,
 * the close job (every second here) rolls it over and sends Stripe exactly the overage with a
 * timestamp inside the period, and the new period starts at zero. No clock is faked.
 */
const db = useTestDatabase();
let stripe: StripeTestServer;
let worker: WorkerRuntime;
let producer: Redis;
let usageClient: UsageClient;
let queues: Queue[];
let app: ReturnType<typeof createApp>;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  stripe = await StripeTestServer.start();
  const prefix = uniqueQueuePrefix();
  config = testConfig(db.current.url, {
    QUEUE_PREFIX: prefix,
    STRIPE_SECRET_KEY: 'sk_test_flow',
    STRIPE_API_BASE: stripe.url,
    CRON_CLOSE_PERIODS: '* * * * * *',
    WORKER_METRICS_PORT: '0',
    WORKER_BATCH_WAIT_MS: '5',
    // The test polls the usage read until the worker committed (answers may be 1 s old).
    USAGE_RATE_LIMIT_PER_MINUTE: '1000',
  });
  const logger = createLogger({ level: 'silent', json: true, service: 'flow-test' });
  worker = createWorkerRuntime({ config, logger, dependencyRetryMs: 100, exit: () => undefined });
  await worker.start();
  producer = createRedisConnection(config.redis.url, 'producer');
  await waitForRedis(producer);
  usageClient = createUsageClient({ redis: producer, prefix, window: occurredAtWindow(config.usage) });
  queues = ALL_QUEUES.map((name) => new Queue(name, { connection: producer, prefix }));
  app = createApp({ config, dataSource: db.current.dataSource, redis: producer, usageClient, logger, clock: systemClock, queues, rateLimitPrefix: `rl:${prefix}:` });
});

afterAll(async () => {
  await worker?.stop('test finished');
  await usageClient?.close();
  for (const queue of queues ?? []) await queue.close();
  await producer?.quit().catch(() => producer.disconnect());
  await stripe?.close();
});

function token(tenantId: string, roles: string[]): string {
  return mintToken(resolveJwtKeys(config), { tenantId, roles, ttlSeconds: 300 }).token;
}

describe('a billing period from first event to Stripe', () => {
  it('counts events, shows the overage, closes the period at its end and bills exactly that overage inside it', async () => {
    // Whole seconds, so the meter event timestamp (unix seconds) can be compared exactly.
    const end = new Date((Math.floor(Date.now() / 1000) + 6) * 1000);
    const period = { start: addMonthsAnchored(end, -1, end.getUTCDate()), end };
    const plan = await seedPlan(db.current.dataSource, { limits: { emails_per_month: 3, invoices_per_month: 10, meetings_per_month: 10 } });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period, anchorDay: end.getUTCDate(), stripeCustomerId: 'cus_flow1' });
    const events = Array.from({ length: 5 }, (_, i) => ({
      agent: 'inbox',
      action_type: 'email_processed',
      resource_id: `msg-${i}`,
      idempotency_key: `flow-${i}`,
      occurred_at: new Date().toISOString(),
    }));

    const ingest = await request(app).post('/api/v1/usage/events').set('Authorization', `Bearer ${token(tenantId, ['agent'])}`).send({ events });
    expect(ingest.status).toBe(202);

    const readUsage = () => request(app).get('/api/v1/usage').set('Authorization', `Bearer ${token(tenantId, ['user'])}`);
    const during = await eventually(async () => {
      const res = await readUsage();
      return res.body.usage?.inbox?.count === 5 ? res.body : undefined;
    });
    expect(during.usage.inbox).toMatchObject({ count: 5, limit: 3, overage: 2, overage_cost_cents: 4 });
    expect(new Date(during.period_end)).toEqual(end);
    expect(stripe.requests).toHaveLength(0);

    const meterEvents = await eventually(async () => (stripe.requestsTo('/v1/billing/meter_events').length > 0 ? stripe.requestsTo('/v1/billing/meter_events') : undefined), 20_000, 'the meter event');
    const sentAt = Date.now();
    // The bound is 5 minutes; with the close job every second here it is seconds (30 s leaves room for a loaded machine).
    expect(sentAt - end.getTime()).toBeLessThan(30_000);
    expect(meterEvents).toHaveLength(1);
    const timestamp = Number(meterEvents[0]!.body.timestamp) * 1000;
    expect(meterEvents[0]!.body).toMatchObject({ event_name: 'inbox_overage', 'payload[stripe_customer_id]': 'cus_flow1', 'payload[value]': '2' });
    expect(timestamp).toBeGreaterThanOrEqual(period.start.getTime());
    expect(timestamp).toBeLessThan(end.getTime());

    const after = await readUsage();
    expect(new Date(after.body.period_start)).toEqual(end);
    expect(after.body.usage.inbox).toMatchObject({ count: 0, overage: 0 });
    // A few more runs of the close job later, Stripe still has exactly that one report.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(stripe.requestsTo('/v1/billing/meter_events')).toHaveLength(1);
  }, 40_000);

  it('catches up on a period that ended while no worker ran: rolled over and billed on the first runs', async () => {
    const end = new Date(Math.floor((Date.now() - 3 * 3_600_000) / 1000) * 1000);
    const period = { start: addMonthsAnchored(end, -1, end.getUTCDate()), end };
    const plan = await seedPlan(db.current.dataSource, { limits: { emails_per_month: 1, invoices_per_month: 10, meetings_per_month: 10 } });
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period, anchorDay: end.getUTCDate(), stripeCustomerId: 'cus_flow2' });
    await seedCountedUsage(db.current.dataSource, tenantId, 'inbox', period, 4);

    const sent = await eventually(async () => stripe.requestsTo('/v1/billing/meter_events').find((r) => r.body['payload[stripe_customer_id]'] === 'cus_flow2'), 10_000, 'the late report');

    expect(sent.body).toMatchObject({ 'payload[value]': '3', timestamp: String(end.getTime() / 1000 - 1) });
    const [subscription] = await db.current.dataSource.query(`SELECT current_period_start FROM subscriptions WHERE tenant_id = $1`, [tenantId]);
    expect(subscription.current_period_start).toEqual(end);
  });
});
