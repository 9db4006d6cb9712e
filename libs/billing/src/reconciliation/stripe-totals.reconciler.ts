import type { DataSource } from 'typeorm';
import { counter } from '@metering/platform';
import type { Clock, Logger } from '@metering/platform';
import { lateEventDeadline } from '@metering/usage';
import type { StripeCheckOutcome } from '../entities/stripe-reconciliation-check.entity';
import { billingOperatorAlertsTotal } from '../metrics/billing-metrics';
import type { PendingReportDispatcher } from '../reporting/pending-report.dispatcher';
import { meterEventTimestamp, resendIdentifier } from '../reporting/report-identifier';
import type { UsageLedgerRepository } from '../reporting/usage-ledger.repository';
import type { UsageReportSender } from '../reporting/usage-report.sender';
import { findStripeCheckCandidates } from './stripe-check-candidates.query';
import type { StripeCheckCandidate } from './stripe-check-candidates.query';

/** What one comparison found; `unsettled`/`unavailable` were not compared (nothing recorded). */
export type StripeCheckResult = StripeCheckOutcome | 'unsettled' | 'unavailable';

export interface StripeCheckLine {
  tenantId: string;
  agent: string;
  periodStart: string;
  periodEnd: string;
  stripeCustomerId: string;
  ledgerQuantity: number;
  stripeQuantity: number | null;
  outcome: StripeCheckResult;
  resendIdentifier?: string;
  detail?: string;
}

export interface StripeReconcileResult {
  lines: StripeCheckLine[];
  totals: Partial<Record<StripeCheckResult, number>>;
}

export interface StripeTotalsReconcilerDeps {
  dataSource: DataSource;
  ledger: UsageLedgerRepository;
  sender: UsageReportSender;
  dispatcher: PendingReportDispatcher;
  settleSeconds: number;
  invoiceGraceSeconds: number;
  clock: Clock;
  logger: Logger;
}

const checksTotal = counter({
  name: 'stripe_reconciliation_checks_total',
  help: "Comparisons of Stripe's meter event summaries with the ledger, by outcome",
  labelNames: ['outcome'] as const,
});

const MINUTE_MS = 60_000;

/**
 * Proves the ledger against Stripe: per customer, meter and period, Stripe's meter event summary
 * is compared with what the ledger says was sent. Equal: recorded as checked. Stripe lower (a lost
 * meter event): the difference is sent again under a new deterministic identifier, unless the
 * invoice is final (then an operator bills it). Stripe higher: never "fixed" automatically, an
 * operator alert with both numbers. Every comparison is a row in stripe_reconciliation_checks.
 */
export class StripeTotalsReconciler {
  constructor(private readonly deps: StripeTotalsReconcilerDeps) {}

  async run(tenantId?: string): Promise<StripeReconcileResult> {
    const now = this.deps.clock();
    const candidates = await findStripeCheckCandidates(this.deps.dataSource, now, this.deps.settleSeconds * 1000, tenantId);
    const lines: StripeCheckLine[] = [];
    if (candidates.length > 0) {
      const meters = await this.deps.sender.meterIds();
      for (const candidate of candidates) lines.push(await this.check(candidate, meters.value, meters.result, now));
      const resent = lines.filter((line) => line.outcome === 'resent');
      if (resent.length > 0) {
        const ids = new Set(resent.map((line) => line.resendIdentifier));
        const pending = (await this.deps.ledger.findPending(tenantId)).filter((report) => ids.has(report.identifier));
        await this.deps.dispatcher.dispatch(pending);
      }
    }
    const totals: Partial<Record<StripeCheckResult, number>> = {};
    for (const line of lines) totals[line.outcome] = (totals[line.outcome] ?? 0) + 1;
    this.deps.logger.info(`Stripe reconciliation finished: ${JSON.stringify(totals)}`);
    return { lines, totals };
  }

  private async check(
    candidate: StripeCheckCandidate,
    meterIds: Map<string, string> | undefined,
    meterLookup: { outcome: string; message?: string },
    now: Date,
  ): Promise<StripeCheckLine> {
    const line: StripeCheckLine = {
      tenantId: candidate.tenantId,
      agent: candidate.agent,
      periodStart: candidate.periodStart.toISOString(),
      periodEnd: candidate.periodEnd.toISOString(),
      stripeCustomerId: candidate.stripeCustomerId,
      ledgerQuantity: candidate.ledgerQuantity,
      stripeQuantity: null,
      outcome: 'unsettled',
    };
    if (candidate.unsettled) return { ...line, detail: `a send or cancel is younger than ${this.deps.settleSeconds} s (or pending): compared on a later run` };
    const meterId = meterIds?.get(candidate.meterEventName);
    if (!meterId) {
      const why = meterIds ? `Stripe has no meter for event ${candidate.meterEventName}` : `the meter list could not be read: ${meterLookup.message ?? ''}`;
      return { ...line, outcome: 'unavailable', detail: why };
    }
    // Minute-aligned, as Stripe requires; meter events of a period carry timestamps inside it.
    const start = new Date(Math.floor(candidate.periodStart.getTime() / MINUTE_MS) * MINUTE_MS);
    const end = new Date(Math.ceil(Math.min(candidate.periodEnd.getTime(), now.getTime() + 1) / MINUTE_MS) * MINUTE_MS);
    const summary = await this.deps.sender.summarize(meterId, candidate.stripeCustomerId, start, end);
    if (summary.value === undefined) {
      return { ...line, outcome: 'unavailable', detail: `the summary could not be read: ${'message' in summary.result ? summary.result.message : ''}` };
    }
    const stripeQuantity = summary.value;
    const compared = { ...line, stripeQuantity };
    const where = `tenant ${candidate.tenantId}, ${candidate.agent}, period ${line.periodStart} to ${line.periodEnd}, customer ${candidate.stripeCustomerId}`;
    if (stripeQuantity === candidate.ledgerQuantity) return this.record(candidate, meterId, { ...compared, outcome: 'matched' });
    if (stripeQuantity > candidate.ledgerQuantity) {
      billingOperatorAlertsTotal.inc({ kind: 'stripe_higher' });
      this.deps.logger.error(
        `Stripe holds more than the ledger sent (${where}): Stripe ${stripeQuantity}, ledger ${candidate.ledgerQuantity}; not changed automatically, check the meter events in the Stripe dashboard`,
      );
      return this.record(candidate, meterId, { ...compared, outcome: 'stripe_higher', detail: `Stripe ${stripeQuantity} > ledger ${candidate.ledgerQuantity}` });
    }
    const missing = candidate.ledgerQuantity - Math.round(stripeQuantity);
    if (now >= lateEventDeadline({ start: candidate.periodStart, end: candidate.periodEnd }, this.deps.invoiceGraceSeconds)) {
      billingOperatorAlertsTotal.inc({ kind: 'stripe_lower_final' });
      this.deps.logger.error(
        `Stripe holds less than the ledger sent on a final invoice (${where}): Stripe ${stripeQuantity}, ledger ${candidate.ledgerQuantity}; ${missing} units were not billed, bill them by hand`,
      );
      return this.record(candidate, meterId, { ...compared, outcome: 'unbilled', detail: `${missing} units not billed on a final invoice` });
    }
    const identifier = resendIdentifier(candidate.tenantId, candidate.agent, candidate.periodStart, candidate.ledgerQuantity, candidate.resends);
    await this.deps.ledger.insertPending([
      {
        tenantId: candidate.tenantId,
        agent: candidate.agent,
        periodStart: candidate.periodStart,
        periodEnd: candidate.periodEnd,
        cumulativeQuantity: candidate.ledgerQuantity,
        delta: missing,
        identifier,
        meterEventName: candidate.meterEventName,
        stripeCustomerId: candidate.stripeCustomerId,
        eventTimestamp: meterEventTimestamp(candidate.periodEnd, now),
        purpose: 'resend',
      },
    ]);
    this.deps.logger.warn(`Stripe holds less than the ledger sent (${where}): Stripe ${stripeQuantity}, ledger ${candidate.ledgerQuantity}; re-sending ${missing} as ${identifier}`);
    return this.record(candidate, meterId, { ...compared, outcome: 'resent', resendIdentifier: identifier, detail: `re-sent ${missing}` });
  }

  private async record(candidate: StripeCheckCandidate, meterId: string, line: StripeCheckLine): Promise<StripeCheckLine> {
    await this.deps.dataSource.query(
      `INSERT INTO stripe_reconciliation_checks
              (tenant_id, agent, period_start, period_end, meter_id, ledger_quantity, stripe_quantity, outcome, resend_identifier, checked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [candidate.tenantId, candidate.agent, candidate.periodStart, candidate.periodEnd, meterId, line.ledgerQuantity, line.stripeQuantity, line.outcome, line.resendIdentifier ?? null, this.deps.clock()],
    );
    checksTotal.inc({ outcome: line.outcome });
    return line;
  }
}
