import type { BillingPeriod } from './billing-period';

/** How long the close job may take to bill a period after it ends (README "Stripe billing"). */
export const CLOSE_BOUND_MS = 5 * 60_000;

/**
 * The instant after which an event of `period` can no longer be billed: Stripe finalizes the
 * period's invoice `invoiceGraceSeconds` after its end, and the delta an event adds reaches Stripe
 * within CLOSE_BOUND_MS of being counted. Events counted before it are billed on that invoice.
 */
export function lateEventDeadline(period: BillingPeriod, invoiceGraceSeconds: number): Date {
  return new Date(period.end.getTime() + invoiceGraceSeconds * 1000 - CLOSE_BOUND_MS);
}

/** Why an event of `period` counted at `now` cannot be billed any more, or null when it can. */
export function periodFinalMessage(period: BillingPeriod, now: Date, invoiceGraceSeconds: number): string | null {
  // Runs for every event the worker commits: numbers, no Date, on the common path.
  if (now.getTime() < period.end.getTime() + invoiceGraceSeconds * 1000 - CLOSE_BOUND_MS) return null;
  return (
    `the invoice of the billing period ${period.start.toISOString()} to ${period.end.toISOString()} is final ` +
    `(Stripe finalizes it ${invoiceGraceSeconds} s after the period ends); the event can no longer be billed`
  );
}
