import { createLogger } from '@metering/platform';
import { seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { UsageEventPartitions, UsageEventsService, calendarMonthOf, parseEventsQuery } from '@metering/usage';
import type { EventsCursor } from '@metering/usage';

const db = useTestDatabase(4);
const logger = createLogger({ level: 'silent', json: true, service: 'test' });

describe('UsageEventsService pages across monthly partitions', () => {
  it('returns every event newest first, page by page, across months, gaps and the default partition', async () => {
    const ds = db.current.dataSource;
    const plan = await seedPlan(ds);
    const { tenantId } = await seedTenant(ds, { planId: plan.id });
    // May and June 2031 get partitions; December 2030 and March 2031 stay in the default partition.
    await new UsageEventPartitions(ds, { logger, clock: () => new Date('2031-06-15Z'), partitionsAhead: 0, retentionMonths: null, oldestUnreportedPeriodEnd: async () => null }).ensureMonths([
      new Date('2031-05-01Z'),
      new Date('2031-06-01Z'),
    ]);
    const times = ['2031-06-12T00:00:00Z', '2031-06-10T00:00:00Z', '2031-05-20T00:00:00Z', '2031-03-01T00:00:00Z', '2030-12-31T23:00:00Z'];
    for (const [i, at] of times.entries()) {
      await ds.query(
        `WITH keyed AS (INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) VALUES ($1, $2, $3))
         INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
         VALUES ($1, 'inbox', 'email_processed', $2, 1, $2, $3, $4)`,
        [tenantId, `k-${i}`, new Date(at), calendarMonthOf(new Date(at)).start],
      );
    }
    const service = new UsageEventsService(ds);
    const selection = { to: new Date('2031-07-01Z') };

    const seen: string[] = [];
    let cursor: EventsCursor | null = null;
    for (let pages = 0; pages < 5; pages++) {
      const page = await service.page(tenantId, selection, cursor, 2);
      seen.push(...page.data.map((e) => e.occurred_at));
      if (!page.next_cursor) break;
      cursor = parseEventsQuery({ cursor: page.next_cursor }).cursor;
    }

    expect(seen).toEqual(times.map((t) => new Date(t).toISOString()));
    const streamed = [];
    for await (const rows of service.stream(tenantId, {})) streamed.push(...rows.map((e) => e.idempotency_key));
    expect(streamed).toEqual(['k-0', 'k-1', 'k-2', 'k-3', 'k-4']);
  });
});
