import type { DataSource, EntityManager } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';

const DEFAULT_PARTITION = 'usage_events_default';
const MONTHLY = /^usage_events_y(\d{4})m(\d{2})$/;
// A period is at most a calendar month: a period ending at E began at E - 31 days or later.
const LONGEST_PERIOD_MS = 31 * 86_400_000;

/** What one maintenance run did. */
export interface PartitionMaintenanceSummary {
  /** Monthly partitions created (ahead of time, or for events found in the default partition). */
  created: string[];
  /** Events moved out of the default partition into the monthly ones just created. */
  movedFromDefault: number;
  /** Monthly partitions dropped by the retention, with their events and keys. */
  dropped: string[];
  /** Start of the oldest period still needed: no month from here on is dropped. Null without retention. */
  neededSince: string | null;
}

export interface UsageEventPartitionsOptions {
  logger: Logger;
  clock?: Clock;
  /** Months created ahead of the current one (USAGE_EVENTS_PARTITIONS_AHEAD). */
  partitionsAhead: number;
  /** USAGE_EVENTS_RETENTION_MONTHS; null keeps every month. */
  retentionMonths: number | null;
  /**
   * End of the oldest closed period whose overage Stripe does not have yet (libs/billing's
   * oldestUnsentClosedPeriodEnd), null when every closed period is sent.
   */
  oldestUnreportedPeriodEnd(now: Date): Promise<Date | null>;
  /** How long a DDL statement waits for its lock before the run fails (and is retried). */
  lockTimeoutMs?: number;
}

const monthStart = (at: Date): Date => new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1));
const addMonths = (month: Date, months: number): Date => new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + months, 1));
const partitionName = (month: Date): string => `usage_events_y${month.getUTCFullYear()}m${String(month.getUTCMonth() + 1).padStart(2, '0')}`;

/**
 * Keeps the monthly partitions of usage_events (migration 1765200000000):
 * 1. every month from the previous one to `partitionsAhead` months ahead exists, so events land in
 *    their month, not in the default partition;
 * 2. events that did land in the default partition (the job did not run for months, or an event
 *    of a month never created) move into a partition of their own month -- the default partition
 *    only guarantees that no event is ever refused, it is not a place to keep them;
 * 3. with a retention, months that ended more than `retentionMonths` months before the current
 *    month began are dropped (events and their keys) -- but never a month holding events of a
 *    period still needed: open, in reconciliation's and Stripe's 66-day window, with an open
 *    counter hold, or with overage not yet sent to Stripe. An event lies inside its period, so a
 *    month that ends before the oldest needed period starts holds none of its events.
 * DDL takes short locks only (ATTACH: SHARE UPDATE EXCLUSIVE on usage_events; DROP: ACCESS
 * EXCLUSIVE for an instant), each bounded by `lockTimeoutMs`.
 */
export class UsageEventPartitions {
  private readonly clock: Clock;
  private readonly lockTimeoutMs: number;

  constructor(
    private readonly db: DataSource,
    private readonly options: UsageEventPartitionsOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.lockTimeoutMs = options.lockTimeoutMs ?? 10_000;
  }

  async maintain(): Promise<PartitionMaintenanceSummary> {
    const now = this.clock();
    const wanted: Date[] = [];
    for (let i = -1; i <= this.options.partitionsAhead; i++) wanted.push(addMonths(monthStart(now), i));
    const { created, movedFromDefault } = await this.ensureMonths([...wanted, ...(await this.monthsInDefault())]);
    const existing = await this.monthlyPartitions();
    if (movedFromDefault > 0) {
      this.options.logger.warn('usage events moved out of the default partition', { moved: movedFromDefault, created });
    }
    const { dropped, neededSince } = await this.applyRetention(now, existing);
    const summary = { created, movedFromDefault, dropped, neededSince: neededSince?.toISOString() ?? null };
    this.options.logger.info('usage event partitions maintained', { ...summary });
    return summary;
  }

  /**
   * Creates the partitions of the UTC months containing `months` that do not exist yet, moving
   * their events out of the default partition. Returns the partitions created, in month order.
   */
  async ensureMonths(months: readonly Date[]): Promise<{ created: string[]; movedFromDefault: number }> {
    const existing = await this.monthlyPartitions();
    const wanted = [...new Set(months.map((month) => monthStart(month).getTime()))].sort((a, b) => a - b);
    const created: string[] = [];
    let movedFromDefault = 0;
    for (const time of wanted) {
      if (existing.has(time)) continue;
      movedFromDefault += await this.createMonth(new Date(time));
      created.push(partitionName(new Date(time)));
    }
    return { created, movedFromDefault };
  }

  /** Monthly partitions by the start of their month (ms). */
  private async monthlyPartitions(): Promise<Map<number, string>> {
    const rows: Array<{ name: string }> = await this.db.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'usage_events'::regclass`,
    );
    const months = new Map<number, string>();
    for (const { name } of rows) {
      const match = MONTHLY.exec(name);
      if (match) months.set(Date.UTC(Number(match[1]), Number(match[2]) - 1, 1), name);
    }
    return months;
  }

  private async monthsInDefault(): Promise<Date[]> {
    const rows: Array<{ month: string }> = await this.db.query(
      `SELECT DISTINCT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month FROM ${DEFAULT_PARTITION}`,
    );
    return rows.map(({ month }) => new Date(`${month}-01T00:00:00Z`));
  }

  /**
   * Creates the month as a plain table, moves its events out of the default partition into it,
   * and attaches it, in one transaction: inserts routed to the default partition wait meanwhile
   * (usually an instant: the default partition is empty), all others go on.
   */
  private async createMonth(month: Date): Promise<number> {
    const name = partitionName(month);
    const [from, to] = [month.toISOString(), addMonths(month, 1).toISOString()];
    return this.db.transaction(async (manager) => {
      await this.boundLockWaits(manager);
      await manager.query(`LOCK TABLE ${DEFAULT_PARTITION} IN SHARE ROW EXCLUSIVE MODE`);
      await manager.query(`CREATE TABLE ${name} (LIKE usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
      const [{ moved }] = await manager.query(
        `WITH moved AS (DELETE FROM ${DEFAULT_PARTITION} WHERE occurred_at >= $1 AND occurred_at < $2 RETURNING *),
              copied AS (INSERT INTO ${name} SELECT * FROM moved RETURNING 1)
         SELECT count(*)::int AS moved FROM copied`,
        [from, to],
      );
      await manager.query(`ALTER TABLE usage_events ATTACH PARTITION ${name} FOR VALUES FROM ('${from}') TO ('${to}')`);
      return moved as number;
    });
  }

  private async applyRetention(now: Date, existing: ReadonlyMap<number, string>): Promise<{ dropped: string[]; neededSince: Date | null }> {
    if (this.options.retentionMonths === null) return { dropped: [], neededSince: null };
    const neededSince = await this.oldestNeededPeriodStart(now);
    const cutoff = Math.min(addMonths(monthStart(now), -this.options.retentionMonths).getTime(), neededSince.getTime());
    const dropped: string[] = [];
    for (const [time, name] of [...existing].sort(([a], [b]) => a - b)) {
      if (addMonths(new Date(time), 1).getTime() > cutoff) break;
      await this.dropMonth(name);
      dropped.push(name);
    }
    return { dropped, neededSince };
  }

  /** The start of the oldest period whose events something still reads. */
  private async oldestNeededPeriodStart(now: Date): Promise<Date> {
    const [row] = await this.db.query(
      `SELECT least(
                $1::timestamptz - interval '66 days',
                (SELECT min(period_start) FROM usage_counters WHERE period_end > $1),
                (SELECT min(current_period_start) FROM subscriptions WHERE status <> 'canceled'),
                (SELECT min(period_start) FROM usage_counter_holds WHERE resolved_at IS NULL)) AS since`,
      [now],
    );
    const unreportedEnd = await this.options.oldestUnreportedPeriodEnd(now);
    const since = (row.since as Date).getTime();
    return new Date(unreportedEnd ? Math.min(since, unreportedEnd.getTime() - LONGEST_PERIOD_MS) : since);
  }

  /** Deletes the month's keys (found through its own rows: no index on the keys' occurred_at), then the month. */
  private async dropMonth(name: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      await manager.query(
        `DELETE FROM usage_event_keys k USING ${name} e
          WHERE k.tenant_id = e.tenant_id AND k.idempotency_key = e.idempotency_key AND k.occurred_at = e.occurred_at`,
      );
      await this.boundLockWaits(manager);
      await manager.query(`DROP TABLE ${name}`);
    });
  }

  private async boundLockWaits(manager: EntityManager): Promise<void> {
    await manager.query(`SET LOCAL lock_timeout = ${Math.floor(this.lockTimeoutMs)}`);
  }
}
