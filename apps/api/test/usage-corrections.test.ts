import request from 'supertest';
import { createLogger } from '@metering/platform';
import { counterValue, recordUsage, seedCountedUsage, seedPlan, seedTenant } from '@metering/testing';
import { ActionType, AgentType, UsageReconciliationService, UsageTracker, calendarMonthOf } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { tokenFor, useApiHarness } from './support/api-harness';

const NOW = new Date('2026-11-15T12:30:00Z');
const PERIOD = calendarMonthOf(NOW);
const api = useApiHarness({ clock: () => NOW, env: { USAGE_RATE_LIMIT_PER_MINUTE: '10000' } });
const logger = createLogger({ level: 'silent', json: true, service: 'test' });
const ADMIN = () => `Bearer ${tokenFor('00000000-0000-4000-8000-0000000000ad', ['admin'], { subject: 'ops-alice' })}`;

const db = () => api.current.db.dataSource;
const tracker = () => new UsageTracker(db(), { logger, clock: () => NOW });
const correct = (body: unknown, auth = ADMIN()) =>
  request(api.current.app).post('/api/v1/admin/usage/corrections').set('Authorization', auth).send(body as object);
const read = (path: string, tenantId: string) => request(api.current.app).get(path).set('Authorization', `Bearer ${tokenFor(tenantId)}`);

function email(tenantId: string, key: string, quantity: number, occurredAt: Date): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: `msg-${key}`, idempotencyKey: key, quantity, occurredAt };
}

async function tenant(): Promise<string> {
  const plan = await seedPlan(db());
  return (await seedTenant(db(), { planId: plan.id, period: PERIOD })).tenantId;
}

async function rollups(tenantId: string): Promise<Record<string, number>> {
  const rows: Array<{ bucket_start: Date; count: string }> = await db().query(
    `SELECT bucket_start, count FROM usage_rollups WHERE tenant_id = $1 AND agent = 'inbox' ORDER BY bucket_start`,
    [tenantId],
  );
  return Object.fromEntries(rows.map((r) => [r.bucket_start.toISOString().slice(11, 13), Number(r.count)]));
}

async function corrections(tenantId: string): Promise<Array<Record<string, unknown>>> {
  return db().query(`SELECT correction_key, kind, quantity_delta, actor, counter_before, counter_after FROM usage_corrections WHERE tenant_id = $1 ORDER BY created_at, correction_key`, [tenantId]);
}

const reconciler = () => new UsageReconciliationService(db(), { logger, clock: () => NOW });

describe('POST /api/v1/admin/usage/corrections', () => {
  it('voids an event: counter, rollup, usage read and drill-down (JSON and CSV) all follow, and reconciliation agrees', async () => {
    const tenantId = await tenant();
    await recordUsage(
      tracker(),
      [email(tenantId, 'keep', 2, new Date('2026-11-15T09:10:00Z')), email(tenantId, 'bad', 5, new Date('2026-11-15T10:20:00Z'))],
      NOW,
    );

    const res = await correct({ type: 'void', tenant_id: tenantId, correction_key: 'fix-1', idempotency_key: 'bad', reason: 'duplicate sent by the inbox agent' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      replayed: false,
      correction: { type: 'void', agent: 'inbox', quantity_delta: -5, voided_idempotency_key: 'bad', actor: 'token:ops-alice', counter_before: 7, counter_after: 2 },
    });

    expect(await counterValue(db(), tenantId, 'inbox')).toBe(2);
    expect(await rollups(tenantId)).toEqual({ '09': 2, '10': 0 });
    const usage = await read('/api/v1/usage', tenantId);
    expect(usage.body.usage.inbox.count).toBe(2);

    const events = await read('/api/v1/usage/events', tenantId);
    expect(events.body.data).toEqual([
      expect.objectContaining({
        kind: 'correction',
        idempotency_key: 'fix-1',
        action_type: 'correction',
        resource_id: 'msg-bad',
        quantity: -5,
        occurred_at: '2026-11-15T10:20:00.000Z',
        correction: { type: 'void', reason: 'duplicate sent by the inbox agent', voided_idempotency_key: 'bad' },
      }),
      expect.objectContaining({ kind: 'event', idempotency_key: 'bad', quantity: 5, correction: null }),
      expect.objectContaining({ kind: 'event', idempotency_key: 'keep', quantity: 2, correction: null }),
    ]);
    const csv = await read('/api/v1/usage/events?format=csv', tenantId);
    expect(csv.text.split('\r\n')[1]).toBe('2026-11-15T10:20:00.000Z,inbox,correction,msg-bad,-5,fix-1,correction,duplicate sent by the inbox agent');

    const summary = await reconciler().reconcile({ tenantId });
    expect(summary.drifts).toEqual([]);
    // The event itself is untouched: corrections are their own rows.
    const [stored] = await db().query(`SELECT quantity FROM usage_events WHERE tenant_id = $1 AND idempotency_key = 'bad'`, [tenantId]);
    expect(stored.quantity).toBe(5);
  });

  it('adjusts up and down; a reduction comes out of the hours before it when its own hour is short', async () => {
    const tenantId = await tenant();
    await recordUsage(tracker(), [email(tenantId, 'a', 4, new Date('2026-11-15T08:00:00Z')), email(tenantId, 'b', 3, new Date('2026-11-15T09:00:00Z'))], NOW);
    const adjustment = (key: string, quantity: number, occurredAt: string) => ({
      type: 'adjustment', tenant_id: tenantId, correction_key: key, agent: 'inbox', period_start: PERIOD.start.toISOString(), quantity, occurred_at: occurredAt, reason: 'support ticket 42',
    });

    expect((await correct(adjustment('up', 10, '2026-11-15T11:00:00Z'))).status).toBe(201);
    expect((await correct(adjustment('down', -5, '2026-11-15T09:30:00Z'))).status).toBe(201);

    expect(await counterValue(db(), tenantId, 'inbox')).toBe(12);
    // -5 at 09h: 3 from 09h, then 2 from 08h (newest first before it); 11h keeps its +10.
    expect(await rollups(tenantId)).toEqual({ '08': 2, '09': 0, '11': 10 });
    expect((await read('/api/v1/usage', tenantId)).body.usage.inbox.count).toBe(12);
    expect((await reconciler().reconcile({ tenantId })).drifts).toEqual([]);

    // Below zero is refused and changes nothing.
    const tooMuch = await correct(adjustment('way-down', -13, '2026-11-15T09:30:00Z'));
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.detail).toMatch(/counter of the period .* is 12; a correction of -13 would make it negative/);
    expect(await counterValue(db(), tenantId, 'inbox')).toBe(12);
    expect((await corrections(tenantId)).map((c) => c.correction_key)).toEqual(['down', 'up']);
  });

  it("takes a reduction from a mid-hour period's own first hour, never from the previous period's share of it", async () => {
    // A Stripe period starts when the subscription did: 10:30, so two periods share the 10h rollup hour.
    const period = { start: new Date('2026-11-15T10:30:00Z'), end: new Date('2026-12-15T10:30:00Z') };
    const tenantId = (await seedTenant(db(), { planId: (await seedPlan(db())).id, period })).tenantId;
    await recordUsage(tracker(), [email(tenantId, 'a', 4, new Date('2026-11-15T10:40:00Z')), email(tenantId, 'b', 3, new Date('2026-11-15T11:10:00Z'))], NOW);
    await db().query(
      `INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count) VALUES ($1, 'inbox', '2026-10-15T10:30:00Z', '2026-11-15T10:00:00Z', 9)`,
      [tenantId],
    );

    const res = await correct({
      type: 'adjustment', tenant_id: tenantId, correction_key: 'mid', agent: 'inbox', period_start: period.start.toISOString(), quantity: -5, occurred_at: '2026-11-15T11:30:00Z', reason: 'double count',
    });
    expect(res.status).toBe(201);

    const rows: Array<{ period_start: Date; bucket_start: Date; count: string }> = await db().query(
      `SELECT period_start, bucket_start, count FROM usage_rollups WHERE tenant_id = $1 ORDER BY period_start, bucket_start`,
      [tenantId],
    );
    // 3 from 11h, then 2 from this period's 10h; the previous period's 10h keeps its 9.
    expect(rows.map((r) => `${r.period_start.toISOString().slice(5, 16)} ${r.bucket_start.toISOString().slice(11, 13)}h ${r.count}`)).toEqual([
      '10-15T10:30 10h 9',
      '11-15T10:30 10h 2',
      '11-15T10:30 11h 0',
    ]);
    expect(await counterValue(db(), tenantId, 'inbox')).toBe(2);
  });

  it('records the usage alert an upward correction crosses, as a commit of events does', async () => {
    const tenantId = await tenant();
    await recordUsage(tracker(), [email(tenantId, 'bulk', 790, new Date('2026-11-15T08:00:00Z'))], NOW);
    const adjust = (key: string, quantity: number) =>
      correct({ type: 'adjustment', tenant_id: tenantId, correction_key: key, agent: 'inbox', period_start: PERIOD.start.toISOString(), quantity, reason: 'missed batch' });
    expect((await adjust('down', -5)).status).toBe(201);
    expect((await adjust('up', 20)).status).toBe(201);
    const alerts = await db().query(`SELECT level, count_at_alert FROM usage_alerts WHERE tenant_id = $1`, [tenantId]);
    expect(alerts).toEqual([{ level: 'warning', count_at_alert: '805' }]);
  });

  it('replays the same correction key with the same content harmlessly, and refuses it with other content', async () => {
    const tenantId = await tenant();
    await recordUsage(tracker(), [email(tenantId, 'e1', 3, new Date('2026-11-15T09:00:00Z'))], NOW);
    const body = { type: 'void', tenant_id: tenantId, correction_key: 'once', idempotency_key: 'e1', reason: 'test traffic' };

    const first = await correct(body);
    const again = await correct(body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ correction: first.body.correction, replayed: true });
    expect(await counterValue(db(), tenantId, 'inbox')).toBe(0);

    const other = await correct({ ...body, reason: 'another reason' });
    expect(other.status).toBe(409);
    expect(other.body.errors).toEqual([{ field: 'correction_key', message: expect.stringMatching(/already used for another correction/) }]);
    // The same event under a new key: already voided.
    const twice = await correct({ ...body, correction_key: 'twice' });
    expect(twice.status).toBe(409);
    expect(twice.body.detail).toBe('the event e1 is already voided by correction once');
    expect(await corrections(tenantId)).toHaveLength(1);
    expect(await counterValue(db(), tenantId, 'inbox')).toBe(0);

    // Concurrent voids of one event under different keys: one applies, the others are conflicts.
    await recordUsage(tracker(), [email(tenantId, 'e2', 2, new Date('2026-11-15T09:00:00Z'))], NOW);
    const racing = await Promise.all(
      ['r1', 'r2', 'r3'].map((key) => correct({ type: 'void', tenant_id: tenantId, correction_key: key, idempotency_key: 'e2', reason: 'race' })),
    );
    expect(racing.map((r) => r.status).sort()).toEqual([201, 409, 409]);
    expect(await counterValue(db(), tenantId, 'inbox')).toBe(0);
  });

  it('refuses bad input with every field named, other roles, and unknown events, changing nothing', async () => {
    const tenantId = await tenant();
    await recordUsage(tracker(), [email(tenantId, 'e1', 1, new Date('2026-11-15T09:00:00Z'))], NOW);

    const bad = await correct({ type: 'adjustment', tenant_id: 'nope', correction_key: '', agent: 'fax', period_start: 'soon', quantity: 0, reason: ' ', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['agent', 'correction_key', 'extra', 'period_start', 'quantity', 'reason', 'tenant_id']);
    expect((await correct({ type: 'delete' })).body.errors).toEqual([{ field: 'type', message: 'type must be void or adjustment' }]);

    const asUser = await correct({ type: 'void', tenant_id: tenantId, correction_key: 'k', idempotency_key: 'e1', reason: 'x' }, `Bearer ${tokenFor(tenantId, ['user'])}`);
    expect(asUser.status).toBe(403);
    const missing = await correct({ type: 'void', tenant_id: tenantId, correction_key: 'k', idempotency_key: 'nothing-here', reason: 'x' });
    expect(missing.status).toBe(404);
    // Another tenant's key is not this tenant's event.
    const otherTenant = await tenant();
    expect((await correct({ type: 'void', tenant_id: otherTenant, correction_key: 'k', idempotency_key: 'e1', reason: 'x' })).status).toBe(404);
    const notAPeriod = await correct({ type: 'adjustment', tenant_id: tenantId, correction_key: 'k2', agent: 'inbox', period_start: '2026-11-02T00:00:00Z', quantity: 1, reason: 'x' });
    expect(notAPeriod.status).toBe(422);
    expect(notAPeriod.body.errors[0].field).toBe('period_start');

    expect(await corrections(tenantId)).toEqual([]);
    expect(await counterValue(db(), tenantId, 'inbox')).toBe(1);
  });

  it('keeps exact totals when corrections race live ingest of the same counter', async () => {
    const tenantId = await tenant();
    const hour = (i: number) => new Date(Date.UTC(2026, 10, 15, i % 12, 0, 0));
    await recordUsage(tracker(), Array.from({ length: 40 }, (_, i) => email(tenantId, `seed-${i}`, 1 + (i % 3), hour(i))), NOW);

    const ingest = Array.from({ length: 20 }, (_, batch) =>
      recordUsage(tracker(), Array.from({ length: 25 }, (_, i) => email(tenantId, `live-${batch}-${i}`, 1, hour(batch + i))), NOW),
    );
    const voids = Array.from({ length: 15 }, (_, i) =>
      correct({ type: 'void', tenant_id: tenantId, correction_key: `v-${i}`, idempotency_key: `seed-${i}`, reason: 'race test' }),
    );
    const adjustments = Array.from({ length: 10 }, (_, i) =>
      correct({ type: 'adjustment', tenant_id: tenantId, correction_key: `a-${i}`, agent: 'inbox', period_start: PERIOD.start.toISOString(), quantity: i % 2 === 0 ? 4 : -1, occurred_at: hour(i).toISOString(), reason: 'race test' }),
    );
    const responses = await Promise.all([...voids, ...adjustments]);
    await Promise.all(ingest);
    expect(responses.map((r) => r.status)).toEqual(Array(25).fill(201));

    const [{ events }] = await db().query(`SELECT sum(quantity)::int AS events FROM usage_events WHERE tenant_id = $1`, [tenantId]);
    const [{ corrected }] = await db().query(`SELECT sum(quantity_delta)::int AS corrected FROM usage_corrections WHERE tenant_id = $1`, [tenantId]);
    const seedVoided = Array.from({ length: 15 }, (_, i) => 1 + (i % 3)).reduce((a, b) => a + b, 0);
    expect(corrected).toBe(-seedVoided + 5 * 4 - 5);
    expect(await counterValue(db(), tenantId, 'inbox')).toBe(events + corrected);
    const buckets = await rollups(tenantId);
    expect(Object.values(buckets).reduce((a, b) => a + b, 0)).toBe(events + corrected);
    expect((await reconciler().reconcile({ tenantId })).drifts).toEqual([]);
  });

  it('refuses adding usage to a period whose invoice is final, but voids in it (billing credits the difference)', async () => {
    const plan = await seedPlan(db());
    const { tenantId } = await seedTenant(db(), { planId: plan.id, period: PERIOD });
    const october = calendarMonthOf(new Date('2026-10-15T00:00:00Z'));
    await seedCountedUsage(db(), tenantId, 'inbox', october, 6);
    const [{ idempotency_key: octoberKey }] = await db().query(`SELECT idempotency_key FROM usage_events WHERE tenant_id = $1`, [tenantId]);

    const add = await correct({ type: 'adjustment', tenant_id: tenantId, correction_key: 'late', agent: 'inbox', period_start: october.start.toISOString(), quantity: 2, reason: 'missed usage' });
    expect(add.status).toBe(422);
    expect(add.body.detail).toMatch(/invoice of the period .* is final/);

    const voided = await correct({ type: 'void', tenant_id: tenantId, correction_key: 'oct-void', idempotency_key: octoberKey, reason: 'customer refund' });
    expect(voided.status).toBe(201);
    expect(await counterValue(db(), tenantId, 'inbox', october.start)).toBe(0);
  });
});
