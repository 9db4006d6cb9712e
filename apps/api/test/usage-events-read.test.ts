import request from 'supertest';
import { createLogger } from '@metering/platform';
import { recordUsage, seedCounter, seedPlan, seedTenant } from '@metering/testing';
import { ActionType, AgentType, UsageTracker, calendarMonthOf, nextPeriod } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { tokenFor, useApiHarness } from './support/api-harness';

const NOW = new Date('2026-11-15T12:30:00Z');
const PERIOD = calendarMonthOf(NOW);
const api = useApiHarness({ clock: () => NOW, env: { USAGE_RATE_LIMIT_PER_MINUTE: '1000' } });
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

const tracker = () => new UsageTracker(api.current.db.dataSource, { logger, clock: () => NOW });
const get = (path: string, tenantId: string) => request(api.current.app).get(path).set('Authorization', `Bearer ${tokenFor(tenantId)}`);

function event(tenantId: string, key: string, occurredAt: Date, extra: Partial<TrackEventInput> = {}): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: `msg-${key}`, idempotencyKey: key, occurredAt, ...extra };
}

async function tenantWithPlan(): Promise<string> {
  const plan = await seedPlan(api.current.db.dataSource);
  return (await seedTenant(api.current.db.dataSource, { planId: plan.id, period: PERIOD })).tenantId;
}

describe('GET /api/v1/usage/events', () => {
  it('pages newest first with a keyset cursor: no event twice or missing while events are inserted', async () => {
    const tenantId = await tenantWithPlan();
    const base = new Date('2026-11-14T00:00:00Z').getTime();
    // Pairs share an occurred_at, so the key must break ties.
    const initial = Array.from({ length: 30 }, (_, i) => event(tenantId, `e-${String(i).padStart(2, '0')}`, new Date(base + Math.floor(i / 2) * 60_000)));
    await recordUsage(tracker(), initial, NOW);

    const seen: string[] = [];
    let cursor: string | null = null;
    let inserted = 0;
    do {
      const res = await get(`/api/v1/usage/events?limit=7${cursor ? `&cursor=${cursor}` : ''}`, tenantId);
      expect(res.status).toBe(200);
      seen.push(...res.body.data.map((e: { idempotency_key: string }) => e.idempotency_key));
      cursor = res.body.next_cursor;
      // Between pages: newer events (above the cursor, never shown by later pages) and older ones (below it, shown later).
      await recordUsage(
        tracker(),
        [event(tenantId, `new-${inserted}`, new Date(base + 3_600_000 + inserted)), event(tenantId, `old-${inserted}`, new Date(base - 60_000 - inserted))],
        NOW,
      );
      inserted += 1;
    } while (cursor);

    expect(new Set(seen).size).toBe(seen.length);
    const initialKeys = initial.map((e) => e.idempotencyKey!);
    expect(seen.filter((key) => key.startsWith('e-'))).toEqual([...initialKeys].reverse());
    // Older events inserted before the walk passed them are listed, after every initial event.
    expect(seen.filter((key) => key.startsWith('old-')).length).toBeGreaterThan(0);
    expect(seen.some((key) => key.startsWith('new-'))).toBe(false);
  });

  it('filters by agent, time range and resource id, and returns each field', async () => {
    const tenantId = await tenantWithPlan();
    await recordUsage(
      tracker(),
      [
        event(tenantId, 'in-1', new Date('2026-11-10T10:00:00Z'), { metadata: { mailbox: 'support' } }),
        event(tenantId, 'in-2', new Date('2026-11-12T10:00:00Z')),
        event(tenantId, 'inv-1', new Date('2026-11-12T11:00:00Z'), { agent: AgentType.Invoice, actionType: ActionType.InvoiceDetected, resourceId: 'inv-9', quantity: 3 }),
      ],
      NOW,
    );
    const byAgent = await get('/api/v1/usage/events?agent=invoice', tenantId);
    expect(byAgent.body).toEqual({
      data: [
        { agent: 'invoice', action_type: 'invoice_detected', resource_id: 'inv-9', quantity: 3, idempotency_key: 'inv-1', occurred_at: '2026-11-12T11:00:00.000Z', metadata: {}, kind: 'event', correction: null },
      ],
      next_cursor: null,
    });
    const byRange = await get('/api/v1/usage/events?from=2026-11-10T00:00:00Z&to=2026-11-11T00:00:00Z', tenantId);
    expect(byRange.body.data).toEqual([expect.objectContaining({ idempotency_key: 'in-1', metadata: { mailbox: 'support' } })]);
    const byResource = await get('/api/v1/usage/events?resource_id=msg-in-2', tenantId);
    expect(byResource.body.data.map((e: { idempotency_key: string }) => e.idempotency_key)).toEqual(['in-2']);
  });

  it('streams the selection as CSV for format=csv and for Accept: text/csv, across many pages', async () => {
    const tenantId = await tenantWithPlan();
    const base = new Date('2026-11-01T00:00:00Z').getTime();
    const events = Array.from({ length: 2500 }, (_, i) => event(tenantId, `c-${i}`, new Date(base + i * 1000)));
    for (let i = 0; i < events.length; i += 1000) await recordUsage(tracker(), events.slice(i, i + 1000), NOW);
    await recordUsage(tracker(), [event(tenantId, '=cmd', new Date(base + 9_000_000), { resourceId: 'has,comma "quoted"' })], NOW);

    const csv = await get('/api/v1/usage/events?format=csv', tenantId).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      res.on('end', () => done(null, text));
    });
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toContain('usage-events.csv');
    const lines = (csv.body as string).trimEnd().split('\r\n');
    expect(lines[0]).toBe('occurred_at,agent,action_type,resource_id,quantity,idempotency_key,kind,correction_reason');
    expect(lines).toHaveLength(1 + 2501);
    // Spreadsheet formulas are defused; commas and quotes are quoted.
    expect(lines[1]).toBe(`${new Date(base + 9_000_000).toISOString()},inbox,email_processed,"has,comma ""quoted""",1,'=cmd,event,`);
    expect(lines[2]).toBe(`${new Date(base + 2499_000).toISOString()},inbox,email_processed,msg-c-2499,1,c-2499,event,`);
    expect(lines[2501]).toBe(`${new Date(base).toISOString()},inbox,email_processed,msg-c-0,1,c-0,event,`);

    const negotiated = await get('/api/v1/usage/events?agent=inbox&to=2026-11-01T00:00:02Z', tenantId).set('Accept', 'text/csv');
    expect(negotiated.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(negotiated.text.trimEnd().split('\r\n')).toHaveLength(3);
  });

  it("never lists another tenant's events, by query or by cursor", async () => {
    const a = await tenantWithPlan();
    const b = await tenantWithPlan();
    await recordUsage(tracker(), [event(b, 'b-1', new Date('2026-11-10T00:00:00Z')), event(b, 'b-2', new Date('2026-11-10T00:01:00Z'))], NOW);
    const asB = await get('/api/v1/usage/events?limit=1', b);
    expect(asB.body.next_cursor).not.toBeNull();
    const withB = await get(`/api/v1/usage/events?cursor=${asB.body.next_cursor}`, a);
    expect(withB.body.data).toEqual([]);
    expect((await get('/api/v1/usage/events?resource_id=msg-b-1', a)).body.data).toEqual([]);
    expect((await get('/api/v1/usage/events?format=csv', a)).text.trimEnd().split('\r\n')).toHaveLength(1);
    expect((await get(`/api/v1/usage/events?tenant_id=${b}`, a)).status).toBe(400);
  });

  it.each([
    ['limit=0', 'limit', '1 to 500'],
    ['limit=501', 'limit', '1 to 500'],
    ['limit=ten', 'limit', 'whole number'],
    ['cursor=bm9wZQ', 'cursor', 'next_cursor unchanged'],
    ['agent=fax', 'agent', 'one of'],
    ['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'to', 'after from'],
    ['format=xml', 'format', 'json or csv'],
    [`resource_id=${'x'.repeat(256)}`, 'resource_id', '1 to 255'],
    ['page=2', 'page', 'not a parameter'],
  ])('answers 400 naming the parameter for %s', async (params, field, message) => {
    const res = await get(`/api/v1/usage/events?${params}`, await tenantWithPlan());
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field, message: expect.stringContaining(message) }]);
  });
});

describe('GET /api/v1/usage/periods', () => {
  it('lists ended periods newest first with overage, cost and the Stripe ledger, cursor-paginated', async () => {
    const { db } = api.current;
    const plan = await seedPlan(db.dataSource);
    const { tenantId } = await seedTenant(db.dataSource, { planId: plan.id, period: PERIOD });
    const periods = [{ start: new Date('2026-08-01T00:00:00Z'), end: new Date('2026-09-01T00:00:00Z') }];
    for (let i = 0; i < 2; i++) periods.push(nextPeriod(periods[periods.length - 1]!, 1));
    // Aug: under; Sep: 40 over on inbox, sent; Oct: 30 over on invoice, 10 sent + 20 pending.
    await seedCounter(db.dataSource, tenantId, 'inbox', periods[0]!, 500);
    await seedCounter(db.dataSource, tenantId, 'inbox', periods[1]!, 1040);
    await seedCounter(db.dataSource, tenantId, 'invoice', periods[2]!, 230);
    await seedCounter(db.dataSource, tenantId, 'inbox', PERIOD, 5);
    const report = (period: { start: Date; end: Date }, agent: string, cumulative: number, delta: number, status: string, id: string) =>
      db.dataSource.query(
        `INSERT INTO stripe_usage_reports (tenant_id, agent, period_start, period_end, cumulative_quantity, delta, identifier, event_timestamp, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $4, $8)`,
        [tenantId, agent, period.start, period.end, cumulative, delta, `${id}-${tenantId}`, status],
      );
    await report(periods[1]!, 'inbox', 40, 40, 'sent', 'sep');
    await report(periods[2]!, 'invoice', 10, 10, 'sent', 'oct-1');
    await report(periods[2]!, 'invoice', 30, 20, 'pending', 'oct-2');

    const first = await get('/api/v1/usage/periods?limit=2', tenantId);
    expect(first.status).toBe(200);
    expect(first.body.data.map((p: { period_start: string }) => p.period_start)).toEqual([periods[2]!.start.toISOString(), periods[1]!.start.toISOString()]);
    expect(first.body.data[0].usage.invoice).toEqual({
      count: 230,
      limit: 200,
      overage: 30,
      overage_cost_cents: 300,
      stripe: { status: 'pending', sent_quantity: 10, pending_quantity: 20, failed_quantity: 0 },
    });
    expect(first.body.data[0].total_overage_cost_cents).toBe(300);
    expect(first.body.data[1].usage.inbox).toMatchObject({ overage: 40, overage_cost_cents: 80, stripe: { status: 'sent', sent_quantity: 40 } });
    expect(first.body.data[1].usage.invoice.stripe.status).toBe('none');

    const second = await get(`/api/v1/usage/periods?limit=2&cursor=${first.body.next_cursor}`, tenantId);
    expect(second.body.data.map((p: { period_start: string }) => p.period_start)).toEqual([periods[0]!.start.toISOString()]);
    expect(second.body.next_cursor).toBeNull();

    const other = await tenantWithPlan();
    expect((await get('/api/v1/usage/periods', other)).body).toEqual({ data: [], next_cursor: null });
    expect((await get(`/api/v1/usage/periods?cursor=${first.body.next_cursor}`, other)).body.data).toEqual([]);
  });

  it('prices a past period with the terms it was billed with, not the plan as it is now', async () => {
    const { db } = api.current;
    const plan = await seedPlan(db.dataSource);
    const { tenantId } = await seedTenant(db.dataSource, { planId: plan.id, period: PERIOD });
    const september = { start: new Date('2026-09-01T00:00:00Z'), end: new Date('2026-10-01T00:00:00Z') };
    await seedCounter(db.dataSource, tenantId, 'inbox', september, 1040);
    // September was billed with a quota of 1,000 at 5 cents; the plan has changed since.
    await db.dataSource.query(
      `INSERT INTO billing_period_terms (tenant_id, period_start, period_end, plan_id, limits, overage_unit_cents, meter_event_names)
       VALUES ($1, $2, $3, $4, '{"emails_per_month":1000}', '{"inbox":5}', '{}')`,
      [tenantId, september.start, september.end, plan.id],
    );
    await db.dataSource.query(`UPDATE plans SET limits = '{"emails_per_month":2000}', overage_unit_cents = '{"inbox":1}' WHERE id = $1`, [plan.id]);
    const res = await get('/api/v1/usage/periods', tenantId);
    expect(res.body.data[0].usage.inbox).toMatchObject({ count: 1040, limit: 1000, overage: 40, overage_cost_cents: 200 });
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['cursor=%21%21', 'cursor'],
    ['offset=3', 'offset'],
  ])('answers 400 naming the parameter for %s', async (params, field) => {
    const res = await get(`/api/v1/usage/periods?${params}`, await tenantWithPlan());
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ field, message: expect.any(String) }]);
  });
});
