import type { DataSource } from 'typeorm';
import { systemClock } from '@metering/platform';
import type { Clock, Logger, RedisClient, StripeReportingConfig } from '@metering/platform';
import { BillingCreditsRepository } from '../credits/billing-credits.repository';
import { StripeTotalsReconciler } from '../reconciliation/stripe-totals.reconciler';
import type { StripeReconcileResult } from '../reconciliation/stripe-totals.reconciler';
import { billingOperatorAlertsTotal, stripeReportsTotal } from '../metrics/billing-metrics';
import { RedisCircuitBreaker } from '../resilience/redis-circuit-breaker';
import type { CircuitState } from '../resilience/redis-circuit-breaker';
import { RequestRateLimiter } from '../resilience/request-rate-limiter';
import type { StripeClient } from '../stripe/stripe-client.factory';
import { findOverageCandidates } from './overage-candidates.query';
import type { OverageCandidate } from './overage-candidates.query';
import { OverageCorrectionPlanner } from './overage-correction.planner';
import { lineFor, unreportableReason } from './overage-report-line';
import type { OverageReportLine, ReportAction } from './overage-report-line';
import { PendingReportDispatcher } from './pending-report.dispatcher';
import { meterEventTimestamp, overageReportIdentifier } from './report-identifier';
import { UsageLedgerRepository } from './usage-ledger.repository';
import type { NewReport, PendingReport } from './usage-ledger.repository';
import { UsageReportSender } from './usage-report.sender';
import { oldestUnsentClosedPeriodEnd } from './unsent-closed-periods.query';

// Any constant, the same in every process: only one reporting run at a time per database.
const REPORT_LOCK_KEY = 7_211_426_005;
const STALE_PENDING_MS = 20 * 3_600_000;

export interface OverageReporterDeps {
  dataSource: DataSource;
  /** Null when STRIPE_SECRET_KEY is not set: runs are then disabled (a dry run still works). */
  stripe: StripeClient | null;
  /** Holds the circuit breaker's shared state; only needed when `stripe` is set. */
  redis: RedisClient | null;
  config: StripeReportingConfig['stripe'];
  /** INVOICE_GRACE_SECONDS: after it, a period's invoice is final and a correction becomes a credit. */
  invoiceGraceSeconds: number;
  /** Redis key prefix of the breaker, shared by all processes, e.g. `{metering}:stripe`. */
  keyPrefix: string;
  logger: Logger;
  clock?: Clock;
  /** Retry backoff; small values let tests retry without waiting. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

export interface OverageRunOptions {
  dryRun?: boolean;
  tenantId?: string;
  /** Only periods that have ended (the close job): their final overage, and late deltas. */
  closedPeriodsOnly?: boolean;
  /**
   * How long to wait for another run's lock before answering `busy` (default 60 s). The close job
   * runs every minute and passes 0: it simply skips a minute. The daily report and the CLI wait,
   * so a close-job run that happens to hold the lock at the same instant never makes them skip.
   */
  lockWaitMs?: number;
}

const DEFAULT_LOCK_WAIT_MS = 60_000;
const LOCK_POLL_MS = 250;

export interface OverageRunResult {
  /** `disabled`: no Stripe key; `busy`: another run holds the lock; `circuit_open`: stopped early. */
  status: 'completed' | 'disabled' | 'busy' | 'circuit_open';
  dryRun: boolean;
  circuit: CircuitState | null;
  lines: OverageReportLine[];
  totals: Partial<Record<ReportAction, number>>;
}

/**
 * Bills overage through Stripe exactly as the ledger shows: per (tenant, agent, period) it writes a
 * pending ledger row for the delta between the overage and what the ledger has, then sends every
 * pending row (older ones first) and marks it sent. See README "Stripe billing".
 */
export class OverageReporter {
  private readonly ledger: UsageLedgerRepository;
  private readonly clock: Clock;
  private readonly breaker: RedisCircuitBreaker | null;
  private readonly dispatcher: PendingReportDispatcher | null;
  private readonly sender: UsageReportSender | null;
  private readonly credits: BillingCreditsRepository;

  constructor(private readonly deps: OverageReporterDeps) {
    this.ledger = new UsageLedgerRepository(deps.dataSource);
    this.credits = new BillingCreditsRepository(deps.dataSource);
    this.clock = deps.clock ?? systemClock;
    const { config, logger } = deps;
    if (deps.stripe && deps.redis) {
      this.breaker = new RedisCircuitBreaker({
        redis: deps.redis,
        keyPrefix: deps.keyPrefix,
        threshold: config.breakerThreshold,
        openMs: config.breakerOpenMs,
        clock: this.clock,
        logger,
        trialLeaseMs: config.timeoutMs * config.maxAttempts + 5000,
      });
      const sender = (this.sender = new UsageReportSender(deps.stripe, this.breaker, new RequestRateLimiter(config.maxRequestsPerSecond), {
        usageApi: config.usageApi,
        maxAttempts: config.maxAttempts,
        backoffInitialMs: deps.backoffInitialMs ?? 500,
        backoffMaxMs: deps.backoffMaxMs ?? 30_000,
      }, logger));
      this.dispatcher = new PendingReportDispatcher(this.ledger, sender, this.breaker, {
        usageApi: config.usageApi,
        concurrency: config.concurrency,
        clock: this.clock,
        logger,
      });
    } else {
      this.breaker = null;
      this.dispatcher = null;
      this.sender = null;
    }
  }

  /** True when a Stripe key is configured. */
  get enabled(): boolean {
    return this.dispatcher !== null;
  }

  async run(options: OverageRunOptions = {}): Promise<OverageRunResult> {
    const dryRun = options.dryRun ?? false;
    if (dryRun) return this.preview(options);
    const { dispatcher, breaker } = this;
    if (!dispatcher || !breaker) {
      this.deps.logger.warn('Stripe overage reporting is disabled: STRIPE_SECRET_KEY is not set; nothing was sent');
      return result('disabled', false, null, []);
    }
    const outcome = await this.underReportLock(options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, async () => {
      const lines = await this.writeLedger(options);
      const pending = await this.ledger.findPending(options.tenantId);
      this.warnAboutStalePending(pending);
      const dispatched = await dispatcher.dispatch(pending);
      const { state } = await breaker.state();
      const done = result(dispatched.circuitOpen ? 'circuit_open' : 'completed', false, state, [...lines, ...dispatched.lines]);
      this.deps.logger.info(`Overage report finished: ${JSON.stringify(done.totals)} (circuit ${state})`);
      return done;
    });
    if (outcome === 'busy') this.deps.logger.info('Overage report skipped: another run is in progress');
    return outcome === 'busy' ? result('busy', false, null, []) : outcome;
  }

  /**
   * Compares Stripe's meter event summaries with the ledger (StripeTotalsReconciler), under the
   * reporting lock, so it never reads a period while a report is changing it.
   */
  async reconcileWithStripe(options: { tenantId?: string; lockWaitMs?: number } = {}): Promise<{ status: 'completed' | 'disabled' | 'busy' } & StripeReconcileResult> {
    const { dispatcher, sender } = this;
    if (!dispatcher || !sender) {
      this.deps.logger.warn('Stripe reconciliation is disabled: STRIPE_SECRET_KEY is not set');
      return { status: 'disabled', lines: [], totals: {} };
    }
    const reconciler = new StripeTotalsReconciler({
      dataSource: this.deps.dataSource,
      ledger: this.ledger,
      sender,
      dispatcher,
      settleSeconds: this.deps.config.reconcileSettleSeconds,
      invoiceGraceSeconds: this.deps.invoiceGraceSeconds,
      clock: this.clock,
      logger: this.deps.logger,
    });
    const outcome = await this.underReportLock(options.lockWaitMs ?? DEFAULT_LOCK_WAIT_MS, () => reconciler.run(options.tenantId));
    return outcome === 'busy' ? { status: 'busy', lines: [], totals: {} } : { status: 'completed', ...outcome };
  }

  /** Runs `work` holding the reporting lock; `busy` when another run kept it past `waitMs`. */
  private async underReportLock<T>(waitMs: number, work: () => Promise<T>): Promise<T | 'busy'> {
    const lockRunner = this.deps.dataSource.createQueryRunner();
    await lockRunner.connect();
    try {
      if (!(await this.acquireLock(lockRunner, waitMs))) return 'busy';
      try {
        return await work();
      } finally {
        await lockRunner.query('SELECT pg_advisory_unlock($1)', [REPORT_LOCK_KEY]);
      }
    } finally {
      await lockRunner.release();
    }
  }

  private async acquireLock(runner: { query(sql: string, parameters?: unknown[]): Promise<unknown> }, waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    for (;;) {
      const [{ locked }] = (await runner.query('SELECT pg_try_advisory_lock($1) AS locked', [REPORT_LOCK_KEY])) as [{ locked: boolean }];
      if (locked || Date.now() >= deadline) return locked;
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
  }

  /*
   * A row still pending long after it was written may have reached Stripe before a crash. Its
   * resend is safe only while Stripe still deduplicates the identifier (about 24 hours), so an
   * old one is sent (it most likely never reached Stripe: the breaker was open or runs kept
   * failing) but flagged for an operator to compare with the Stripe dashboard.
   */
  private warnAboutStalePending(pending: readonly PendingReport[]): void {
    const cutoff = this.clock().getTime() - STALE_PENDING_MS;
    const stale = pending.filter((report) => report.createdAt.getTime() < cutoff);
    if (stale.length === 0) return;
    billingOperatorAlertsTotal.inc({ kind: 'stale_pending' }, stale.length);
    this.deps.logger.error(
      `${stale.length} overage reports have been pending for more than ${STALE_PENDING_MS / 3_600_000} hours ` +
        `(oldest ${stale[0]!.identifier}); Stripe deduplicates identifiers for about 24 hours, so check the ` +
        'Stripe dashboard for these identifiers before trusting the totals',
    );
  }

  /**
   * Writes pending rows for every delta; a negative one (a correction) first cancels what it can
   * (see OverageCorrectionPlanner). Returns lines for what was not written as a plain delta.
   */
  private async writeLedger(filter: OverageRunOptions): Promise<OverageReportLine[]> {
    const now = this.clock();
    const lines: OverageReportLine[] = [];
    const reports: NewReport[] = [];
    const corrections = this.correctionPlanner(this.sender);
    for (const candidate of await findOverageCandidates(this.deps.dataSource, now, filter)) {
      const blocked = this.blocked(candidate, true);
      if (blocked) lines.push(blocked);
      else if (candidate.delta < 0) {
        const plan = await corrections.plan(candidate);
        lines.push(...plan.lines);
        reports.push(...plan.reports);
      } else reports.push(toNewReport(candidate, now));
    }
    await this.ledger.insertPending(reports);
    for (const line of lines) stripeReportsTotal.inc({ outcome: line.action });
    return lines;
  }

  private async preview(filter: OverageRunOptions): Promise<OverageRunResult> {
    const now = this.clock();
    const lines = (await this.ledger.findPending(filter.tenantId)).map((r) => lineFor(r, 'would_send', 'pending from an earlier run: re-sent with the same identifier'));
    const corrections = this.correctionPlanner(null);
    for (const candidate of await findOverageCandidates(this.deps.dataSource, now, filter)) {
      const blocked = this.blocked(candidate, false);
      if (blocked) lines.push(blocked);
      else if (candidate.delta < 0) lines.push(...(await corrections.plan(candidate)).lines);
      else lines.push(lineFor(toNewReport(candidate, now), 'would_send'));
    }
    return result('completed', true, this.breaker ? (await this.breaker.state()).state : null, lines);
  }

  /** With `sender` null the planner only describes (dry run). */
  private correctionPlanner(sender: UsageReportSender | null): OverageCorrectionPlanner {
    return new OverageCorrectionPlanner({
      ledger: this.ledger,
      credits: this.credits,
      sender,
      usageApi: this.deps.config.usageApi,
      invoiceGraceSeconds: this.deps.invoiceGraceSeconds,
      clock: this.clock,
      logger: this.deps.logger,
    });
  }

  /** See oldestUnsentClosedPeriodEnd; measured at this reporter's clock. */
  async oldestUnsentClosedPeriodEnd(): Promise<Date | null> {
    return oldestUnsentClosedPeriodEnd(this.deps.dataSource, this.clock());
  }

  /** A line when the candidate cannot be sent at all (and, for a real run, the alert); else null. */
  private blocked(candidate: OverageCandidate, alert: boolean): OverageReportLine | null {
    const where = `tenant ${candidate.tenantId}, ${candidate.agent}, period ${candidate.periodStart.toISOString()}`;
    const problem = unreportableReason(candidate, this.deps.config.usageApi);
    if (!problem) return null;
    if (alert) {
      billingOperatorAlertsTotal.inc({ kind: 'unreportable' });
      this.deps.logger.error(`Overage of ${candidate.delta} cannot be reported (${where}): ${problem}`);
    }
    return lineFor(candidate, 'skipped', problem);
  }
}

function toNewReport(candidate: OverageCandidate, now: Date): NewReport {
  return {
    tenantId: candidate.tenantId,
    agent: candidate.agent,
    periodStart: candidate.periodStart,
    periodEnd: candidate.periodEnd,
    cumulativeQuantity: candidate.overage,
    delta: candidate.delta,
    identifier: overageReportIdentifier(candidate.tenantId, candidate.agent, candidate.periodStart, candidate.overage, candidate.correctionGeneration),
    meterEventName: candidate.meterEventName,
    stripeCustomerId: candidate.stripeCustomerId,
    eventTimestamp: meterEventTimestamp(candidate.periodEnd, now),
    purpose: 'overage',
  };
}

function result(status: OverageRunResult['status'], dryRun: boolean, circuit: CircuitState | null, lines: OverageReportLine[]): OverageRunResult {
  const totals: Partial<Record<ReportAction, number>> = {};
  for (const line of lines) totals[line.action] = (totals[line.action] ?? 0) + 1;
  return { status, dryRun, circuit, lines, totals };
}
