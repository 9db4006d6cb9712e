import { createLogger } from '@metering/platform';
import { seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { UsageEventPartitions, calendarMonthOf } from '@metering/usage';
import { oldestUnsentClosedPeriodEnd } from '@metering/billing';

// Here, not in libs/usage: "unreported" is the Stripe ledger's word, as the worker wires it.
const db = useTestDatabase(4);
const logger = createLogger({ level: 'silent', json: true, service: 'test' });
// Far from the day the test database was migrated, so no month used here exists beforehand.
const NOW = new Date('2031-06-15T12:00:00Z');

/** The months of this file's dates (the migration created some months of its own day too). */
const ours = (names: string[]): string[] => names.filter((name) => /^usage_events_y20(30|31)m/.test(name));

function partitions(retentionMonths: number | null, now: Date = NOW): UsageEventPartitions {
  const ds = db.current.dataSource;
  return new UsageEventPartitions(ds, { logger, clock: () => now, partitionsAhead: 2, retentionMonths, oldestUnreportedPeriodEnd: (at) => oldestUnsentClosedPeriodEnd(ds, at) });
}

async function tenantOfJune(): Promise<string> {
  const plan = await seedPlan(db.current.dataSource);
  return (await seedTenant(db.current.dataSource, { planId: plan.id, period: calendarMonthOf(NOW), anchorDay: 1 })).tenantId;
}

/** An event and its key as COMMIT_EVENTS_SQL stores them; key = the occurred_at's date. */
async function storeEvent(tenantId: string, occurredAt: string): Promise<void> {
  const at = new Date(occurredAt);
  await db.current.dataSource.query(
    `WITH keyed AS (INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) VALUES ($1, $2, $3))
     INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
     VALUES ($1, 'inbox', 'email_processed', $2, 1, $2, $3, $4)`,
    [tenantId, `k-${occurredAt.slice(0, 10)}`, at, calendarMonthOf(at).start],
  );
}

async function eventsByPartition(tenantId: string): Promise<Record<string, number>> {
  const rows: Array<{ partition: string; n: number }> = await db.current.dataSource.query(
    `SELECT tableoid::regclass::text AS partition, count(*)::int AS n FROM usage_events WHERE tenant_id = $1 GROUP BY 1 ORDER BY 1`,
    [tenantId],
  );
  return Object.fromEntries(rows.map((r) => [r.partition, r.n]));
}

async function keys(tenantId: string): Promise<string[]> {
  const rows: Array<{ idempotency_key: string }> = await db.current.dataSource.query(
    `SELECT idempotency_key FROM usage_event_keys WHERE tenant_id = $1 ORDER BY 1`,
    [tenantId],
  );
  return rows.map((r) => r.idempotency_key);
}

async function monthlyPartitions(): Promise<string[]> {
  const rows: Array<{ name: string }> = await db.current.dataSource.query(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'usage_events'::regclass AND (c.relname LIKE 'usage_events_y2031%' OR c.relname LIKE 'usage_events_y2030%') ORDER BY 1`,
  );
  return rows.map((r) => r.name);
}

describe('usage event partitions', () => {
  it('creates the months around now and moves events that landed in the default partition into their own month, losing none', async () => {
    const tenantId = await tenantOfJune();
    await storeEvent(tenantId, '2031-06-10T08:00:00Z');
    await storeEvent(tenantId, '2031-02-03T08:00:00Z');
    expect(await eventsByPartition(tenantId)).toEqual({ usage_events_default: 2 });

    const summary = await partitions(null).maintain();

    expect(summary).toEqual({
      created: ['usage_events_y2031m02', 'usage_events_y2031m05', 'usage_events_y2031m06', 'usage_events_y2031m07', 'usage_events_y2031m08'],
      movedFromDefault: 2,
      dropped: [],
      neededSince: null,
    });
    expect(await eventsByPartition(tenantId)).toEqual({ usage_events_y2031m02: 1, usage_events_y2031m06: 1 });
    // A key still finds its event, now in another partition.
    const [found] = await db.current.dataSource.query(
      `SELECT e.resource_id FROM usage_event_keys k
         JOIN usage_events e ON e.tenant_id = k.tenant_id AND e.occurred_at = k.occurred_at AND e.idempotency_key = k.idempotency_key
        WHERE k.tenant_id = $1 AND k.idempotency_key = 'k-2031-02-03'`,
      [tenantId],
    );
    expect(found).toEqual({ resource_id: 'k-2031-02-03' });
    // Again: nothing to do.
    expect((await partitions(null).maintain()).created).toEqual([]);
  });

  it('drops whole months past the retention with their keys, never a month an unreported or held period needs', async () => {
    const tenantId = await tenantOfJune();
    for (const day of ['2030-12-10', '2031-01-10', '2031-02-10', '2031-03-10']) await storeEvent(tenantId, `${day}T08:00:00Z`);
    await partitions(null).maintain();
    // January's overage is not sent yet: a pending ledger row.
    await db.current.dataSource.query(
      `INSERT INTO stripe_usage_reports (tenant_id, agent, period_start, period_end, cumulative_quantity, delta, identifier, event_timestamp, status)
       VALUES ($1, 'inbox', '2031-01-01Z', '2031-02-01Z', 5, 5, 'retention-test-jan', '2031-01-31T23:59:59Z', 'pending')`,
      [tenantId],
    );
    // February's counter is held: resolving the hold recounts February's events.
    await db.current.dataSource.query(
      `INSERT INTO usage_counter_holds (tenant_id, agent, period_start, counter_count, event_count, drift_ratio) VALUES ($1, 'inbox', '2031-02-01Z', 9, 1, 8)`,
      [tenantId],
    );

    // Retention 3 months in June: December to February have expired; only December is free.
    const first = await partitions(3).maintain();
    expect(ours(first.dropped)).toEqual(['usage_events_y2030m12']);
    expect(first.neededSince).toBe('2031-01-01T00:00:00.000Z');
    expect(await eventsByPartition(tenantId)).toEqual({ usage_events_y2031m01: 1, usage_events_y2031m02: 1, usage_events_y2031m03: 1 });
    expect(await keys(tenantId)).toEqual(['k-2031-01-10', 'k-2031-02-10', 'k-2031-03-10']);

    await db.current.dataSource.query(`UPDATE stripe_usage_reports SET status = 'sent', sent_at = now() WHERE identifier = 'retention-test-jan'`);
    expect(ours((await partitions(3).maintain()).dropped)).toEqual(['usage_events_y2031m01']);

    await db.current.dataSource.query(`UPDATE usage_counter_holds SET resolved_at = now(), resolution = 'accepted' WHERE tenant_id = $1`, [tenantId]);
    const last = await partitions(3).maintain();
    // March is inside the retention; the months ahead and the default partition are never dropped.
    expect(ours(last.dropped)).toEqual(['usage_events_y2031m02']);
    expect(await eventsByPartition(tenantId)).toEqual({ usage_events_y2031m03: 1 });
    expect(await keys(tenantId)).toEqual(['k-2031-03-10']);
    expect(await monthlyPartitions()).toEqual([
      'usage_events_y2031m03', 'usage_events_y2031m05', 'usage_events_y2031m06', 'usage_events_y2031m07', 'usage_events_y2031m08',
    ]);
  });

  it('keeps every month of an open period, however short the retention', async () => {
    const tenantId = await tenantOfJune();
    const later = new Date('2031-09-15T00:00:00Z');
    // The tenant's subscription still sits in June (not rolled over): June is open.
    await storeEvent(tenantId, '2031-06-20T08:00:00Z');
    const summary = await partitions(1, later).maintain();

    expect(summary.neededSince).toBe('2031-06-01T00:00:00.000Z');
    expect(summary.dropped).not.toContain('usage_events_y2031m06');
    expect(await eventsByPartition(tenantId)).toEqual({ usage_events_y2031m06: 1 });
  });
});
