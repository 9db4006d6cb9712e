import { randomUUID } from 'node:crypto';
import { createLogger } from '@metering/platform';
import { counterValue, eventQuantitySum, recordUsage, seedPlan, seedTenant, useTestDatabase, whileTriggerRaises } from '@metering/testing';
import {
  ActionType,
  AgentType,
  SubscriptionNotFoundError,
  TenantNotFoundError,
  UsageError,
  DEFAULT_OCCURRED_AT_WINDOW,
  UsageTracker,
  ValidationFailedError,
  calendarMonthOf,
  parseTrackEventInputs,
} from '@metering/usage';
import type { TrackEventInput, TrackResult, ValidEvent } from '@metering/usage';

const db = useTestDatabase();
const NOW = new Date('2026-11-15T12:00:00Z');
const PERIOD = calendarMonthOf(NOW);
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

function tracker(now: Date = NOW): UsageTracker {
  return new UsageTracker(db.current.dataSource, { logger, clock: () => now });
}

/** One event as one group through `track`, parsed as the producer parses it at NOW. */
async function trackOne(input: TrackEventInput): Promise<TrackResult> {
  return (await recordUsage(tracker(), [input], NOW)).results[0]!;
}

async function activeTenant(): Promise<string> {
  const plan = await seedPlan(db.current.dataSource);
  return (await seedTenant(db.current.dataSource, { planId: plan.id, period: PERIOD })).tenantId;
}

function email(tenantId: string, resourceId: string, extra: Partial<TrackEventInput> = {}): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId, ...extra };
}

const valid = (...inputs: TrackEventInput[]): ValidEvent[] => parseTrackEventInputs(inputs, { now: NOW, window: DEFAULT_OCCURRED_AT_WINDOW });

async function rowCount(table: string, tenantId: string): Promise<number> {
  const [row] = await db.current.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE tenant_id = $1`, [tenantId]);
  return row.n as number;
}

describe('UsageTracker', () => {
  it('writes the event and its counter together', async () => {
    const tenantId = await activeTenant();
    const result = await trackOne(email(tenantId, 'msg-1', { quantity: 3, metadata: { subject: 'Hi ✉' } }));

    expect(result.outcome).toBe('recorded');
    const [event] = await db.current.dataSource.query(`SELECT * FROM usage_events WHERE tenant_id = $1`, [tenantId]);
    expect(event).toMatchObject({ agent: 'inbox', action_type: 'email_processed', resource_id: 'msg-1', quantity: 3 });
    expect(event.metadata).toEqual({ subject: 'Hi ✉' });
    expect(event.period_start.toISOString()).toBe(PERIOD.start.toISOString());
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox', PERIOD.start)).toBe(3);
  });

  it('counts a retried event once', async () => {
    const tenantId = await activeTenant();
    const first = await trackOne(email(tenantId, 'msg-1', { idempotencyKey: 'key-1', quantity: 2 }));
    const again = await trackOne(email(tenantId, 'msg-1', { idempotencyKey: 'key-1', quantity: 2 }));

    expect([first.outcome, again.outcome]).toEqual(['recorded', 'duplicate']);
    expect(await rowCount('usage_events', tenantId)).toBe(1);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(2);
  });

  it('derives the same key for the same resource when no key is given', async () => {
    const tenantId = await activeTenant();
    await trackOne(email(tenantId, 'msg-7'));
    const again = await trackOne(email(tenantId, 'msg-7'));
    const other = await trackOne(email(tenantId, 'msg-8'));

    expect(again.outcome).toBe('duplicate');
    expect(other.outcome).toBe('recorded');
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(2);
  });

  it('scopes idempotency keys to the tenant', async () => {
    const a = await activeTenant();
    const b = await activeTenant();
    await trackOne(email(a, 'r', { idempotencyKey: 'shared-key' }));
    const forB = await trackOne(email(b, 'r', { idempotencyKey: 'shared-key' }));

    expect(forB.outcome).toBe('recorded');
    expect(await counterValue(db.current.dataSource, b, 'inbox')).toBe(1);
  });

  it('creates the counter of the period an event occurred in', async () => {
    const tenantId = await activeTenant();
    const lastMonth = new Date('2026-10-30T08:00:00Z');
    await trackOne(email(tenantId, 'late', { occurredAt: lastMonth }));
    await trackOne(email(tenantId, 'now'));

    const counters = await db.current.dataSource.query(
      `SELECT period_start, period_end, count FROM usage_counters WHERE tenant_id = $1 ORDER BY period_start`,
      [tenantId],
    );
    expect(counters.map((c: { period_start: Date; period_end: Date; count: string }) => [
      c.period_start.toISOString(), c.period_end.toISOString(), Number(c.count),
    ])).toEqual([
      ['2026-10-01T00:00:00.000Z', '2026-11-01T00:00:00.000Z', 1],
      ['2026-11-01T00:00:00.000Z', '2026-12-01T00:00:00.000Z', 1],
    ]);
  });

  it('records a batch with duplicates inside it and returns each outcome in order', async () => {
    const tenantId = await activeTenant();
    const { results, counters } = await recordUsage(tracker(), [
      email(tenantId, 'a', { quantity: 2 }),
      email(tenantId, 'b'),
      email(tenantId, 'a', { quantity: 2 }),
      { tenantId, agent: AgentType.Invoice, actionType: ActionType.InvoiceDetected, resourceId: 'inv-1', quantity: 5 },
    ], NOW);

    expect(results.map((r) => r.outcome)).toEqual(['recorded', 'recorded', 'duplicate', 'recorded']);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(3);
    expect(await counterValue(db.current.dataSource, tenantId, 'invoice')).toBe(5);
    expect(counters.find((c) => c.agent === 'inbox')).toMatchObject({ previousCount: 0, count: 3 });
  });

  it('leaves neither event nor counter change when the transaction fails', async () => {
    const tenantId = await activeTenant();
    await trackOne(email(tenantId, 'before'));
    // A real failure inside the statement: the counter upsert raises for this tenant.
    const failing = { name: 'fail_counter', table: 'usage_counters', on: 'UPDATE' as const, when: `NEW.tenant_id = '${tenantId}'`, message: 'injected counter failure' };
    await whileTriggerRaises(db.current.dataSource, failing, async () => {
      await expect(trackOne(email(tenantId, 'after'))).rejects.toThrow('injected counter failure');
    });

    expect(await rowCount('usage_events', tenantId)).toBe(1);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(1);
  });

  it('rejects a tenant without a subscription and writes nothing', async () => {
    const { tenantId } = await seedTenant(db.current.dataSource, { withSubscription: false });
    await expect(trackOne(email(tenantId, 'x'))).rejects.toBeInstanceOf(SubscriptionNotFoundError);
    expect(await rowCount('usage_events', tenantId)).toBe(0);
  });

  it('rejects an unknown tenant', async () => {
    await expect(trackOne(email(randomUUID(), 'x'))).rejects.toBeInstanceOf(TenantNotFoundError);
  });

  it('rejects a canceled subscription', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, status: 'canceled', period: PERIOD });
    await expect(trackOne(email(tenantId, 'x'))).rejects.toMatchObject({ code: 'SUBSCRIPTION_INACTIVE' });
  });

  it.each([
    ['an agent/action pair that does not belong together', { actionType: ActionType.MeetingPrep }, 'action_type'],
    ['a zero quantity', { quantity: 0 }, 'quantity'],
    ['a fractional quantity', { quantity: 1.5 }, 'quantity'],
    ['an event from too long ago', { occurredAt: new Date('2026-09-01T00:00:00Z') }, 'occurred_at'],
    ['an event in the future', { occurredAt: new Date('2026-11-15T12:10:00Z') }, 'occurred_at'],
  ])('rejects %s with a clear field error and writes nothing', async (_name, change, field) => {
    const tenantId = await activeTenant();
    const error = await trackOne(email(tenantId, 'bad', change)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ValidationFailedError);
    expect((error as UsageError).fieldErrors.map((e) => e.field)).toContain(field);
    expect(await rowCount('usage_events', tenantId)).toBe(0);
    expect(await rowCount('usage_counters', tenantId)).toBe(0);
  });

  it('fails a whole batch when one event is invalid', async () => {
    const tenantId = await activeTenant();
    await expect(
      recordUsage(tracker(), [email(tenantId, 'ok'), email(tenantId, 'bad', { quantity: -1 })], NOW),
    ).rejects.toBeInstanceOf(ValidationFailedError);
    expect(await rowCount('usage_events', tenantId)).toBe(0);
  });

  it('counts exactly the distinct events of 200 parallel calls with 50 duplicate keys', async () => {
    const tenantId = await activeTenant();
    const inputs = Array.from({ length: 200 }, (_, i) => {
      const key = i < 150 ? `k-${i}` : `k-${i - 150}`; // the last 50 repeat the first 50 keys
      return email(tenantId, `msg-${key}`, { idempotencyKey: key, quantity: (i % 150) % 3 + 1 });
    });
    const distinctSum = inputs.slice(0, 150).reduce((sum, e) => sum + (e.quantity ?? 1), 0);

    const results = await Promise.all(inputs.map((input) => trackOne(input)));

    expect(results.filter((r) => r.outcome === 'recorded')).toHaveLength(150);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(50);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(distinctSum);
    expect(await eventQuantitySum(db.current.dataSource, tenantId)).toBe(distinctSum);
  });
});

describe('UsageTracker tenant ids', () => {
  it('counts an event whose tenant id is written in capitals for the same tenant, once', async () => {
    const tenantId = await activeTenant();
    const upper = tenantId.toUpperCase();
    const first = await trackOne(email(upper, 'msg-1', { idempotencyKey: 'caps-1' }));
    const again = await trackOne(email(tenantId, 'msg-1', { idempotencyKey: 'caps-1' }));

    expect(first).toMatchObject({ tenantId, outcome: 'recorded' });
    expect(again.outcome).toBe('duplicate');
    expect(await rowCount('usage_events', tenantId)).toBe(1);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(1);
  });
});

describe('UsageTracker.track groups', () => {
  it('commits the accepted groups together and rejects only the group with an event it cannot count', async () => {
    const tenantId = await activeTenant();
    const unknown = randomUUID();
    const { groups, counters } = await tracker().track([
      valid(email(tenantId, 'a'), email(tenantId, 'b')),
      valid(email(tenantId, 'c'), email(unknown, 'x')),
      valid(email(tenantId, 'd', { quantity: 2 })),
    ]);

    expect(groups.map((group) => group.status)).toEqual(['committed', 'rejected', 'committed']);
    expect(groups[1]).toMatchObject({ status: 'rejected', errors: [{ index: 1, error: expect.any(TenantNotFoundError) }] });
    expect(groups[2]).toMatchObject({ status: 'committed', results: [{ tenantId, outcome: 'recorded' }] });
    expect(counters).toEqual([expect.objectContaining({ tenantId, agent: 'inbox', previousCount: 0, count: 4 })]);
    expect(await rowCount('usage_events', tenantId)).toBe(3);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(4);
  });

  it('commits the groups one by one when Postgres refuses the data of one, failing only that group', async () => {
    const tenantId = await activeTenant();
    const poison = { name: 'refuse_poison', table: 'usage_events', when: `NEW.resource_id = 'poison'`, errcode: 'check_violation', message: 'poison row' };
    const { groups, counters } = await whileTriggerRaises(db.current.dataSource, poison, () =>
      tracker().track([
        valid(email(tenantId, 'healthy-1')),
        valid(email(tenantId, 'poison'), email(tenantId, 'healthy-in-poisoned-group')),
        valid(email(tenantId, 'healthy-2'), email(tenantId, 'healthy-3')),
      ]),
    );

    expect(groups.map((group) => group.status)).toEqual(['committed', 'failed', 'committed']);
    expect(groups[1]).toMatchObject({ status: 'failed', error: { code: '23514' } });
    expect(counters.map((change) => change.count - change.previousCount).reduce((a, b) => a + b, 0)).toBe(3);
    expect(await rowCount('usage_events', tenantId)).toBe(3);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(3);
  });

  it('fails every accepted group, one statement, when the commit fails for another reason (retryable)', async () => {
    const tenantId = await activeTenant();
    const outage = { name: 'simulated_outage', table: 'usage_events', when: `NEW.tenant_id = '${tenantId}'`, errcode: '57P01', message: 'simulated outage' };
    const { groups, counters } = await whileTriggerRaises(db.current.dataSource, outage, () =>
      tracker().track([valid(email(tenantId, 'a')), valid(email(randomUUID(), 'b')), valid(email(tenantId, 'c'))]),
    );

    expect(groups).toEqual([
      { status: 'failed', error: expect.objectContaining({ code: '57P01' }) },
      { status: 'rejected', errors: [{ index: 0, error: expect.any(TenantNotFoundError) }] },
      { status: 'failed', error: expect.objectContaining({ code: '57P01' }) },
    ]);
    expect(counters).toEqual([]);
    expect(await rowCount('usage_events', tenantId)).toBe(0);
  });
});
