import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import { AGENT_TYPES } from '../domain/agent-type';
import { nextPeriod } from '../domain/billing-period';
import type { BillingPeriod } from '../domain/billing-period';

export interface UsageRolloverOptions {
  logger: Logger;
  clock?: Clock;
  /** Subscriptions rolled per statement. */
  pageSize?: number;
}

export interface RolloverRunOptions {
  /** Called after each page with subscriptions done and the total due when the run started. */
  onProgress?: (done: number, total: number) => void;
}

/** What one roll-over run changed. A second run at the same instant reports zeros. */
export interface RolloverSummary {
  /** Subscriptions whose current period ended and now start a new one. */
  subscriptionsRolled: number;
  /** Periods stepped over in total (more than one when the job did not run for a while). */
  periodsAdvanced: number;
  /** Zeroed counters created for new periods (counters already holding events are kept). */
  countersCreated: number;
}

interface DueRow {
  id: string;
  current_period_start: Date;
  current_period_end: Date;
  billing_anchor_day: number;
}

const DUE_FILTER = `status <> 'canceled' AND current_period_end <= $1`;

/*
 * Roll and seed in one statement per page. The `current_period_end = old_end` guard makes a
 * concurrent run (CLI beside the schedule, two workers) a no-op for rows already rolled.
 * Counters are only ever inserted: history is kept, and a counter that events created before
 * the roll-over keeps its count. The new period's terms are copied from the plan now; the closed
 * period keeps the terms it opened with (written only if it has none, e.g. opened before terms existed).
 */
const ROLL_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::timestamptz[], $6::timestamptz[])
    AS t(id, old_end, new_start, new_end, old_start)
), rolled AS (
  UPDATE subscriptions s
     SET current_period_start = i.new_start, current_period_end = i.new_end, updated_at = now()
    FROM input i
   WHERE s.id = i.id AND s.current_period_end = i.old_end
  RETURNING s.tenant_id, s.plan_id, i.old_start, i.old_end, i.new_start, i.new_end
), created AS (
  INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count)
  SELECT r.tenant_id, a.agent, r.new_start, r.new_end, 0
    FROM rolled r CROSS JOIN unnest($5::varchar[]) AS a(agent)
   ORDER BY r.tenant_id, a.agent
  ON CONFLICT (tenant_id, agent, period_start) DO NOTHING
  RETURNING 1
), terms AS (
  INSERT INTO billing_period_terms (tenant_id, period_start, period_end, plan_id, limits, overage_unit_cents, meter_event_names)
  SELECT r.tenant_id, x.period_start, x.period_end, p.id, p.limits, p.overage_unit_cents, p.meter_event_names
    FROM rolled r
    JOIN plans p ON p.id = r.plan_id
    CROSS JOIN LATERAL (VALUES (r.old_start, r.old_end), (r.new_start, r.new_end)) AS x(period_start, period_end)
  ON CONFLICT (tenant_id, period_start) DO NOTHING
)
SELECT (SELECT count(*) FROM rolled)::int AS rolled, (SELECT count(*) FROM created)::int AS created`;

/**
 * Moves subscriptions whose billing period has ended into the period that contains "now"
 * (anchor day kept, clamped to short months) and creates zeroed counters for it. Idempotent.
 */
export class UsageRolloverService {
  private readonly clock: Clock;
  private readonly pageSize: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageRolloverOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.pageSize = options.pageSize ?? 500;
  }

  async rollOver(run: RolloverRunOptions = {}): Promise<RolloverSummary> {
    const now = this.clock();
    const [{ total }] = await this.dataSource.query(
      `SELECT count(*)::int AS total FROM subscriptions WHERE ${DUE_FILTER}`,
      [now.toISOString()],
    );
    const summary: RolloverSummary = { subscriptionsRolled: 0, periodsAdvanced: 0, countersCreated: 0 };
    run.onProgress?.(0, total);
    let afterId = '00000000-0000-0000-0000-000000000000';
    let done = 0;
    for (;;) {
      const due: DueRow[] = await this.dataSource.query(
        `SELECT id, current_period_start, current_period_end, billing_anchor_day
           FROM subscriptions WHERE ${DUE_FILTER} AND id > $2 ORDER BY id LIMIT $3`,
        [now.toISOString(), afterId, this.pageSize],
      );
      if (due.length === 0) break;
      afterId = due[due.length - 1]!.id;
      const next = due.map((row) => this.periodContainingNow(row, now));
      const [result] = await this.dataSource.query(ROLL_SQL, [
        due.map((row) => row.id),
        due.map((row) => row.current_period_end.toISOString()),
        next.map(({ period }) => period.start.toISOString()),
        next.map(({ period }) => period.end.toISOString()),
        AGENT_TYPES,
        due.map((row) => row.current_period_start.toISOString()),
      ]);
      summary.subscriptionsRolled += Number(result.rolled);
      summary.countersCreated += Number(result.created);
      summary.periodsAdvanced += next.reduce((sum, { steps }) => sum + steps, 0);
      done += due.length;
      run.onProgress?.(Math.min(done, total), total);
    }
    this.options.logger.info('usage counters rolled over', { at: now.toISOString(), ...summary });
    return summary;
  }

  /** Steps period by period (never jumps), so every period matches what the tracker computes. */
  private periodContainingNow(row: DueRow, now: Date): { period: BillingPeriod; steps: number } {
    let period: BillingPeriod = { start: row.current_period_start, end: row.current_period_end };
    let steps = 0;
    while (period.end.getTime() <= now.getTime()) {
      period = nextPeriod(period, row.billing_anchor_day);
      steps++;
    }
    return { period, steps };
  }
}
