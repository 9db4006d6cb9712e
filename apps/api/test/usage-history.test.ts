import request from 'supertest';
import { createLogger } from '@metering/platform';
import { counterValue, recordUsage, seedPlan, seedTenant } from '@metering/testing';
import { ActionType, AgentType, UsageTracker, calendarMonthOf } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { tokenFor, useApiHarness } from './support/api-harness';

const NOW = new Date('2026-11-15T12:30:00Z');
const PERIOD = calendarMonthOf(NOW);
const api = useApiHarness({ clock: () => NOW, env: { USAGE_RATE_LIMIT_PER_MINUTE: '1000' } });
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

function tracker(): UsageTracker {
  return new UsageTracker(api.current.db.dataSource, { logger, clock: () => NOW });
}

function email(tenantId: string, key: string, occurredAt: string, quantity = 1): TrackEventInput {
  return {
    tenantId,
    agent: AgentType.Inbox,
    actionType: ActionType.EmailProcessed,
    resourceId: `msg-${key}`,
    idempotencyKey: key,
    occurredAt: new Date(occurredAt),
    quantity,
  };
}

async function tenantWithPlan(): Promise<string> {
  const { db } = api.current;
  const plan = await seedPlan(db.dataSource);
  return (await seedTenant(db.dataSource, { planId: plan.id, period: PERIOD })).tenantId;
}

const get = (path: string, tenantId: string) => request(api.current.app).get(path).set('Authorization', `Bearer ${tokenFor(tenantId)}`);

describe('GET /api/v1/usage/history', () => {
  it('returns zero-filled daily and hourly series whose sum over the period equals the counter', async () => {
    const tenantId = await tenantWithPlan();
    await recordUsage(
      tracker(),
      [
        email(tenantId, 'a', '2026-11-13T09:15:00Z', 2),
        email(tenantId, 'b', '2026-11-13T09:45:00Z'),
        email(tenantId, 'c', '2026-11-14T23:59:59Z', 4),
        email(tenantId, 'd', '2026-11-15T00:00:00Z'),
      ],
      NOW,
    );
    // A duplicate changes neither the counter nor the rollups.
    await recordUsage(tracker(), [email(tenantId, 'a', '2026-11-13T09:15:00Z', 2)], NOW);

    const daily = await get(`/api/v1/usage/history?from=${PERIOD.start.toISOString()}&to=${PERIOD.end.toISOString()}`, tenantId);
    expect(daily.status).toBe(200);
    expect(daily.body).toMatchObject({ tenant_id: tenantId, window: 'day', from: PERIOD.start.toISOString(), to: PERIOD.end.toISOString() });
    const inbox = daily.body.series.inbox as Array<{ start: string; count: number }>;
    expect(inbox).toHaveLength(30);
    expect(inbox.filter((point) => point.count > 0)).toEqual([
      { start: '2026-11-13T00:00:00.000Z', count: 3 },
      { start: '2026-11-14T00:00:00.000Z', count: 4 },
      { start: '2026-11-15T00:00:00.000Z', count: 1 },
    ]);
    const sum = inbox.reduce((total, point) => total + point.count, 0);
    expect(sum).toBe(await counterValue(api.current.db.dataSource, tenantId, 'inbox', PERIOD.start));
    expect(daily.body.series.invoice.every((point: { count: number }) => point.count === 0)).toBe(true);

    const hourly = await get('/api/v1/usage/history?from=2026-11-13T08:30:00Z&to=2026-11-13T11:00:00Z&window=hour&agent=inbox', tenantId);
    expect(hourly.status).toBe(200);
    expect(Object.keys(hourly.body.series)).toEqual(['inbox']);
    expect(hourly.body.series.inbox).toEqual([
      { start: '2026-11-13T08:00:00.000Z', count: 0 },
      { start: '2026-11-13T09:00:00.000Z', count: 3 },
      { start: '2026-11-13T10:00:00.000Z', count: 0 },
    ]);
  });

  it("never shows another tenant's usage, whatever the query says", async () => {
    const a = await tenantWithPlan();
    const b = await tenantWithPlan();
    await recordUsage(tracker(), [email(b, 'b-1', '2026-11-14T10:00:00Z', 7)], NOW);
    const range = `from=${PERIOD.start.toISOString()}&to=${PERIOD.end.toISOString()}`;
    for (const path of [`/api/v1/usage/history?${range}`]) {
      const res = await get(path, a);
      expect(res.body.tenant_id).toBe(a);
      expect(res.body.series.inbox.every((point: { count: number }) => point.count === 0)).toBe(true);
    }
    const smuggled = await get(`/api/v1/usage/history?${range}&tenant_id=${b}`, a);
    expect(smuggled.status).toBe(400);
    expect(smuggled.body.errors).toEqual([{ field: 'tenant_id', message: expect.stringContaining('not a parameter') }]);
  });

  it.each([
    ['to=2026-11-02T00:00:00Z', 'from', 'from is required'],
    ['from=2026-11-01T00:00:00Z', 'to', 'to is required'],
    ['from=yesterday&to=2026-11-02T00:00:00Z', 'from', 'ISO 8601'],
    ['from=2026-11-02T00:00:00Z&to=2026-11-01T00:00:00Z', 'to', 'after from'],
    ['from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&window=week', 'window', 'hour or day'],
    ['from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z&agent=fax', 'agent', 'inbox, invoice, meeting'],
    ['from=2026-11-01T00:00:00Z&to=2026-12-13T00:00:00Z&window=hour', 'to', '1,008 hour windows; at most 1,000'],
    ['from=2024-01-01T00:00:00Z&to=2026-12-01T00:00:00Z', 'to', 'at most 1,000'],
    ['from=2026-11-01T00:00:00Z&from=2026-11-02T00:00:00Z&to=2026-11-03T00:00:00Z', 'from', 'once'],
  ])('answers 400 naming the parameter for %s', async (params, field, message) => {
    const tenantId = await tenantWithPlan();
    const res = await get(`/api/v1/usage/history?${params}`, tenantId);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.errors).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  it('answers 401 without a token', async () => {
    const res = await request(api.current.app).get('/api/v1/usage/history?from=2026-11-01T00:00:00Z&to=2026-11-02T00:00:00Z');
    expect(res.status).toBe(401);
  });
});

describe('forecast in GET /api/v1/usage', () => {
  it('projects the recent daily rate to period end, ignoring a quiet start, and names the day the limit is reached', async () => {
    const tenantId = await tenantWithPlan();
    // Quiet until Nov 11, then 60 a day for 4.5 days (270 by NOW): 60/day x 15.5 days left = 930 more.
    const events: TrackEventInput[] = [];
    for (let day = 11; day <= 15; day++) {
      const hours = day === 15 ? 12 : 24;
      for (let hour = 0; hour < hours; hour += 12) {
        const at = `2026-11-${day}T${String(hour).padStart(2, '0')}:00:00Z`;
        events.push(email(tenantId, `f-${day}-${hour}`, at, 30));
      }
    }
    await recordUsage(tracker(), events, NOW);

    const res = await get('/api/v1/usage', tenantId);
    expect(res.status).toBe(200);
    const inbox = res.body.usage.inbox;
    expect(inbox.count).toBe(270);
    // Rate: 270 over Nov 11 00:00 -> Nov 15 12:30 (4.52 days); 15.48 days remain.
    const rate = 270 / (4.5 * 86_400_000 + 1_800_000);
    const remaining = PERIOD.end.getTime() - NOW.getTime();
    expect(inbox.projected_count).toBe(270 + Math.round(rate * remaining));
    expect(inbox.projected_count).toBeGreaterThan(1000);
    expect(inbox.projected_overage_cost_cents).toBe((inbox.projected_count - 1000) * 2);
    const reach = new Date(inbox.projected_limit_date).getTime();
    expect(reach).toBeCloseTo(NOW.getTime() + 730 / rate, -3);
    expect(new Date(inbox.projected_limit_date).toISOString().slice(0, 10)).toBe('2026-11-27');
    expect(res.body.alerts).toContainEqual({ agent: 'inbox', level: 'forecast', message: 'Inbox agent reaches its monthly limit on Nov 27 at the current rate' });
    // Recorded once per period (a second read adds nothing), for the outbox job to notify.
    await get('/api/v1/usage', tenantId);
    const rows: Array<{ level: string; count_at_alert: string; limit_at_alert: string; published_at: Date | null }> = await api.current.db.dataSource.query(
      `SELECT level, count_at_alert, limit_at_alert, published_at FROM usage_alerts WHERE tenant_id = $1 AND agent = 'inbox'`,
      [tenantId],
    );
    expect(rows).toEqual([{ level: 'forecast', count_at_alert: '270', limit_at_alert: '1000', published_at: null }]);
    // No usage: the forecast is the count, no date, no forecast alert.
    expect(res.body.usage.invoice).toMatchObject({ count: 0, projected_count: 0, projected_overage_cost_cents: 0, projected_limit_date: null });
  });

  it('spreads less than a day of usage over a full day, and gives no date once the limit is reached', async () => {
    const tenantId = await tenantWithPlan();
    await recordUsage(tracker(), [email(tenantId, 'x', '2026-11-15T11:00:00Z', 10)], NOW);
    await recordUsage(
      tracker(),
      [{ tenantId, agent: AgentType.Invoice, actionType: ActionType.InvoiceDetected, resourceId: 'inv', idempotencyKey: 'inv', occurredAt: new Date('2026-11-15T10:00:00Z'), quantity: 250 }],
      NOW,
    );
    const res = await get('/api/v1/usage', tenantId);
    const days = (PERIOD.end.getTime() - NOW.getTime()) / 86_400_000;
    expect(res.body.usage.inbox.projected_count).toBe(10 + Math.round(10 * days));
    expect(res.body.usage.inbox.projected_limit_date).toBeNull();
    expect(res.body.usage.invoice.projected_limit_date).toBeNull();
    expect(res.body.alerts.filter((alert: { level: string }) => alert.level === 'forecast')).toEqual([]);
  });
});
