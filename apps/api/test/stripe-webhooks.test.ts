import request from 'supertest';
import { stripeWebhooks } from '@metering/billing';
import { metricsRegistry } from '@metering/platform';
import { seedPlan, seedTenant, stripeSubscriptionEvent } from '@metering/testing';
import type { StripeSubscriptionEventSeed } from '@metering/testing';
import { calendarMonthOf } from '@metering/usage';
import { useApiHarness } from './support/api-harness';

const SECRET = 'whsec_test_webhook_secret';
const api = useApiHarness({ env: { STRIPE_WEBHOOK_SECRET: SECRET } });
const PATH = '/api/v1/stripe/webhooks';
const PERIOD = { start: new Date('2026-12-03T10:00:00Z'), end: new Date('2027-01-03T10:00:00Z') };
const unix = (date: Date): number => date.getTime() / 1000;

const PLAN_AND_INBOX_ITEMS = [
  { id: 'si_base', price: { id: 'price_pro', lookup_key: 'pro-monthly', metadata: { plan_code: 'pro' } } },
  { id: 'si_inbox', price: { id: 'price_inbox', lookup_key: null, metadata: { agent: 'inbox' } } },
];

function subscriptionEvent(type: string, customer: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return stripeSubscriptionEvent({
    type: type as StripeSubscriptionEventSeed['type'],
    customer,
    period: PERIOD,
    items: PLAN_AND_INBOX_ITEMS,
    overrides,
  });
}

function deliver(event: unknown, secret = SECRET) {
  const payload = JSON.stringify(event);
  const signature = stripeWebhooks.generateTestHeaderString({ payload, secret });
  return request(api.current.app).post(PATH).set('Content-Type', 'application/json').set('Stripe-Signature', signature).send(payload);
}

async function tenantOnStarter(customer: string): Promise<string> {
  const db = api.current.db.dataSource;
  const starter = await seedPlan(db, { code: `starter-${customer}` });
  const { tenantId } = await seedTenant(db, { planId: starter.id, stripeCustomerId: customer, period: calendarMonthOf(new Date('2026-11-15T00:00:00Z')) });
  return tenantId;
}

async function subscriptionOf(tenantId: string): Promise<Record<string, unknown>> {
  const [row] = await api.current.db.dataSource.query(
    `SELECT s.status, p.code AS plan_code, s.current_period_start, s.current_period_end, s.billing_anchor_day,
            s.stripe_subscription_id, s.stripe_subscription_item_ids
       FROM subscriptions s LEFT JOIN plans p ON p.id = s.plan_id WHERE s.tenant_id = $1`,
    [tenantId],
  );
  return row;
}

async function recordedEvents(id: string): Promise<number> {
  const [row] = await api.current.db.dataSource.query(`SELECT count(*)::int AS n FROM stripe_webhook_events WHERE id = $1`, [id]);
  return row.n as number;
}

async function alertCount(kind: string): Promise<number> {
  const metric = metricsRegistry.getSingleMetric('billing_operator_alerts_total');
  const values = metric ? (await metric.get()).values : [];
  return values.find((v) => v.labels.kind === kind)?.value ?? 0;
}

beforeAll(async () => {
  await seedPlan(api.current.db.dataSource, { code: 'pro', name: 'Pro' });
});

describe('POST /api/v1/stripe/webhooks', () => {
  it('applies a subscription update: status, plan, current period and items per agent', async () => {
    const tenantId = await tenantOnStarter('cus_update1');
    const event = subscriptionEvent('customer.subscription.updated', 'cus_update1');

    const res = await deliver(event);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ received: true, id: event.id, type: 'customer.subscription.updated', status: 'applied' });
    expect(await subscriptionOf(tenantId)).toEqual({
      status: 'past_due',
      plan_code: 'pro',
      current_period_start: PERIOD.start,
      current_period_end: PERIOD.end,
      billing_anchor_day: 3,
      stripe_subscription_id: 'sub_cus_update1',
      stripe_subscription_item_ids: { inbox: 'si_inbox' },
    });
  });

  it('records but does not apply an older update delivered after a newer one', async () => {
    const tenantId = await tenantOnStarter('cus_order1');
    const now = Math.floor(Date.now() / 1000);
    const newer = { ...subscriptionEvent('customer.subscription.updated', 'cus_order1', { status: 'canceled' }), created: now };
    const older: Record<string, unknown> = { ...subscriptionEvent('customer.subscription.updated', 'cus_order1', { status: 'active' }), created: now - 60 };

    expect((await deliver(newer)).body.status).toBe('applied');
    const late = await deliver(older);

    expect(late.status).toBe(200);
    expect(late.body.status).toBe('stale');
    expect((await subscriptionOf(tenantId)).status).toBe('canceled');
    expect(await recordedEvents(older.id as string)).toBe(1);
    expect((await deliver(older)).body.status).toBe('duplicate');
  });

  it('rejects a bad or missing signature with 400 problem+json and changes nothing', async () => {
    const tenantId = await tenantOnStarter('cus_forged1');
    const before = await subscriptionOf(tenantId);
    const event = subscriptionEvent('customer.subscription.updated', 'cus_forged1');

    const forged = await deliver(event, 'whsec_not_the_real_secret');
    const unsigned = await request(api.current.app).post(PATH).set('Content-Type', 'application/json').send(JSON.stringify(event));

    for (const res of [forged, unsigned]) {
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(res.text)).toMatchObject({ status: 400, errors: [expect.objectContaining({ field: 'Stripe-Signature' })] });
    }
    expect(await subscriptionOf(tenantId)).toEqual(before);
    expect(await recordedEvents(event.id as string)).toBe(0);
  });

  it('applies an event delivered twice (or twice at once) only once', async () => {
    const tenantId = await tenantOnStarter('cus_replay1');
    const event = subscriptionEvent('customer.subscription.updated', 'cus_replay1');

    const concurrent = await Promise.all([deliver(event), deliver(event)]);
    expect(concurrent.map((r) => r.body.status).sort()).toEqual(['applied', 'duplicate']);
    // A later change (e.g. roll-over or a newer event) must not be undone by a redelivery.
    await api.current.db.dataSource.query(`UPDATE subscriptions SET status = 'active' WHERE tenant_id = $1`, [tenantId]);
    const replay = await deliver(event);

    expect(replay.status).toBe(200);
    expect(replay.body.status).toBe('duplicate');
    expect((await subscriptionOf(tenantId)).status).toBe('active');
    expect(await recordedEvents(event.id as string)).toBe(1);
  });

  it('creates the subscription of a tenant that had none and cancels it on deletion', async () => {
    const { tenantId } = await seedTenant(api.current.db.dataSource, { stripeCustomerId: 'cus_new1', withSubscription: false });

    const created = await deliver(subscriptionEvent('customer.subscription.created', 'cus_new1', { status: 'active' }));
    expect(created.body.status).toBe('applied');
    expect(await subscriptionOf(tenantId)).toMatchObject({ status: 'active', plan_code: 'pro' });

    const deleted = await deliver(subscriptionEvent('customer.subscription.deleted', 'cus_new1', { status: 'canceled' }));
    expect(deleted.body.status).toBe('applied');
    expect(await subscriptionOf(tenantId)).toMatchObject({ status: 'canceled', plan_code: 'pro' });
  });

  it('ignores the deletion of another subscription of the same customer: the followed one stays active', async () => {
    const { tenantId } = await seedTenant(api.current.db.dataSource, { stripeCustomerId: 'cus_two1', withSubscription: false });
    await deliver(subscriptionEvent('customer.subscription.created', 'cus_two1', { status: 'active', id: 'sub_current_two1' }));

    const res = await deliver(subscriptionEvent('customer.subscription.deleted', 'cus_two1', { status: 'canceled', id: 'sub_old_two1' }));
    const update = await deliver(subscriptionEvent('customer.subscription.updated', 'cus_two1', { status: 'past_due', id: 'sub_second_two1' }));

    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ignored');
    expect(update.body.status).toBe('ignored');
    expect(await subscriptionOf(tenantId)).toMatchObject({ status: 'active', stripe_subscription_id: 'sub_current_two1' });
  });

  it('lets a new subscription take over once the followed one is canceled', async () => {
    const { tenantId } = await seedTenant(api.current.db.dataSource, { stripeCustomerId: 'cus_next1', withSubscription: false });
    await deliver(subscriptionEvent('customer.subscription.created', 'cus_next1', { status: 'active', id: 'sub_first_next1' }));
    await deliver(subscriptionEvent('customer.subscription.deleted', 'cus_next1', { status: 'canceled', id: 'sub_first_next1' }));

    const res = await deliver(subscriptionEvent('customer.subscription.created', 'cus_next1', { status: 'active', id: 'sub_second_next1' }));

    expect(res.body.status).toBe('applied');
    expect(await subscriptionOf(tenantId)).toMatchObject({ status: 'active', stripe_subscription_id: 'sub_second_next1' });
  });

  it('keeps the open period on the terms it opened with when the plan changes inside it', async () => {
    const tenantId = await tenantOnStarter('cus_planchange1');
    const november = calendarMonthOf(new Date('2026-11-15T00:00:00Z'));

    const res = await deliver(stripeSubscriptionEvent({ type: 'customer.subscription.updated', customer: 'cus_planchange1', period: november, items: PLAN_AND_INBOX_ITEMS, status: 'active' }));

    expect(res.body.status).toBe('applied');
    expect(await subscriptionOf(tenantId)).toMatchObject({ plan_code: 'pro' });
    const [terms] = await api.current.db.dataSource.query(`SELECT limits FROM billing_period_terms WHERE tenant_id = $1`, [tenantId]);
    expect(terms.limits).toEqual({ emails_per_month: 1000, invoices_per_month: 200, meetings_per_month: null });
  });

  it('ends the open period where Stripe moved the boundary, with its quota prorated: never two full quotas', async () => {
    const tenantId = await tenantOnStarter('cus_moved1');
    const november = calendarMonthOf(new Date('2026-11-15T00:00:00Z'));
    const moved = { start: new Date('2026-11-16T00:00:00Z'), end: new Date('2026-12-16T00:00:00Z') };
    await api.current.db.dataSource.query(
      `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count) VALUES ($1, 'inbox', $2, $3, 10)`,
      [tenantId, november.start, november.end],
    );

    const res = await deliver(stripeSubscriptionEvent({ type: 'customer.subscription.updated', customer: 'cus_moved1', period: moved, items: PLAN_AND_INBOX_ITEMS, status: 'active' }));

    expect(res.body.status).toBe('applied');
    const terms = await api.current.db.dataSource.query(
      `SELECT period_start, period_end, limits ->> 'emails_per_month' AS emails FROM billing_period_terms WHERE tenant_id = $1 ORDER BY period_start`,
      [tenantId],
    );
    // Nov 1 to Nov 16 is 15 of November's 30 days: half of the 1,000 e-mails.
    expect(terms).toEqual([
      { period_start: november.start, period_end: moved.start, emails: '500' },
      { period_start: moved.start, period_end: moved.end, emails: '1000' },
    ]);
    const [counter] = await api.current.db.dataSource.query(`SELECT period_end FROM usage_counters WHERE tenant_id = $1`, [tenantId]);
    expect(counter.period_end).toEqual(moved.start);
  });

  it('answers 422 and records nothing for a plan that does not exist here, so a redelivery can apply it later', async () => {
    const { tenantId } = await seedTenant(api.current.db.dataSource, { stripeCustomerId: 'cus_noplan1', withSubscription: false });
    const event = subscriptionEvent('customer.subscription.created', 'cus_noplan1', {
      status: 'active',
      items: { data: [{ id: 'si_x', price: { id: 'price_x', lookup_key: 'enterprise', metadata: {} }, current_period_start: unix(PERIOD.start), current_period_end: unix(PERIOD.end) }] },
    });

    const res = await deliver(event);

    expect(res.status).toBe(422);
    expect(await subscriptionOf(tenantId)).toBeUndefined();
    expect(await recordedEvents(event.id as string)).toBe(0);
  });

  it('acknowledges events of customers that are not tenants here without changing anything', async () => {
    const event = subscriptionEvent('customer.subscription.updated', 'cus_someone_else');

    const res = await deliver(event);

    expect(res.status).toBe(200);
    expect(res.body.status).toBe('ignored');
    expect(await recordedEvents(event.id as string)).toBe(0);
  });

  it('logs and alerts a meter error report once, however often it is delivered', async () => {
    const event = {
      id: `evt_meter_err_${Date.now()}`,
      object: 'v2.core.event',
      type: 'v1.billing.meter.error_report_triggered',
      created: new Date().toISOString(),
      related_object: { id: 'mtr_123', type: 'billing.meter', url: '/v1/billing/meters/mtr_123' },
    };
    const before = await alertCount('meter_error_report');

    const first = await deliver(event);
    const again = await deliver(event);

    expect([first.status, first.body.status]).toEqual([200, 'applied']);
    expect(again.body.status).toBe('duplicate');
    expect(await alertCount('meter_error_report')).toBe(before + 1);
  });

  it('answers 503 when no signing secret is configured', async () => {
    const app = api.current.buildApp({ env: { STRIPE_WEBHOOK_SECRET: '' } });
    const payload = JSON.stringify(subscriptionEvent('customer.subscription.updated', 'cus_any'));

    const res = await request(app).post(PATH).set('Stripe-Signature', stripeWebhooks.generateTestHeaderString({ payload, secret: SECRET })).send(payload);

    expect(res.status).toBe(503);
  });
});
