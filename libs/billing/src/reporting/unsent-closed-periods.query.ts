import type { DataSource } from 'typeorm';
import { findOverageCandidates } from './overage-candidates.query';
import { UsageLedgerRepository } from './usage-ledger.repository';

/**
 * The end of the oldest closed period whose overage Stripe does not have yet: a pending ledger
 * row of a period that has ended, or a positive delta of a closed period not even written to the
 * ledger. Null when every closed period is sent. The close job keeps this within minutes of a
 * period's end; the `BillingClosedPeriodUnsent` alert watches it.
 */
export async function oldestUnsentClosedPeriodEnd(db: DataSource, now: Date): Promise<Date | null> {
  const unwritten = (await findOverageCandidates(db, now, { closedPeriodsOnly: true })).filter((c) => c.delta > 0).map((c) => c.periodEnd);
  const pending = (await new UsageLedgerRepository(db).findPending()).map((r) => r.periodEnd).filter((end) => end.getTime() <= now.getTime());
  return [...unwritten, ...pending].reduce<Date | null>((oldest, end) => (oldest && oldest.getTime() <= end.getTime() ? oldest : end), null);
}
