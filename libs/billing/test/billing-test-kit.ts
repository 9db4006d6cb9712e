import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { DataSource } from 'typeorm';
import { createLogger, createRedisConnection, metricsRegistry } from '@metering/platform';
import { StripeTestServer, seedCounter, seedPlan, seedTenant, testConfig, useTestDatabase } from '@metering/testing';
import type { TenantSeed } from '@metering/testing';
import { calendarMonthOf } from '@metering/usage';
import type { BillingPeriod } from '@metering/usage';
import { createOverageReporter } from '@metering/billing';
import type { OverageReporter } from '@metering/billing';

export const START = new Date('2026-11-15T12:00:00Z');
export const PERIOD: BillingPeriod = calendarMonthOf(START);
export const PREVIOUS_PERIOD: BillingPeriod = calendarMonthOf(new Date('2026-10-15T00:00:00Z'));

/**
 * What the reporter tests share: a file database, a real Redis, a local Stripe server, a clock
 * tests move, and fresh breaker keys per test (the prefix plays "one deployment").
 */
export function useBillingKit() {
  const db = useTestDatabase();
  const kit = {
    db,
    server: undefined as unknown as StripeTestServer,
    redis: undefined as unknown as Redis,
    now: START,
    keyPrefix: '',
    get dataSource(): DataSource {
      return db.current.dataSource;
    },
    /** A reporter as a worker process builds it; several share breaker state through Redis. */
    reporter(env: Record<string, string> = {}): OverageReporter {
      const config = testConfig(db.current.url, {
        STRIPE_SECRET_KEY: 'sk_test_local',
        STRIPE_API_BASE: kit.server.url,
        QUEUE_PREFIX: kit.keyPrefix,
        ...env,
      });
      const logger = createLogger({ level: 'silent', json: true, service: 'billing-test' });
      return createOverageReporter(config, { dataSource: db.current.dataSource, redis: kit.redis, logger, clock: () => kit.now, backoffInitialMs: 5, backoffMaxMs: 20 });
    },
    /** A tenant on a plan with inbox quota 1000, at `count` inbox units this period. */
    async tenantWithInboxCount(count: number, seed: TenantSeed = {}): Promise<{ tenantId: string; customerId: string }> {
      const plan = await seedPlan(db.current.dataSource);
      const customerId = `cus_${randomUUID().replace(/-/g, '').slice(0, 14)}`;
      const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD, stripeCustomerId: customerId, ...seed });
      await seedCounter(db.current.dataSource, tenantId, 'inbox', PERIOD, count);
      return { tenantId, customerId };
    },
    async setInboxCount(tenantId: string, count: number, period: BillingPeriod = PERIOD): Promise<void> {
      await seedCounter(db.current.dataSource, tenantId, 'inbox', period, count);
    },
    async ledger(tenantId: string): Promise<Array<Record<string, unknown>>> {
      return db.current.dataSource.query(
        `SELECT status, cumulative_quantity::int AS cumulative, delta::int AS delta, identifier, attempts, last_error,
                meter_event_name, stripe_customer_id, event_timestamp, period_start
           FROM stripe_usage_reports WHERE tenant_id = $1 ORDER BY created_at, cumulative_quantity`,
        [tenantId],
      );
    },
  };

  beforeAll(async () => {
    kit.server = await StripeTestServer.start();
    kit.redis = createRedisConnection(process.env.REDIS_URL!, 'worker');
  });
  beforeEach(async () => {
    kit.now = START;
    kit.keyPrefix = `{billing-test-${randomUUID().slice(0, 8)}}`;
    kit.server.reset();
    await db.current.dataSource.query('TRUNCATE tenants, plans, stripe_usage_reports, stripe_webhook_events CASCADE');
  });
  afterEach(async () => {
    await kit.redis.del(...['failures', 'open-until', 'trial'].map((k) => `${kit.keyPrefix}:stripe:circuit:${k}`));
  });
  afterAll(async () => {
    await kit.server?.close();
    await kit.redis?.quit();
  });
  return kit;
}

/** Current value of a metric series (0 when it was never set). */
export async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metricsRegistry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const match = values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
}
