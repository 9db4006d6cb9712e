import type { DataSource, QueryRunner } from 'typeorm';
import { counter, gauge, systemClock } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import { AGENT_TYPES } from '../domain/agent-type';
import type { AgentType } from '../domain/agent-type';
import { CounterHoldsRepository } from './counter-holds.repository';
import { RECONCILE_COUNTERS_SQL } from './reconcile-counters.sql';

/** Drift up to this ratio is treated as a lost or doubled increment and corrected. */
export const DEFAULT_DRIFT_TOLERANCE = 0.05;
const MAX_DETAILS = 1000;
// Any constant works; only one reconciliation may apply deltas at a time.
const RECONCILE_LOCK_KEY = 7_211_426_002;

export type DriftKind = 'drift' | 'missing_counter' | 'counter_without_events';
export type DriftAction = 'corrected' | 'would_correct' | 'alerted';

/** One counter whose value differs from the sum of its events. */
export interface CounterDrift {
  tenantId: string;
  agent: AgentType;
  periodStart: string;
  kind: DriftKind;
  counted: number;
  recounted: number;
  driftRatio: number;
  action: DriftAction;
}

export interface ReconciliationSummary {
  runId: string;
  dryRun: boolean;
  tenantId: string | null;
  countersChecked: number;
  countersCorrected: number;
  countersAlerted: number;
  maxDriftRatio: number;
  drifts: CounterDrift[];
}

export interface ReconcileRunOptions {
  /** Only this tenant; all tenants with a subscription when absent. */
  tenantId?: string;
  /** Detect and record, change nothing. */
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface UsageReconciliationOptions {
  logger: Logger;
  clock?: Clock;
  tolerance?: number;
  /** Tenants recounted per statement. */
  chunkSize?: number;
  /**
   * Statements in flight at once, each on its own pooled connection (default 2). A chunk's
   * tenants are nobody else's, so chunks recount and correct independently; Postgres runs each
   * statement on one core (a data-modifying statement is never parallel), so this is how a run
   * uses more than one.
   */
  concurrency?: number;
}

/** Another run holds the reconciliation lock; running both would apply the same deltas twice. */
export class ReconciliationInProgressError extends Error {
  constructor() {
    super('another reconciliation run is in progress');
    this.name = 'ReconciliationInProgressError';
  }
}

const driftRatioGauge = gauge({
  name: 'usage_counter_drift_ratio',
  help: 'Largest |counter - recount| / recount seen by the latest reconciliation run, per agent',
  labelNames: ['agent'] as const,
});
const reconciliationAlerts = counter({
  name: 'reconciliation_alerts_total',
  help: 'Counters whose drift exceeded the tolerance and were left for an operator',
  labelNames: ['agent'] as const,
});

interface DriftRow {
  tenant_id: string;
  agent: AgentType;
  period_start: string;
  counter_id: string | null;
  counted: number | string | null;
  recounted: number | string;
  ratio: number;
}

/**
 * Recomputes counters of every period that can still be billed from the event ledger (the source
 * of truth) with set-based SQL. Small drift is corrected in place; large drift is only alerted,
 * because it means something is broken that a silent fix would hide, and the counter is held
 * (not billed) until an operator resolves it. Every run is recorded.
 */
export class UsageReconciliationService {
  private readonly clock: Clock;
  private readonly tolerance: number;
  private readonly chunkSize: number;
  private readonly concurrency: number;

  constructor(
    private readonly dataSource: DataSource,
    private readonly options: UsageReconciliationOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.tolerance = options.tolerance ?? DEFAULT_DRIFT_TOLERANCE;
    this.chunkSize = options.chunkSize ?? 500;
    this.concurrency = Math.max(1, options.concurrency ?? 2);
  }

  async reconcile(run: ReconcileRunOptions = {}): Promise<ReconciliationSummary> {
    const dryRun = run.dryRun === true;
    const tenantId = run.tenantId ?? null;
    const session = this.dataSource.createQueryRunner();
    await session.connect();
    try {
      const [{ locked }] = await session.query('SELECT pg_try_advisory_lock($1) AS locked', [RECONCILE_LOCK_KEY]);
      if (!locked) throw new ReconciliationInProgressError();
      try {
        return await this.recordedRun(session, tenantId, dryRun, run.onProgress);
      } finally {
        await session.query('SELECT pg_advisory_unlock($1)', [RECONCILE_LOCK_KEY]);
      }
    } finally {
      await session.release();
    }
  }

  private async recordedRun(
    session: QueryRunner,
    tenantId: string | null,
    dryRun: boolean,
    onProgress?: (done: number, total: number) => void,
  ): Promise<ReconciliationSummary> {
    const [{ id: runId }] = await session.query(
      `INSERT INTO reconciliation_runs (started_at, status, dry_run, tenant_id) VALUES ($1, 'running', $2, $3) RETURNING id`,
      [this.clock().toISOString(), dryRun, tenantId],
    );
    try {
      const summary = await this.check(session, runId, tenantId, dryRun, onProgress);
      await session.query(
        `UPDATE reconciliation_runs
            SET finished_at = $2, status = 'succeeded', counters_checked = $3, counters_corrected = $4,
                counters_alerted = $5, max_drift_ratio = $6, details = $7
          WHERE id = $1`,
        [
          runId,
          this.clock().toISOString(),
          summary.countersChecked,
          summary.countersCorrected,
          summary.countersAlerted,
          summary.maxDriftRatio,
          JSON.stringify(summary.drifts.slice(0, MAX_DETAILS)),
        ],
      );
      this.report(summary);
      return summary;
    } catch (error) {
      await session
        .query(`UPDATE reconciliation_runs SET finished_at = $2, status = 'failed', error = $3 WHERE id = $1`, [
          runId,
          this.clock().toISOString(),
          String(error),
        ])
        .catch(() => undefined);
      throw error;
    }
  }

  private async check(
    session: QueryRunner,
    runId: string,
    tenantId: string | null,
    dryRun: boolean,
    onProgress?: (done: number, total: number) => void,
  ): Promise<ReconciliationSummary> {
    const tenants: string[] = tenantId
      ? [tenantId]
      : (await session.query(`SELECT tenant_id FROM subscriptions ORDER BY tenant_id`)).map(
          (row: { tenant_id: string }) => row.tenant_id,
        );
    const summary: ReconciliationSummary = {
      runId,
      dryRun,
      tenantId,
      countersChecked: 0,
      countersCorrected: 0,
      countersAlerted: 0,
      maxDriftRatio: 0,
      drifts: [],
    };
    onProgress?.(0, tenants.length);
    const chunks: string[][] = [];
    for (let offset = 0; offset < tenants.length; offset += this.chunkSize) chunks.push(tenants.slice(offset, offset + this.chunkSize));
    // Results are kept per chunk and summed in chunk order, so the summary (and its drift list)
    // reads the same whatever order the statements finish in.
    const results: CounterDrift[][] = new Array(chunks.length);
    let next = 0;
    let done = 0;
    let failed = false;
    const recount = async (index: number): Promise<void> => {
      const chunk = chunks[index]!;
      const [result] = await this.dataSource.query(RECONCILE_COUNTERS_SQL, [chunk, this.tolerance, dryRun, this.clock().toISOString()]);
      const corrected = new Set<string>(result.corrected);
      summary.countersChecked += Number(result.checked);
      results[index] = (result.drifts as DriftRow[]).map((row) => this.toDrift(row, corrected, dryRun));
      if (!dryRun) await this.hold(session, results[index]);
      done += chunk.length;
      onProgress?.(done, tenants.length);
    };
    const lane = async (): Promise<void> => {
      try {
        while (!failed && next < chunks.length) await recount(next++);
      } catch (error) {
        failed = true;
        throw error;
      }
    };
    // Every lane has stopped before the run ends (and its lock is released): a statement still
    // running after a failure would otherwise apply its deltas beside the next run's.
    const lanes = await Promise.allSettled(Array.from({ length: Math.min(this.concurrency, chunks.length) }, lane));
    const failure = lanes.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failure) throw failure.reason;
    for (const drift of results.flat()) {
      summary.drifts.push(drift);
      summary.maxDriftRatio = Math.max(summary.maxDriftRatio, drift.driftRatio);
      if (drift.action === 'corrected') summary.countersCorrected++;
      if (drift.action === 'alerted') summary.countersAlerted++;
    }
    return summary;
  }

  /*
   * A counter alerted on is held: billing will not use it until an operator resolves the hold
   * (`npm run usage -- holds`, `resolve-hold`). Billing a number reconciliation does not trust
   * would put a possibly wrong amount on an invoice that cannot be taken back after finalization.
   */
  private async hold(session: QueryRunner, drifts: readonly CounterDrift[]): Promise<void> {
    const alerted = drifts.filter((drift) => drift.action === 'alerted');
    await new CounterHoldsRepository(session).place(
      alerted.map((drift) => ({
        tenantId: drift.tenantId,
        agent: drift.agent,
        periodStart: new Date(drift.periodStart),
        counterCount: drift.counted,
        eventCount: drift.recounted,
        driftRatio: drift.driftRatio,
      })),
    );
  }

  private toDrift(row: DriftRow, corrected: Set<string>, dryRun: boolean): CounterDrift {
    const counted = row.counted === null ? 0 : Number(row.counted);
    const recounted = Number(row.recounted);
    const kind: DriftKind =
      row.counter_id === null ? 'missing_counter' : recounted === 0 ? 'counter_without_events' : 'drift';
    const withinTolerance = row.counter_id !== null && row.ratio <= this.tolerance;
    let action: DriftAction = 'alerted';
    if (withinTolerance) action = dryRun ? 'would_correct' : corrected.has(row.counter_id!) ? 'corrected' : 'alerted';
    return {
      tenantId: row.tenant_id,
      agent: row.agent,
      periodStart: new Date(row.period_start).toISOString(),
      kind,
      counted,
      recounted,
      driftRatio: Number(row.ratio),
      action,
    };
  }

  private report(summary: ReconciliationSummary): void {
    for (const agent of AGENT_TYPES) {
      const ratios = summary.drifts.filter((d) => d.agent === agent).map((d) => d.driftRatio);
      driftRatioGauge.set({ agent }, ratios.reduce((max, ratio) => Math.max(max, ratio), 0));
    }
    for (const drift of summary.drifts) {
      if (drift.action !== 'alerted') continue;
      reconciliationAlerts.inc({ agent: drift.agent });
      this.options.logger.error('usage counter drift above tolerance: not corrected', {
        runId: summary.runId,
        tolerance: this.tolerance,
        ...drift,
      });
    }
    this.options.logger.info('reconciliation finished', {
      runId: summary.runId,
      dryRun: summary.dryRun,
      tenantId: summary.tenantId,
      checked: summary.countersChecked,
      corrected: summary.countersCorrected,
      alerted: summary.countersAlerted,
      maxDriftRatio: summary.maxDriftRatio,
    });
  }
}
