import { LEGACY_USAGE_RECORDS_API_VERSION, RedisCircuitBreaker, overageReportIdentifier } from '@metering/billing';
import { createLogger } from '@metering/platform';
import { seedCountedUsage } from '@metering/testing';
import { PERIOD, metricValue, useBillingKit } from './billing-test-kit';

const kit = useBillingKit();
const OPEN_MS = 15 * 60_000;
const ONE_AT_A_TIME = { STRIPE_CONCURRENCY: '1', STRIPE_BREAKER_THRESHOLD: '5', STRIPE_BREAKER_OPEN_MS: String(OPEN_MS) };

function breaker(): RedisCircuitBreaker {
  return new RedisCircuitBreaker({
    redis: kit.redis,
    keyPrefix: `${kit.keyPrefix}:stripe`,
    threshold: 5,
    openMs: OPEN_MS,
    clock: () => kit.now,
    logger: createLogger({ level: 'silent', json: true, service: 'test' }),
  });
}

async function pendingCount(): Promise<number> {
  const [row] = await kit.dataSource.query(`SELECT count(*)::int AS n FROM stripe_usage_reports WHERE status = 'pending'`);
  return row.n as number;
}

describe('Stripe failures: retries, circuit breaker, rejections', () => {
  it('retries 429, 500 and a hung request with the same identifier until one succeeds', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    kit.server.respond(429, 1).respond(500, 1).respond('hang', 1);

    await kit.reporter({ STRIPE_MAX_ATTEMPTS: '4', STRIPE_TIMEOUT_MS: '300' }).run();

    const identifier = overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30);
    expect(kit.server.requests).toHaveLength(4);
    expect(new Set(kit.server.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([identifier]));
    expect(await kit.ledger(tenantId)).toEqual([expect.objectContaining({ status: 'sent', attempts: 4 })]);
  });

  it('does not retry a 400: the row is failed with Stripe\'s message and alerted', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030);
    kit.server.respond(400, 1, 'No such customer: cus_gone');
    const alertsBefore = await metricValue('billing_operator_alerts_total', { kind: 'rejected_by_stripe' });

    const result = await kit.reporter().run();

    expect(kit.server.requests).toHaveLength(1);
    expect(result.lines).toEqual([expect.objectContaining({ action: 'failed' })]);
    const [row] = await kit.ledger(tenantId);
    expect(row).toMatchObject({ status: 'failed', attempts: 1 });
    expect(row!.last_error).toContain('No such customer: cus_gone');
    expect(await metricValue('billing_operator_alerts_total', { kind: 'rejected_by_stripe' })).toBe(alertsBefore + 1);
  });

  it('opens the shared circuit after 5 consecutive failures; the 6th call never reaches Stripe', async () => {
    for (let i = 0; i < 4; i++) await kit.tenantWithInboxCount(1001 + i);
    kit.server.respond(500);

    const first = await kit.reporter({ ...ONE_AT_A_TIME, STRIPE_MAX_ATTEMPTS: '2' }).run();

    expect(first.status).toBe('circuit_open');
    expect(kit.server.requests).toHaveLength(5);
    expect(await pendingCount()).toBe(4);
    expect((await breaker().state()).state).toBe('open');
    expect(await metricValue('stripe_circuit_state')).toBe(1);

    // Another worker process sharing Redis sees the open circuit and sends nothing.
    const other = await kit.reporter({ ...ONE_AT_A_TIME }).run();
    expect(other.status).toBe('circuit_open');
    expect(kit.server.requests).toHaveLength(5);
    expect(await pendingCount()).toBe(4);
  });

  it('closes the circuit after the open period when the half-open trial succeeds', async () => {
    for (let i = 0; i < 3; i++) await kit.tenantWithInboxCount(1001 + i);
    kit.server.respond(500, 5);
    await kit.reporter({ ...ONE_AT_A_TIME, STRIPE_MAX_ATTEMPTS: '5' }).run();
    expect(kit.server.requests).toHaveLength(5);

    kit.now = new Date(kit.now.getTime() + OPEN_MS + 1000);
    expect((await breaker().state()).state).toBe('half-open');
    const result = await kit.reporter({ STRIPE_BREAKER_OPEN_MS: String(OPEN_MS) }).run();

    expect(result.status).toBe('completed');
    expect(result.totals).toEqual({ sent: 3 });
    expect(kit.server.requests).toHaveLength(8);
    expect((await breaker().state()).state).toBe('closed');
    expect(await metricValue('stripe_circuit_state')).toBe(0);
    expect(await pendingCount()).toBe(0);
  });

  it('re-opens the circuit when the half-open trial fails, sending only that one trial', async () => {
    for (let i = 0; i < 3; i++) await kit.tenantWithInboxCount(1001 + i);
    kit.server.respond(500);
    await kit.reporter({ ...ONE_AT_A_TIME, STRIPE_MAX_ATTEMPTS: '5' }).run();

    kit.now = new Date(kit.now.getTime() + OPEN_MS + 1000);
    const result = await kit.reporter({ ...ONE_AT_A_TIME, STRIPE_MAX_ATTEMPTS: '5' }).run();

    expect(result.status).toBe('circuit_open');
    expect(kit.server.requests).toHaveLength(6);
    const state = await breaker().state();
    expect(state).toEqual({ state: 'open', openUntil: new Date(kit.now.getTime() + OPEN_MS) });
    expect(await pendingCount()).toBe(3);
  });

  it('sends the legacy usage-records request in usage_records mode', async () => {
    const { tenantId } = await kit.tenantWithInboxCount(1030, { stripeSubscriptionItemIds: { inbox: 'si_inbox123' } });

    await kit.reporter({ STRIPE_USAGE_API: 'usage_records' }).run();

    const identifier = overageReportIdentifier(tenantId, 'inbox', PERIOD.start, 30);
    expect(kit.server.requests).toHaveLength(1);
    const [request] = kit.server.requests;
    expect(request!.path).toBe('/v1/subscription_items/si_inbox123/usage_records');
    expect(request!.body).toEqual({ quantity: '30', timestamp: String(kit.now.getTime() / 1000), action: 'increment' });
    expect(request!.headers['idempotency-key']).toBe(identifier);
    expect(request!.headers['stripe-version']).toBe(LEGACY_USAGE_RECORDS_API_VERSION);
    expect(await kit.ledger(tenantId)).toEqual([expect.objectContaining({ status: 'sent', identifier })]);
  });

  it('makes one call at a time per customer and meter while customers go in parallel', async () => {
    const tenants = [];
    for (let i = 0; i < 6; i++) tenants.push(await kit.tenantWithInboxCount(1010));
    // Same customer and meter twice: the just-closed period and the current one.
    await seedCountedUsage(kit.dataSource, tenants[0]!.tenantId, 'inbox', { start: new Date('2026-10-01T00:00:00Z'), end: PERIOD.start }, 1500);
    kit.server.setLatency(40);

    const result = await kit.reporter({ STRIPE_CONCURRENCY: '8', STRIPE_MAX_REQUESTS_PER_SECOND: '1000' }).run();

    expect(result.totals).toEqual({ sent: 7 });
    expect(kit.server.maxConcurrentPerCustomerMeter()).toBe(1);
    expect(kit.server.maxConcurrentOverall()).toBeGreaterThan(1);
  });
});
