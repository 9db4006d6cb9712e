/**
 * The ledger identifier of "tenant's agent overage in the period starting `periodStart` reached
 * `cumulativeQuantity`". Deterministic, so a rerun computing the same total produces the same
 * identifier (and Idempotency-Key), and Stripe counts it once. `generation` is the number of
 * cancelled or negative rows of the period before it (corrections, issue 18): a total reached
 * again after a correction is a new event and gets a new identifier. At most 92 characters
 * (Stripe: 100).
 */
export function overageReportIdentifier(tenantId: string, agent: string, periodStart: Date, cumulativeQuantity: number, generation = 0): string {
  const base = `ovg_${tenantId}_${agent}_${Math.floor(periodStart.getTime() / 1000)}_${cumulativeQuantity}`;
  return generation > 0 ? `${base}_g${generation}` : base;
}

/**
 * The identifier of a re-send of what Stripe's summary shows it lost: the ledger's total and how
 * many re-sends the period had before, so a re-send that is lost again gets a new one.
 */
export function resendIdentifier(tenantId: string, agent: string, periodStart: Date, ledgerQuantity: number, previousResends: number): string {
  return `rsd_${tenantId}_${agent}_${Math.floor(periodStart.getTime() / 1000)}_${ledgerQuantity}_${previousResends}`;
}

/**
 * The meter event timestamp for a period: a closed period's last second, so Stripe bills it on
 * that period's invoice; the current period's "now".
 */
export function meterEventTimestamp(periodEnd: Date, now: Date): Date {
  return periodEnd.getTime() <= now.getTime() ? new Date(periodEnd.getTime() - 1000) : now;
}
