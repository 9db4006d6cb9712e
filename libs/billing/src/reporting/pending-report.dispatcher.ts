import type { Clock, Logger } from '@metering/platform';
import { billingOperatorAlertsTotal, stripeReportsTotal } from '../metrics/billing-metrics';
import { runKeyedSerial } from '../resilience/keyed-serial-pool';
import type { RedisCircuitBreaker } from '../resilience/redis-circuit-breaker';
import { lineFor, unreportableReason } from './overage-report-line';
import type { OverageReportLine } from './overage-report-line';
import type { PendingReport, UsageLedgerRepository } from './usage-ledger.repository';
import type { UsageApi, UsageReportSender } from './usage-report.sender';

const SENT_FLUSH_SIZE = 200;

export interface DispatchResult {
  lines: OverageReportLine[];
  circuitOpen: boolean;
}

/**
 * Sends pending ledger rows: calls for one (customer, meter) one at a time, different ones in
 * parallel. Sent rows are marked in batches (a crash before the mark only means a re-send with the
 * same identifier, which Stripe counts once). Once the circuit is open nothing more is started:
 * the rest stay pending for the next run.
 */
export class PendingReportDispatcher {
  constructor(
    private readonly ledger: UsageLedgerRepository,
    private readonly sender: UsageReportSender,
    private readonly breaker: RedisCircuitBreaker,
    private readonly options: { usageApi: UsageApi; concurrency: number; clock: Clock; logger: Logger },
  ) {}

  async dispatch(pending: readonly PendingReport[]): Promise<DispatchResult> {
    const lines: OverageReportLine[] = [];
    const started = new Set<string>();
    const sentBuffer: Array<{ id: string; attempts: number }> = [];
    let circuitOpen = false;
    const flush = async (): Promise<void> => this.ledger.markSent(sentBuffer.splice(0), this.options.clock());

    const work = async (report: PendingReport): Promise<void> => {
      started.add(report.id);
      const problem = unreportableReason(report, this.options.usageApi);
      if (problem) {
        await this.ledger.markFailed(report.id, 0, problem);
        lines.push(this.fail(report, problem, 'unreportable'));
        return;
      }
      const result = await this.sender.send(report);
      if (result.outcome === 'sent') {
        sentBuffer.push({ id: report.id, attempts: result.attempts });
        if (sentBuffer.length >= SENT_FLUSH_SIZE) await flush();
        lines.push(lineFor(report, 'sent'));
      } else if (result.outcome === 'failed') {
        await this.ledger.markFailed(report.id, result.attempts, result.message);
        lines.push(this.fail(report, result.message, 'rejected_by_stripe'));
      } else {
        if (result.attempts > 0) await this.ledger.recordTransientFailure(report.id, result.attempts, result.message);
        if (result.circuitOpen) circuitOpen = true;
        lines.push(lineFor(report, 'deferred', result.message));
      }
    };

    try {
      // While the circuit is not closed, one call at a time: the first is the half-open trial,
      // and the rest go in parallel only once it has closed the circuit.
      let next = 0;
      while (next < pending.length && !circuitOpen && (await this.breaker.state()).state !== 'closed') {
        await work(pending[next++]!);
      }
      await runKeyedSerial(pending.slice(next), (r) => this.laneKey(r), this.options.concurrency, work, () => circuitOpen);
    } finally {
      await flush();
    }

    const left = pending.filter((r) => !started.has(r.id));
    for (const report of left) lines.push(lineFor(report, 'deferred', 'Stripe circuit open: left pending for the next run'));
    if (left.length > 0) {
      this.options.logger.warn(`Stripe circuit open: ${left.length} overage reports left pending for the next run`);
    }
    for (const line of lines) stripeReportsTotal.inc({ outcome: line.action });
    return { lines, circuitOpen };
  }

  /** Stripe allows one concurrent call per customer and meter (legacy: per subscription item). */
  private laneKey(report: PendingReport): string {
    return this.options.usageApi === 'usage_records'
      ? `item:${report.subscriptionItemId}`
      : `${report.stripeCustomerId}|${report.meterEventName}`;
  }

  private fail(report: PendingReport, message: string, kind: 'rejected_by_stripe' | 'unreportable'): OverageReportLine {
    billingOperatorAlertsTotal.inc({ kind });
    this.options.logger.error(
      `Overage report ${report.identifier} failed (tenant ${report.tenantId}, ${report.agent}, quantity ${report.delta}): ${message}`,
    );
    return lineFor(report, 'failed', message);
  }
}
