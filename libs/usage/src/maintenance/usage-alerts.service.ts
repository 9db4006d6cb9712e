import type { DataSource } from 'typeorm';
import { counter } from '@metering/platform';
import type { Logger, PlanLimitsConfig } from '@metering/platform';
import type { AgentType } from '../domain/agent-type';
import type { PlanLimits } from '../entities/plan.entity';
import type { AlertLevel } from '../entities/usage-threshold-alert.entity';
import { ERROR_PERCENT, WARNING_PERCENT, limitFor } from '../stats/usage-stats.calculator';
import { TtlBatchCache } from '../support/ttl-batch-cache';
import type { CounterChange } from '../tracking/usage-tracker.service';

/** An alert row this call inserted (a level crossed for the first time in its period). */
export interface NewUsageAlert {
  id: string;
  tenantId: string;
  agent: AgentType;
  periodStart: Date;
  level: AlertLevel;
  thresholdPercent: number;
  countAtAlert: number;
  limitAtAlert: number;
}

export interface UsageAlertsServiceOptions {
  /** Limits of a trial subscription without a plan. */
  trialLimits: PlanLimitsConfig;
  logger: Logger;
  /**
   * How long a tenant's limits are reused before being read again (default 30 s; 0 = every
   * commit). Saves a round trip per commit on the hot path; a plan change reaches alerting
   * within this time.
   */
  limitsCacheMs?: number;
}

const alertsTotal = counter({
  name: 'usage_alerts_total',
  help: 'Usage alerts raised (first crossing of 80% / 100%, or a forecast reaching 100%, per tenant, agent and period)',
  labelNames: ['agent', 'level'] as const,
});

const LEVELS: ReadonlyArray<{ level: AlertLevel; percent: number }> = [
  { level: 'warning', percent: WARNING_PERCENT },
  { level: 'error', percent: ERROR_PERCENT },
];

/**
 * The levels `count` has reached against `limit`, in exact integer arithmetic. A zero limit has
 * no meaningful 80%: any usage is over it, so only `error` applies (as on the billing page).
 */
export function alertLevelsReached(count: number, limit: number | null): AlertLevel[] {
  if (limit === null) return [];
  if (limit === 0) return count > 0 ? ['error'] : [];
  return LEVELS.filter(({ percent }) => count * 100 >= limit * percent).map(({ level }) => level);
}

const LIMITS_SQL = `
SELECT s.tenant_id, s.plan_id IS NULL AS trial, p.limits
  FROM subscriptions s LEFT JOIN plans p ON p.id = s.plan_id
 WHERE s.tenant_id = ANY($1::uuid[])`;

// Batched: one statement per commit; the unique key makes each level fire once per period.
const INSERT_ALERTS_SQL = `
INSERT INTO usage_alerts (tenant_id, agent, period_start, level, threshold_percent, count_at_alert, limit_at_alert)
SELECT * FROM unnest($1::uuid[], $2::varchar[], $3::timestamptz[], $4::varchar[], $5::smallint[], $6::bigint[], $7::bigint[])
ON CONFLICT (tenant_id, agent, period_start, level) DO NOTHING
RETURNING id, tenant_id, agent, period_start, level, threshold_percent, count_at_alert, limit_at_alert`;

const MARK_PUBLISHED_SQL = `UPDATE usage_alerts SET published_at = now() WHERE id = ANY($1::uuid[]) AND published_at IS NULL`;

const UNPUBLISHED_SQL = `
SELECT id, tenant_id, agent, period_start, level, threshold_percent, count_at_alert, limit_at_alert
  FROM usage_alerts
 WHERE published_at IS NULL AND created_at <= now() - make_interval(secs => $1::int / 1000.0)
 ORDER BY created_at
 LIMIT $2`;

interface AlertRow {
  id: string;
  tenant_id: string;
  agent: AgentType;
  period_start: Date;
  level: AlertLevel;
  threshold_percent: number;
  count_at_alert: string;
  limit_at_alert: string;
}

/** Alert keys this process knows are stored; past this many it forgets them all (one no-op insert each). */
const MAX_KNOWN_ALERTS = 100_000;

/**
 * Turns counter movements into threshold alerts: when a commit moves a counter to 80% or 100% of
 * its limit, one `usage_alerts` row is written per (tenant, agent, period, level).
 *
 * A level counts as raised only once its row is known to be stored, not when a commit first
 * crosses it: if the insert fails, or the worker dies between the events' commit and the alert's
 * insert (the retried job then finds its events already counted and moves nothing), the next
 * commit that moves the counter raises the alert. The unique key keeps that to one row per
 * level, and only an inserted row is returned, so a level is notified once.
 */
export class UsageAlertsService {
  private readonly limitsCache: TtlBatchCache<PlanLimits>;
  private readonly knownStored = new Set<string>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageAlertsServiceOptions,
  ) {
    this.limitsCache = new TtlBatchCache(options.limitsCacheMs ?? 30_000);
  }

  /**
   * Records the alerts of the levels that `changes` (one commit's counters) have reached and that
   * are not yet known to be stored. Limits are read with one query for the whole commit. Returns
   * only rows inserted now, so callers notify once. When it throws, nothing is remembered as
   * stored: the next commit that moves one of these counters tries again.
   */
  async recordCrossings(changes: readonly CounterChange[]): Promise<NewUsageAlert[]> {
    const moved = changes.filter((change) => change.count > change.previousCount);
    if (moved.length === 0) return [];
    const limits = await this.loadLimits([...new Set(moved.map((change) => change.tenantId))]);
    const candidates: Array<CounterChange & { level: AlertLevel; limit: number; key: string }> = [];
    for (const change of moved) {
      const tenantLimits = limits.get(change.tenantId);
      if (!tenantLimits) continue;
      const limit = limitFor(tenantLimits, change.agent);
      for (const level of alertLevelsReached(change.count, limit)) {
        const key = `${change.tenantId}|${change.agent}|${change.periodStart.getTime()}|${level}`;
        if (!this.knownStored.has(key)) candidates.push({ ...change, level, limit: limit!, key });
      }
    }
    if (candidates.length === 0) return [];
    const rows: AlertRow[] = await this.dataSource.query(INSERT_ALERTS_SQL, [
      candidates.map((c) => c.tenantId),
      candidates.map((c) => c.agent),
      candidates.map((c) => c.periodStart.toISOString()),
      candidates.map((c) => c.level),
      candidates.map((c) => (c.level === 'error' ? ERROR_PERCENT : WARNING_PERCENT)),
      candidates.map((c) => c.count),
      candidates.map((c) => c.limit),
    ]);
    // Inserted now or already there: either way stored, so later commits skip the round trip.
    if (this.knownStored.size + candidates.length > MAX_KNOWN_ALERTS) this.knownStored.clear();
    for (const candidate of candidates) this.knownStored.add(candidate.key);
    const alerts = rows.map(toNewUsageAlert);
    for (const alert of alerts) {
      alertsTotal.inc({ agent: alert.agent, level: alert.level });
      this.options.logger.info('usage alert raised', {
        tenantId: alert.tenantId,
        agent: alert.agent,
        level: alert.level,
        count: alert.countAtAlert,
        limit: alert.limitAtAlert,
      });
    }
    return alerts;
  }

  /**
   * Records `forecast` alerts (the usage read found the forecast reaching 100% this period) once
   * per (tenant, agent, period): the unique key drops repeats, and keys known to be stored are not
   * sent again. The outbox job hands new rows to the `usage-alerts` queue like threshold alerts.
   */
  async recordForecasts(forecasts: ReadonlyArray<{ tenantId: string; agent: AgentType; periodStart: Date; count: number; limit: number }>): Promise<number> {
    const candidates = forecasts
      .map((f) => ({ ...f, key: `${f.tenantId}|${f.agent}|${f.periodStart.getTime()}|forecast` }))
      .filter((f) => !this.knownStored.has(f.key));
    if (candidates.length === 0) return 0;
    const rows: AlertRow[] = await this.dataSource.query(INSERT_ALERTS_SQL, [
      candidates.map((c) => c.tenantId),
      candidates.map((c) => c.agent),
      candidates.map((c) => c.periodStart.toISOString()),
      candidates.map(() => 'forecast'),
      candidates.map(() => ERROR_PERCENT),
      candidates.map((c) => c.count),
      candidates.map((c) => c.limit),
    ]);
    if (this.knownStored.size + candidates.length > MAX_KNOWN_ALERTS) this.knownStored.clear();
    for (const candidate of candidates) this.knownStored.add(candidate.key);
    for (const row of rows) alertsTotal.inc({ agent: row.agent, level: 'forecast' });
    return rows.length;
  }

  /** Records that these alerts were handed to the `usage-alerts` queue. */
  async markPublished(alertIds: readonly string[]): Promise<void> {
    if (alertIds.length === 0) return;
    await this.dataSource.query(MARK_PUBLISHED_SQL, [alertIds]);
  }

  /**
   * Alerts written at least `olderThanMs` ago and never handed to the queue (the enqueue failed, or
   * the worker died in between), oldest first. The delay leaves alone the ones a commit is
   * handing over right now.
   */
  async unpublished(olderThanMs: number, limit: number): Promise<NewUsageAlert[]> {
    const rows: AlertRow[] = await this.dataSource.query(UNPUBLISHED_SQL, [olderThanMs, limit]);
    return rows.map(toNewUsageAlert);
  }

  private loadLimits(tenantIds: string[]): Promise<Map<string, PlanLimits>> {
    return this.limitsCache.getMany(tenantIds, Date.now(), async (missing) => {
      const rows: Array<{ tenant_id: string; trial: boolean; limits: PlanLimits | null }> = await this.dataSource.query(
        LIMITS_SQL,
        [missing],
      );
      return new Map(rows.map((row) => [row.tenant_id, row.trial ? this.options.trialLimits : (row.limits ?? {})]));
    });
  }
}

function toNewUsageAlert(row: AlertRow): NewUsageAlert {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    agent: row.agent,
    periodStart: new Date(row.period_start),
    level: row.level,
    thresholdPercent: Number(row.threshold_percent),
    countAtAlert: Number(row.count_at_alert),
    limitAtAlert: Number(row.limit_at_alert),
  };
}
