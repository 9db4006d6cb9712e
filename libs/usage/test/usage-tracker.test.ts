import { randomUUID } from 'node:crypto';
import { createLogger } from '@metering/platform';
import { counterValue, deadLetterReasons, eventQuantitySum, recordUsage, seedPlan, seedTenant, useTestDatabase, whileTriggerRaises } from '@metering/testing';
import {
  ActionType,
  AgentType,
  SubscriptionNotFoundError,
  TenantNotFoundError,
  UsageError,
  DEFAULT_OCCURRED_AT_WINDOW,
  UsageEventPartitions,
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

async function deadLetters(tenantId: string): Promise<Array<{ reason: string; idempotency_key: string }>> {
  return db.current.dataSource.query(`SELECT reason, idempotency_key FROM usage_dead_letters WHERE tenant_id = $1 ORDER BY created_at`, [tenantId]);
}

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

  it('counts once a resend that carries another occurred_at, in another monthly partition', async () => {
    const tenantId = await activeTenant();
    const justAfter = new Date('2026-12-01T00:30:00Z');
    // Both months exist as partitions whatever day the test database was migrated on.
    await new UsageEventPartitions(db.current.dataSource, { logger, clock: () => justAfter, partitionsAhead: 1, retentionMonths: null, oldestUnreportedPeriodEnd: async () => null }).maintain();
    const first = await recordUsage(tracker(justAfter), [email(tenantId, 'msg-1', { idempotencyKey: 'moved-key', occurredAt: new Date('2026-11-30T23:50:00Z') })], justAfter);
    const resend = await recordUsage(tracker(justAfter), [email(tenantId, 'msg-1', { idempotencyKey: 'moved-key', occurredAt: new Date('2026-12-01T00:10:00Z') })], justAfter);

    expect([first.results[0]!.outcome, resend.results[0]!.outcome]).toEqual(['recorded', 'duplicate']);
    const stored = await db.current.dataSource.query(`SELECT tableoid::regclass::text AS partition, occurred_at FROM usage_events WHERE tenant_id = $1`, [tenantId]);
    expect(stored).toEqual([{ partition: 'usage_events_y2026m11', occurred_at: new Date('2026-11-30T23:50:00Z') }]);
    const keys = await db.current.dataSource.query(`SELECT idempotency_key, occurred_at FROM usage_event_keys WHERE tenant_id = $1`, [tenantId]);
    expect(keys).toEqual([{ idempotency_key: 'moved-key', occurred_at: new Date('2026-11-30T23:50:00Z') }]);
    const counters = await db.current.dataSource.query(`SELECT period_start, count FROM usage_counters WHERE tenant_id = $1`, [tenantId]);
    expect(counters).toEqual([{ period_start: new Date('2026-11-01T00:00:00Z'), count: '1' }]);
    expect(await deadLetters(tenantId)).toEqual([]);
  });

  it('dead-letters a resend with another occurred_at and other content as a conflict, found across partitions', async () => {
    const tenantId = await activeTenant();
    const justAfter = new Date('2026-12-01T00:30:00Z');
    await new UsageEventPartitions(db.current.dataSource, { logger, clock: () => justAfter, partitionsAhead: 1, retentionMonths: null, oldestUnreportedPeriodEnd: async () => null }).maintain();
    await recordUsage(tracker(justAfter), [email(tenantId, 'msg-1', { idempotencyKey: 'reused', occurredAt: new Date('2026-11-30T23:50:00Z') })], justAfter);
    const other = await recordUsage(tracker(justAfter), [email(tenantId, 'msg-2', { idempotencyKey: 'reused', occurredAt: new Date('2026-12-01T00:10:00Z') })], justAfter);

    expect(other.results[0]!.outcome).toBe('dead_lettered');
    expect(await deadLetters(tenantId)).toEqual([{ reason: 'idempotency_conflict', idempotency_key: 'reused' }]);
    expect(await rowCount('usage_events', tenantId)).toBe(1);
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
    // Half an hour after October ended its invoice is still open (1 h grace): a late October
    // event counts in October.
    const justAfter = new Date('2026-11-01T00:30:00Z');
    await recordUsage(tracker(justAfter), [email(tenantId, 'late', { occurredAt: new Date('2026-10-31T23:50:00Z') })], justAfter);
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

  it('reports every counter a batch moved with its count before and after, each paired with its own addition', async () => {
    const [first, second] = [await activeTenant(), await activeTenant()];
    const invoice = (tenantId: string, key: string, quantity: number): TrackEventInput => ({
      tenantId, agent: AgentType.Invoice, actionType: ActionType.InvoiceDetected, resourceId: key, idempotencyKey: key, quantity,
    });
    await recordUsage(tracker(), [email(first, 'f-1', { quantity: 4 }), invoice(first, 'f-inv-1', 1), email(second, 's-1', { quantity: 10 })], NOW);

    const { counters } = await recordUsage(tracker(), [
      email(first, 'f-2', { quantity: 3 }),
      invoice(first, 'f-inv-2', 7),
      email(second, 's-2', { quantity: 2 }),
      email(second, 's-3', { quantity: 5 }),
      invoice(second, 's-inv-1', 6),
    ], NOW);

    const moved = counters.map((c) => [c.tenantId, c.agent, c.previousCount, c.count]);
    expect(moved).toHaveLength(4);
    expect(moved).toEqual(expect.arrayContaining([
      [first, 'inbox', 4, 7],
      [first, 'invoice', 1, 8],
      [second, 'inbox', 10, 17],
      [second, 'invoice', 0, 6],
    ]));
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

  it('dead-letters the event of a tenant without a subscription and counts nothing', async () => {
    const { tenantId } = await seedTenant(db.current.dataSource, { withSubscription: false });
    const result = await trackOne(email(tenantId, 'x'));
    expect(result).toMatchObject({ outcome: 'dead_lettered', deadLetter: { reason: 'subscription_not_found', detail: new SubscriptionNotFoundError(tenantId).message } });
    expect(await rowCount('usage_events', tenantId)).toBe(0);
    expect(await deadLetters(tenantId)).toEqual([{ reason: 'subscription_not_found', idempotency_key: result.idempotencyKey }]);
  });

  it('dead-letters the event of an unknown tenant', async () => {
    const unknown = randomUUID();
    const result = await trackOne(email(unknown, 'x'));
    expect(result).toMatchObject({ outcome: 'dead_lettered', deadLetter: { reason: 'tenant_not_found', detail: new TenantNotFoundError(unknown).message } });
    expect(await deadLetters(unknown)).toHaveLength(1);
  });

  it('dead-letters the event of a canceled subscription', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id, status: 'canceled', period: PERIOD });
    expect((await trackOne(email(tenantId, 'x'))).deadLetter?.reason).toBe('subscription_inactive');
    expect(await rowCount('usage_events', tenantId)).toBe(0);
  });

  it('dead-letters an event whose period can no longer be billed (its invoice is final), and still counts a late one that can', async () => {
    const tenantId = await activeTenant();
    const { results } = await recordUsage(tracker(), [
      email(tenantId, 'october', { occurredAt: new Date('2026-10-30T08:00:00Z') }),
      email(tenantId, 'november', { occurredAt: new Date('2026-11-02T08:00:00Z') }),
    ], NOW);

    expect(deadLetterReasons(results)).toEqual(['period_final', null]);
    expect(results[0]!.deadLetter!.detail).toContain('is final');
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox', PERIOD.start)).toBe(1);
    expect(await rowCount('usage_events', tenantId)).toBe(1);
  });

  it('dead-letters a key re-sent with other content (agent, action, resource or quantity), counts a same-content resend as a duplicate', async () => {
    const tenantId = await activeTenant();
    await trackOne(email(tenantId, 'msg-1', { idempotencyKey: 'k-1', quantity: 2 }));
    const same = await trackOne(email(tenantId, 'msg-1', { idempotencyKey: 'k-1', quantity: 2, metadata: { note: 'metadata does not count' } }));
    const otherQuantity = await trackOne(email(tenantId, 'msg-1', { idempotencyKey: 'k-1', quantity: 3 }));
    const otherResource = await trackOne(email(tenantId, 'msg-2', { idempotencyKey: 'k-1', quantity: 2 }));
    const { results: inOneBatch } = await recordUsage(tracker(), [email(tenantId, 'r', { idempotencyKey: 'k-2' }), email(tenantId, 'r', { idempotencyKey: 'k-2', quantity: 5 })], NOW);

    expect(same.outcome).toBe('duplicate');
    expect(deadLetterReasons([otherQuantity, otherResource])).toEqual(['idempotency_conflict', 'idempotency_conflict']);
    expect(deadLetterReasons(inOneBatch)).toEqual([null, 'idempotency_conflict']);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(3);
    const [stored] = await db.current.dataSource.query(
      `SELECT event, detail FROM usage_dead_letters WHERE tenant_id = $1 AND idempotency_key = 'k-1' AND event ->> 'quantity' = '3'`,
      [tenantId],
    );
    expect(stored.event).toMatchObject({ agent: 'inbox', resource_id: 'msg-1', quantity: 3 });
    expect(stored.detail).toBe('idempotency_key k-1 was already used for another event (agent inbox, action_type email_processed, resource_id msg-1, quantity 2)');
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
  it('commits the groups together, dead-lettering only the event it cannot count', async () => {
    const tenantId = await activeTenant();
    const unknown = randomUUID();
    const { groups, counters } = await tracker().track([
      valid(email(tenantId, 'a'), email(tenantId, 'b')),
      valid(email(tenantId, 'c'), email(unknown, 'x')),
      valid(email(tenantId, 'd', { quantity: 2 })),
    ]);

    expect(groups.map((group) => group.status)).toEqual(['committed', 'committed', 'committed']);
    expect(groups[1]).toMatchObject({ status: 'committed', results: [{ outcome: 'recorded' }, { tenantId: unknown, outcome: 'dead_lettered', deadLetter: { reason: 'tenant_not_found' } }] });
    expect(groups[2]).toMatchObject({ status: 'committed', results: [{ tenantId, outcome: 'recorded' }] });
    expect(counters).toEqual([expect.objectContaining({ tenantId, agent: 'inbox', previousCount: 0, count: 5 })]);
    expect(await rowCount('usage_events', tenantId)).toBe(4);
    expect(await counterValue(db.current.dataSource, tenantId, 'inbox')).toBe(5);
    expect(await deadLetters(unknown)).toHaveLength(1);
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

  it('fails every group, one statement, when the commit fails for another reason (retryable), dead letters included', async () => {
    const tenantId = await activeTenant();
    const outage = { name: 'simulated_outage', table: 'usage_events', when: `NEW.tenant_id = '${tenantId}'`, errcode: '57P01', message: 'simulated outage' };
    const { groups, counters } = await whileTriggerRaises(db.current.dataSource, outage, () =>
      tracker().track([valid(email(tenantId, 'a')), valid(email(randomUUID(), 'b')), valid(email(tenantId, 'c'))]),
    );

    expect(groups).toEqual([
      { status: 'failed', error: expect.objectContaining({ code: '57P01' }) },
      { status: 'failed', error: expect.objectContaining({ code: '57P01' }) },
      { status: 'failed', error: expect.objectContaining({ code: '57P01' }) },
    ]);
    expect(counters).toEqual([]);
    expect(await rowCount('usage_events', tenantId)).toBe(0);
  });
});
