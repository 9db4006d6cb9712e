import type { OverageCandidate } from './overage-candidates.query';
import type { NewReport, PendingReport } from './usage-ledger.repository';
import type { UsageApi } from './usage-report.sender';

/**
 * What a run did (or, in a dry run, would do) with one (tenant, agent, period). `cancelled`: a
 * meter event taken back after a correction; `credit_due`: a correction of a final invoice, left
 * to an operator as a credit.
 */
export type ReportAction = 'would_send' | 'sent' | 'failed' | 'deferred' | 'negative_delta' | 'skipped' | 'cancelled' | 'credit_due';

/** One line of a run's result, as the CLI prints it and the job logs it. */
export interface OverageReportLine {
  tenantId: string;
  agent: string;
  periodStart: string;
  periodEnd: string;
  /** What Stripe is (or would be) told: the delta. */
  quantity: number;
  /** The period's overage once this is counted. */
  cumulativeQuantity: number;
  identifier: string | null;
  meterEventName: string | null;
  stripeCustomerId: string | null;
  action: ReportAction;
  detail?: string;
}

/** Why a report cannot be sent in `usageApi` mode, or null when it can. */
export function unreportableReason(
  report: Pick<PendingReport, 'stripeCustomerId' | 'meterEventName' | 'subscriptionItemId'>,
  usageApi: UsageApi,
): string | null {
  if (usageApi === 'usage_records') {
    return report.subscriptionItemId ? null : 'the subscription has no Stripe subscription item for this agent';
  }
  if (!report.stripeCustomerId) return 'the tenant has no Stripe customer id';
  if (!report.meterEventName) return 'the plan has no meter event name for this agent';
  return null;
}

export function lineFor(
  report: NewReport | PendingReport | OverageCandidate,
  action: ReportAction,
  detail?: string,
): OverageReportLine {
  const isCandidate = 'overage' in report;
  return {
    tenantId: report.tenantId,
    agent: report.agent,
    periodStart: report.periodStart.toISOString(),
    periodEnd: report.periodEnd.toISOString(),
    quantity: report.delta,
    cumulativeQuantity: isCandidate ? report.overage : report.cumulativeQuantity,
    identifier: isCandidate ? null : report.identifier,
    meterEventName: report.meterEventName,
    stripeCustomerId: report.stripeCustomerId,
    action,
    ...(detail !== undefined && { detail }),
  };
}
