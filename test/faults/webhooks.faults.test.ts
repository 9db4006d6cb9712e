/**
 * Stripe webhooks under attack: forged and tampered signatures, stale timestamps and random junk
 * are refused with 400 and change nothing; a genuine event replayed (also many times at once) is
 * applied exactly once and a replay never undoes a later change.
 */
import fc from 'fast-check';
import request from 'supertest';
import { stripeWebhooks } from '@metering/billing';
import { seedPlan, seedTenant, stripeSubscriptionEvent, useTestDatabase } from '@metering/testing';
import { inProcessApi } from './support/in-process-api';
import type { InProcessApi } from './support/in-process-api';

const SECRET = 'whsec_faults_webhook_secret';
const PATH = '/api/v1/stripe/webhooks';
const db = useTestDatabase();
let api: InProcessApi;

beforeAll(async () => {
  api = await inProcessApi(db.current, { STRIPE_WEBHOOK_SECRET: SECRET });
  await seedPlan(db.current.dataSource, { code: 'pro', name: 'Pro' });
});
afterAll(async () => {
  await api?.close();
});

/** A `customer.subscription.updated` event moving `customer` to the Pro plan, status past_due. */
function subscriptionUpdated(customer: string): string {
  const now = Date.now();
  return JSON.stringify(
    stripeSubscriptionEvent({
      type: 'customer.subscription.updated',
      customer,
      period: { start: new Date(now - 86_400_000), end: new Date(now + 29 * 86_400_000) },
      items: [{ id: 'si_base', price: { id: 'price_pro', lookup_key: 'pro-monthly', metadata: { plan_code: 'pro' } } }],
    }),
  );
}

function deliver(payload: string, signature: string | undefined): request.Test {
  const req = request(api.app).post(PATH).set('Content-Type', 'application/json');
  if (signature !== undefined) req.set('Stripe-Signature', signature);
  return req.send(payload);
}

const sign = (payload: string, options: { secret?: string; timestamp?: number } = {}): string =>
  stripeWebhooks.generateTestHeaderString({ payload, secret: options.secret ?? SECRET, timestamp: options.timestamp });

async function tenantOnStarter(customer: string): Promise<string> {
  const starter = await seedPlan(db.current.dataSource, { code: `starter-${customer}` });
  return (await seedTenant(db.current.dataSource, { planId: starter.id, stripeCustomerId: customer })).tenantId;
}

async function subscriptionOf(tenantId: string): Promise<{ status: string; plan_code: string }> {
  const [row] = await db.current.dataSource.query(
    'SELECT s.status, p.code AS plan_code FROM subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.tenant_id = $1',
    [tenantId],
  );
  return row;
}

async function recordedWebhookEvents(): Promise<number> {
  const [{ n }] = await db.current.dataSource.query('SELECT count(*)::int AS n FROM stripe_webhook_events');
  return n;
}

function expectRefused(res: request.Response): void {
  expect(res.status).toBe(400);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(res.text)).toMatchObject({ status: 400, errors: [{ field: 'Stripe-Signature', message: expect.any(String) }] });
}

it('refuses forged, tampered, unsigned and stale deliveries with 400 and changes nothing', async () => {
  const tenantId = await tenantOnStarter('cus_faults_forged');
  const before = await subscriptionOf(tenantId);
  const recorded = await recordedWebhookEvents();
  const payload = subscriptionUpdated('cus_faults_forged');
  const tampered = payload.replace('"past_due"', '"active"');

  const answers = await Promise.all([
    deliver(payload, sign(payload, { secret: 'whsec_an_attackers_own_secret' })),
    deliver(tampered, sign(payload)),
    deliver(payload, undefined),
    deliver(payload, 't=1,v1=deadbeef'),
    // Signed correctly, ten minutes ago: outside Stripe's 5-minute tolerance, a captured replay.
    deliver(payload, sign(payload, { timestamp: Math.floor(Date.now() / 1000) - 600 })),
  ]);

  for (const res of answers) expectRefused(res);
  expect(await subscriptionOf(tenantId)).toEqual(before);
  expect(await recordedWebhookEvents()).toBe(recorded);
});

it('applies a genuine event once however often, and however concurrently, it is replayed', async () => {
  const tenantId = await tenantOnStarter('cus_faults_replay');
  const payload = subscriptionUpdated('cus_faults_replay');
  const signature = sign(payload);

  const first = await Promise.all(Array.from({ length: 8 }, () => deliver(payload, signature)));
  expect(first.map((res) => res.status)).toEqual(Array(8).fill(200));
  expect(first.map((res) => res.body.status).sort()).toEqual(['applied', ...Array(7).fill('duplicate')]);
  expect(await subscriptionOf(tenantId)).toEqual({ status: 'past_due', plan_code: 'pro' });

  // An operator (or a newer event) changes the subscription; replaying the old one must not undo it.
  await db.current.dataSource.query(`UPDATE subscriptions SET status = 'active' WHERE tenant_id = $1`, [tenantId]);
  const replay = await deliver(payload, signature);
  expect([replay.status, replay.body.status]).toEqual([200, 'duplicate']);
  expect(await subscriptionOf(tenantId)).toEqual({ status: 'active', plan_code: 'pro' });
});

it('answers random bodies with random signatures with 400, never a 500, and records nothing', async () => {
  const recorded = await recordedWebhookEvents();
  const signature = fc.oneof(
    fc.string(),
    fc.tuple(fc.integer({ min: 0, max: 2 ** 31 }), fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })).map(([t, v1]) => `t=${t},v1=${v1}`),
    fc.constant(`t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`),
  );
  const body = fc.oneof(fc.json(), fc.string(), fc.constant(subscriptionUpdated('cus_faults_fuzz')));
  await fc.assert(
    fc.asyncProperty(body, signature, async (payload, header) => {
      expectRefused(await deliver(payload, header.replace(/[\r\n]/g, '') || 'x'));
    }),
    { numRuns: 150 },
  );
  expect(await recordedWebhookEvents()).toBe(recorded);
});
