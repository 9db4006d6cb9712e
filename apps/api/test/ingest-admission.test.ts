import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { seedPlan, seedTenant } from '@metering/testing';
import { createDataSource, metricsRegistry } from '@metering/platform';
import { closedPort, tokenFor, useApiHarness, wireEvent } from './support/api-harness';

/*
 * What the ingest route refuses before it answers 202, so an accepted event is always one the
 * worker can count: unknown tenant, no or inactive subscription, a period whose invoice is final,
 * an idempotency key already used for another event. Each is a specific 4xx problem naming the
 * events, and a refused request enqueues nothing.
 */
const api = useApiHarness();
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeEach(async () => {
  await api.current.eventsQueue.drain(true);
});

const event = wireEvent;

const post = (tenantId: string, body: unknown) =>
  request(api.current.app).post('/api/v1/usage/events').set('Authorization', `Bearer ${tokenFor(tenantId, ['agent'])}`).send(body as object);

async function enqueued(): Promise<number> {
  return (await api.current.eventsQueue.getJobs(['waiting', 'prioritized', 'delayed'])).length;
}

/** A tenant whose current period started `startedAgo` ms ago (and lasts about a month). */
async function tenantWithPeriodStarted(startedAgo: number): Promise<string> {
  const start = new Date(Math.floor((Date.now() - startedAgo) / 1000) * 1000);
  const end = new Date(start.getTime() + 30 * DAY);
  const plan = await seedPlan(api.current.db.dataSource);
  return (await seedTenant(api.current.db.dataSource, { planId: plan.id, period: { start, end }, anchorDay: start.getUTCDate() })).tenantId;
}

describe('POST /api/v1/usage/events admission', () => {
  it('refuses an unknown tenant with 404 and enqueues nothing', async () => {
    const res = await post(randomUUID(), event());

    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.detail).toMatch(/^Tenant .* does not exist$/);
    expect(await enqueued()).toBe(0);
  });

  it('refuses a tenant without a subscription (404) and one whose subscription is canceled (409)', async () => {
    const { tenantId: none } = await seedTenant(api.current.db.dataSource, { withSubscription: false });
    const plan = await seedPlan(api.current.db.dataSource);
    const { tenantId: canceled } = await seedTenant(api.current.db.dataSource, { planId: plan.id, status: 'canceled' });

    const [noSubscription, inactive] = await Promise.all([post(none, event()), post(canceled, event())]);

    expect(noSubscription.status).toBe(404);
    expect(noSubscription.body.detail).toContain('has no subscription');
    expect(inactive.status).toBe(409);
    expect(inactive.body.detail).toContain('status: canceled');
    expect(await enqueued()).toBe(0);
  });

  it('refuses with 422 naming each event whose period invoice is final, and enqueues nothing of the request', async () => {
    const tenantId = await tenantWithPeriodStarted(10 * DAY);
    const res = await post(tenantId, {
      events: [event({ occurred_at: new Date(Date.now() - HOUR).toISOString() }), event({ occurred_at: new Date(Date.now() - 12 * DAY).toISOString() })],
    });

    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 422, title: 'Cannot be processed', detail: 'Events fall in a billing period whose invoice is final; see errors' });
    expect(res.body.errors).toEqual([{ field: 'events[1].occurred_at', message: expect.stringMatching(/^the invoice of the billing period .* is final/) }]);
    expect(await enqueued()).toBe(0);
  });

  it('accepts a late event of the period that ended minutes ago while its invoice is still open', async () => {
    const tenantId = await tenantWithPeriodStarted(30 * 60_000);

    const res = await post(tenantId, event({ occurred_at: new Date(Date.now() - HOUR).toISOString() }));

    expect(res.status).toBe(202);
    expect(await enqueued()).toBe(1);
  });

  it('refuses with 409 an idempotency key already stored for another event; the same event again is a harmless 202', async () => {
    const tenantId = await tenantWithPeriodStarted(DAY);
    const occurredAt = new Date(Date.now() - HOUR);
    await api.current.db.dataSource.query(
      `WITH keyed AS (INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) VALUES ($1, 'key-1', $2))
       INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
       SELECT $1, 'inbox', 'email_processed', 'msg-1', 2, 'key-1', $2, current_period_start FROM subscriptions WHERE tenant_id = $1`,
      [tenantId, occurredAt],
    );
    const stored = { resource_id: 'msg-1', quantity: 2, idempotency_key: 'key-1', occurred_at: occurredAt.toISOString() };

    const conflict = await post(tenantId, { events: [event(), event({ ...stored, quantity: 3 })] });
    const otherResource = await post(tenantId, event({ ...stored, resource_id: 'msg-2' }));
    const otherAgent = await post(tenantId, event({ ...stored, agent: 'invoice', action_type: 'invoice_detected' }));
    expect(await enqueued()).toBe(0);
    const same = await post(tenantId, event({ ...stored, metadata: { note: 'metadata is not part of the identity' } }));

    expect(conflict.status).toBe(409);
    expect(conflict.body.errors).toEqual([
      { field: 'events[1].idempotency_key', message: 'idempotency_key key-1 was already used for another event (agent inbox, action_type email_processed, resource_id msg-1, quantity 2)' },
    ]);
    expect([otherResource.status, otherAgent.status]).toEqual([409, 409]);
    expect(same.status).toBe(202);
  });

  it('refuses with 409 one request using a key for two different events', async () => {
    const tenantId = await tenantWithPeriodStarted(DAY);

    const res = await post(tenantId, { events: [event({ idempotency_key: 'twice', resource_id: 'a' }), event({ idempotency_key: 'twice', resource_id: 'b' })] });

    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([{ field: 'events[1].idempotency_key', message: expect.stringContaining('is used by another event of this request') }]);
    expect(await enqueued()).toBe(0);
  });

  it('admits unchecked (202, counted in usage_ingest_unchecked_total) when Postgres does not answer: ingest needs only Redis, the worker checks', async () => {
    const deadPostgres = createDataSource({ url: `postgres://postgres@127.0.0.1:${await closedPort()}/nothing`, poolSize: 1, entities: [], migrations: [] });
    const app = api.current.buildApp({ dataSource: deadPostgres });

    const res = await request(app).post('/api/v1/usage/events').set('Authorization', `Bearer ${tokenFor(randomUUID(), ['agent'])}`).send(event());

    expect(res.status).toBe(202);
    expect(await enqueued()).toBe(1);
    expect(await metricsRegistry.metrics()).toMatch(/usage_ingest_unchecked_total\{check="billing_state"\} [1-9]/);
  });
});
