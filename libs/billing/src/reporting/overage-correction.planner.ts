import type { Clock, Logger } from '@metering/platform';
import { lateEventDeadline } from '@metering/usage';
import { BillingCreditsRepository } from '../credits/billing-credits.repository';
import { billingOperatorAlertsTotal } from '../metrics/billing-metrics';
import type { OverageCandidate } from './overage-candidates.query';
import { lineFor } from './overage-report-line';
import type { OverageReportLine } from './overage-report-line';
import { meterEventTimestamp, overageReportIdentifier } from './report-identifier';
import type { NewReport, UsageLedgerRepository } from './usage-ledger.repository';
import type { UsageApi, UsageReportSender } from './usage-report.sender';

/**
 * Stripe cancels a meter event only within 24 hours of receiving it; an hour of margin keeps a
 * cancellation planned at the edge from being refused.
 */
export const CANCEL_WINDOW_MS = 23 * 3_600_000;

export interface CorrectionPlan {
  lines: OverageReportLine[];
  /** Pending rows to write and send: the delta still owed after cancellations (either sign). */
  reports: NewReport[];
}

export interface OverageCorrectionPlannerDeps {
  ledger: UsageLedgerRepository;
  credits: BillingCreditsRepository;
  /** Null in a dry run: nothing is cancelled, the plan is only described. */
  sender: UsageReportSender | null;
  usageApi: UsageApi;
  invoiceGraceSeconds: number;
  clock: Clock;
  logger: Logger;
}

/**
 * What to do when a correction brought a period's overage below what Stripe was told (see
 * docs/stripe-corrections.md):
 * - the invoice is final: nothing is sent; a credit is recorded and an operator alerted;
 * - otherwise meter events Stripe received less than 24 h ago are cancelled, newest first, until
 *   Stripe's total is at or below the overage, and the rest goes out as one pending row: a positive
 *   delta, or a negative one (Stripe meters accept negative values);
 * - legacy usage records take no negative increment: an operator alert instead.
 */
export class OverageCorrectionPlanner {
  constructor(private readonly deps: OverageCorrectionPlannerDeps) {}

  async plan(candidate: OverageCandidate): Promise<CorrectionPlan> {
    const now = this.deps.clock();
    const where = `tenant ${candidate.tenantId}, ${candidate.agent}, period ${candidate.periodStart.toISOString()} to ${candidate.periodEnd.toISOString()}`;
    const dryRun = this.deps.sender === null;
    if (now >= lateEventDeadline({ start: candidate.periodStart, end: candidate.periodEnd }, this.deps.invoiceGraceSeconds)) {
      return { lines: [await this.credit(candidate, where, dryRun)], reports: [] };
    }
    if (this.deps.usageApi === 'usage_records') {
      const detail = `overage ${candidate.overage} is below the ${candidate.alreadyReported} already reported; usage records take no negative increment: needs an operator (credit note)`;
      if (!dryRun) {
        billingOperatorAlertsTotal.inc({ kind: 'negative_delta' });
        this.deps.logger.error(`Negative overage delta (${where}): ${detail}`);
      }
      return { lines: [lineFor(candidate, 'negative_delta', detail)], reports: [] };
    }
    if (dryRun) {
      return {
        lines: [lineFor(candidate, 'would_send', 'a correction lowered the overage: meter events sent in the last 24 h are cancelled, the rest is sent as a negative delta')],
        reports: [],
      };
    }
    return this.cancelAndResend(candidate, now);
  }

  private async credit(candidate: OverageCandidate, where: string, dryRun: boolean): Promise<OverageReportLine> {
    const quantity = candidate.alreadyReported - candidate.overage;
    const amountCents = quantity * candidate.unitCents;
    const detail = `the invoice is final: Stripe billed ${quantity} overage units more than the corrected counter owes; credit ${amountCents} cents by hand (npm run usage -- credits)`;
    if (dryRun) return lineFor(candidate, 'credit_due', detail);
    const recorded = await this.deps.credits.record(
      {
        tenantId: candidate.tenantId,
        agent: candidate.agent,
        periodStart: candidate.periodStart,
        periodEnd: candidate.periodEnd,
        quantity,
        amountCents,
        reportedQuantity: candidate.alreadyReported,
        owedQuantity: candidate.overage,
      },
      this.deps.clock(),
    );
    if (recorded) {
      billingOperatorAlertsTotal.inc({ kind: 'credit_due' });
      this.deps.logger.error(`Credit due (${where}): ${detail} [credit ${recorded.id}]`);
    }
    return lineFor(candidate, 'credit_due', detail);
  }

  private async cancelAndResend(candidate: OverageCandidate, now: Date): Promise<CorrectionPlan> {
    const lines: OverageReportLine[] = [];
    let reported = candidate.alreadyReported;
    let cancelled = 0;
    const recent = await this.deps.ledger.sentSince(candidate.tenantId, candidate.agent, candidate.periodStart, new Date(now.getTime() - CANCEL_WINDOW_MS));
    for (const sent of recent) {
      if (reported <= candidate.overage) break;
      const result = await this.deps.sender!.cancel({ identifier: sent.identifier, meterEventName: sent.meterEventName });
      if (result.outcome === 'deferred') {
        // Stripe is away: try the whole correction again on the next run.
        lines.push({ ...lineFor(candidate, 'deferred', `cancelling ${sent.identifier} failed for now: ${result.message}`), identifier: sent.identifier });
        return { lines, reports: [] };
      }
      if (result.outcome === 'failed') {
        // Stripe refused (e.g. no longer cancellable): what is left goes as a negative delta.
        this.deps.logger.warn(`Stripe refused to cancel ${sent.identifier}: ${result.message}; sending a negative delta instead`);
        break;
      }
      await this.deps.ledger.markCancelled(sent.id, now);
      reported -= sent.delta;
      cancelled += 1;
      lines.push({ ...lineFor(candidate, 'cancelled', `meter event cancelled (sent ${sent.sentAt.toISOString()})`), quantity: -sent.delta, identifier: sent.identifier });
    }
    const delta = candidate.overage - reported;
    if (delta === 0) return { lines, reports: [] };
    const generation = candidate.correctionGeneration + cancelled + (delta < 0 ? 1 : 0);
    return {
      lines,
      reports: [
        {
          tenantId: candidate.tenantId,
          agent: candidate.agent,
          periodStart: candidate.periodStart,
          periodEnd: candidate.periodEnd,
          cumulativeQuantity: candidate.overage,
          delta,
          identifier: overageReportIdentifier(candidate.tenantId, candidate.agent, candidate.periodStart, candidate.overage, generation),
          meterEventName: candidate.meterEventName,
          stripeCustomerId: candidate.stripeCustomerId,
          eventTimestamp: meterEventTimestamp(candidate.periodEnd, now),
          purpose: 'overage',
        },
      ],
    };
  }
}
