import { randomUUID } from 'node:crypto';
import { createLogger } from '@metering/platform';
import { counterValue, recordUsage, seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, SubscriptionInactiveError, TenantNotFoundError, UsageTracker, calendarMonthOf } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';

const db = useTestDatabase();
const START = new Date('2026-11-15T12:00:00Z');
const PERIOD = calendarMonthOf(START);
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

function email(tenantId: string, key: string): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key, occurredAt: START.toISOString() };
}

describe('UsageTracker with billingStateCacheMs', () => {
  let now = START;
  const tracker = (): UsageTracker =>
    new UsageTracker(db.current.dataSource, { logger, clock: () => now, billingStateCacheMs: 5000 });

  it('reuses a metered state within the TTL and reads the subscription again after it', async () => {
    now = START;
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD });
    const cached = tracker();
    await recordUsage(cached, [email(tenantId, 'a')], now);
    await db.current.dataSource.query(`UPDATE subscriptions SET status = 'canceled' WHERE tenant_id = $1`, [tenantId]);

    now = new Date(START.getTime() + 4000);
    await recordUsage(cached, [email(tenantId, 'b')], now);
    now = new Date(START.getTime() + 5001);
    const { results } = await recordUsage(cached, [email(tenantId, 'c')], now);
    expect(results[0]!.deadLetter).toMatchObject({ reason: 'subscription_inactive', detail: new SubscriptionInactiveError(tenantId, 'canceled').message });

    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(2);
  });

  it('never remembers a refusal: a tenant unknown a moment ago is counted once it exists', async () => {
    now = START;
    const cached = tracker();
    const tenantId = randomUUID();
    const refused = await recordUsage(cached, [email(tenantId, 'x')], now);
    expect(refused.results[0]!.deadLetter).toMatchObject({ reason: 'tenant_not_found', detail: new TenantNotFoundError(tenantId).message });
    const plan = await seedPlan(db.current.dataSource);
    await db.current.dataSource.query(`INSERT INTO tenants (id, name) VALUES ($1, 'late')`, [tenantId]);
    await db.current.dataSource.query(
      `INSERT INTO subscriptions (tenant_id, plan_id, status, current_period_start, current_period_end, billing_anchor_day)
       VALUES ($1, $2, 'active', $3, $4, 1)`,
      [tenantId, plan.id, PERIOD.start, PERIOD.end],
    );

    await recordUsage(cached, [email(tenantId, 'x')], now);

    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(1);
  });
});
