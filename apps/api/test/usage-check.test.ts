import request from 'supertest';
import { createLogger } from '@metering/platform';
import { counterValue, eventQuantitySum, recordUsage, seedCounter, seedPlan, seedTenant } from '@metering/testing';
import { ActionType, AgentType, QUOTA_STALENESS_MS, QuotaExceededError, UsageQuotaService, UsageTracker, parseTrackEventInputs, DEFAULT_OCCURRED_AT_WINDOW } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { tokenFor, useApiHarness } from './support/api-harness';
import { usageClientFor } from './support/quota-client';

const api = useApiHarness({ env: { INGEST_RATE_LIMIT_PER_MINUTE: '10000' } });
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

/** A tenant on a plan that blocks inbox at 1,000 (invoice: overage at 200), at `count` inbox units. */
async function blockedTenant(count: number): Promise<{ tenantId: string; period: { start: Date; end: Date } }> {
  const { db } = api.current;
  const plan = await seedPlan(db.dataSource, { limitPolicies: { inbox: 'block' } });
  const seeded = await seedTenant(db.dataSource, { planId: plan.id });
  await seedCounter(db.dataSource, seeded.tenantId, 'inbox', seeded.period, count);
  return seeded;
}

const check = (tenantId: string, query: string) =>
  request(api.current.app).get(`/api/v1/usage/check?${query}`).set('Authorization', `Bearer ${tokenFor(tenantId, ['agent'])}`);
const ingest = (tenantId: string, body: unknown) =>
  request(api.current.app).post('/api/v1/usage/events').set('Authorization', `Bearer ${tokenFor(tenantId, ['agent'])}`).send(body as object);
const email = (resourceId: string, quantity = 1) => ({ agent: 'inbox', action_type: 'email_processed', resource_id: resourceId, quantity });

async function enqueuedFor(tenantId: string): Promise<number> {
  const jobs = await api.current.eventsQueue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
  return jobs.filter((job) => JSON.stringify(job.data).includes(tenantId)).length;
}

describe('GET /api/v1/usage/check', () => {
  it('answers allowed, remaining, limit, count, policy and reason for the current period', async () => {
    const { tenantId, period } = await blockedTenant(998);
    expect((await check(tenantId, 'agent=inbox&quantity=2')).body).toEqual({
      agent: 'inbox', quantity: 2, allowed: true, remaining: 2, limit: 1000, count: 998, policy: 'block', reason: 'within_limit',
    });
    expect((await check(tenantId, 'agent=inbox&quantity=3')).body).toMatchObject({ allowed: false, remaining: 2, reason: 'limit_reached' });
    await seedCounter(api.current.db.dataSource, tenantId, 'invoice', period, 150);
    expect((await check(tenantId, 'agent=invoice&quantity=500')).body).toMatchObject({ allowed: true, limit: 200, policy: 'overage', reason: 'overage_billed' });
    expect((await check(tenantId, 'agent=meeting')).body).toEqual({
      agent: 'meeting', quantity: 1, allowed: true, remaining: null, limit: null, count: 0, policy: 'overage', reason: 'unlimited',
    });
  });

  it("answers from the caller's tenant only", async () => {
    const a = await blockedTenant(0);
    const b = await blockedTenant(1000);
    expect((await check(b.tenantId, 'agent=inbox')).body.allowed).toBe(false);
    expect((await check(a.tenantId, 'agent=inbox')).body).toMatchObject({ allowed: true, count: 0 });
    expect((await check(a.tenantId, `agent=inbox&tenant_id=${b.tenantId}`)).status).toBe(400);
  });

  it.each([
    ['', 'agent', 'agent is required'],
    ['agent=fax', 'agent', 'one of'],
    ['agent=inbox&quantity=0', 'quantity', '1 to 1000000'],
    ['agent=inbox&quantity=1.5', 'quantity', 'whole number'],
    ['agent=inbox&qty=2', 'qty', 'not a parameter'],
  ])('answers 400 naming the parameter for "%s"', async (query, field, message) => {
    const { tenantId } = await blockedTenant(0);
    const res = await check(tenantId, query);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  it('answers from the 1 s memory the same bytes per question, never past the bound, and per tenant', async () => {
    const { tenantId, period } = await blockedTenant(998);
    const other = await blockedTenant(10);
    let now = new Date();
    const app = api.current.buildApp({
      quota: new UsageQuotaService(api.current.db.dataSource, { trialLimits: api.current.config.usage.trialLimits, clock: () => now }),
    });
    const ask = (tenant: string, query: string) =>
      request(app).get(`/api/v1/usage/check?${query}`).set('Authorization', `Bearer ${tokenFor(tenant, ['agent'])}`);
    const first = await ask(tenantId, 'agent=inbox&quantity=1');
    expect(first.body).toMatchObject({ count: 998, allowed: true, remaining: 2 });
    await seedCounter(api.current.db.dataSource, tenantId, 'inbox', period, 1000);
    const again = await ask(tenantId, 'agent=inbox&quantity=1');
    expect(again.text).toBe(first.text); // from memory: the counter moved less than 1 s ago
    expect(again.headers['content-length']).toBe(String(Buffer.byteLength(first.text)));
    expect((await ask(tenantId, 'agent=inbox&quantity=3')).body).toMatchObject({ count: 998, allowed: false, quantity: 3 });
    expect((await ask(other.tenantId, 'agent=inbox&quantity=1')).body).toMatchObject({ count: 10, remaining: 990 });
    now = new Date(now.getTime() + QUOTA_STALENESS_MS);
    expect((await ask(tenantId, 'agent=inbox&quantity=1')).body).toMatchObject({ count: 1000, allowed: false, reason: 'limit_reached' });
  });

  it('answers 404 for a tenant without a subscription', async () => {
    const { tenantId } = await seedTenant(api.current.db.dataSource, { withSubscription: false });
    const res = await check(tenantId, 'agent=inbox');
    expect(res.status).toBe(404);
  });
});

describe('the block policy, end to end', () => {
  it('POST /api/v1/usage/events: 409 naming the limit once the batch would pass it, nothing enqueued; within it, 202', async () => {
    const { tenantId, period } = await blockedTenant(998);
    const refused = await ingest(tenantId, { events: [email('m-1'), email('m-2', 2)] });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body.detail).toContain('inbox limit of 1,000');
    expect(refused.body.detail).toContain('count 998, this request 3');
    expect(await enqueuedFor(tenantId)).toBe(0);

    const accepted = await ingest(tenantId, { events: [email('m-1'), email('m-2')] });
    expect(accepted.status).toBe(202);
    expect(await enqueuedFor(tenantId)).toBe(1);
    // Another agent under `overage` goes on past its limit.
    await seedCounter(api.current.db.dataSource, tenantId, 'invoice', period, 500);
    expect((await ingest(tenantId, { agent: 'invoice', action_type: 'invoice_detected', resource_id: 'i-1' })).status).toBe(202);
  });

  it('the producer client refuses with QuotaExceededError and enqueues nothing', async () => {
    const { tenantId } = await blockedTenant(1000);
    const input: TrackEventInput = { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: 'p-1' };
    // Built as main.ts builds the API's client: with the quota service.
    const usage = usageClientFor(api.current);
    try {
      await expect(usage.track(input)).rejects.toBeInstanceOf(QuotaExceededError);
      await expect(usage.check(tenantId, AgentType.Inbox, 1)).resolves.toMatchObject({ allowed: false, reason: 'limit_reached' });
      expect(await enqueuedFor(tenantId)).toBe(0);
    } finally {
      await usage.close();
    }
  });

  it('the worker counts nothing of a group that would pass a blocked limit, keeps it as dead letters, and counts groups that fit', async () => {
    const { db } = api.current;
    const { tenantId, period } = await blockedTenant(997);
    const tracker = new UsageTracker(db.dataSource, { logger });
    const parse = (inputs: TrackEventInput[]) => parseTrackEventInputs(inputs, { now: new Date(), window: DEFAULT_OCCURRED_AT_WINDOW });
    const e = (key: string, quantity = 1): TrackEventInput => ({
      tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key, quantity,
    });
    // Three groups in one batch: 2 fit (999), the next 2 would pass 1,000, the last 1 fits (1,000).
    const { groups } = await tracker.track([parse([e('w-1', 2)]), parse([e('w-2'), e('w-3')]), parse([e('w-4')])]);
    expect(groups.map((group) => group.status)).toEqual(['committed', 'committed', 'committed']);
    const outcomes = groups.map((group) => (group.status === 'committed' ? group.results.map((result) => result.deadLetter?.reason ?? result.outcome) : []));
    expect(outcomes).toEqual([['recorded'], ['quota_exceeded', 'quota_exceeded'], ['recorded']]);
    expect(await counterValue(db.dataSource, tenantId, 'inbox', period.start)).toBe(1000);
    expect(await eventQuantitySum(db.dataSource, tenantId, 'inbox')).toBe(3);
    // At the limit, a further event is counted nowhere, not in the rollups either; it waits as a
    // dead letter whose detail names the limit.
    const { results } = await recordUsage(tracker, [e('w-5')]);
    expect(results[0]!.deadLetter?.reason).toBe('quota_exceeded');
    expect(await counterValue(db.dataSource, tenantId, 'inbox', period.start)).toBe(1000);
    const [{ total }] = await db.dataSource.query(`SELECT coalesce(sum(count), 0)::int AS total FROM usage_rollups WHERE tenant_id = $1`, [tenantId]);
    expect(total).toBe(3);
    const dead: Array<{ idempotency_key: string; detail: string }> = await db.dataSource.query(
      `SELECT idempotency_key, detail FROM usage_dead_letters WHERE tenant_id = $1 AND reason = 'quota_exceeded' ORDER BY idempotency_key`,
      [tenantId],
    );
    expect(dead.map((row) => row.idempotency_key)).toEqual(['w-2', 'w-3', 'w-5']);
    expect(dead[2]!.detail).toMatch(/inbox limit of 1,000 per period is reached/);
  });
});
