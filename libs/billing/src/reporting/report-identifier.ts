/**
 * The ledger identifier of "tenant's agent overage in the period starting `periodStart` reached
 * `cumulativeQuantity`". Deterministic, so a rerun computing the same total produces the same
 * identifier (and Idempotency-Key), and Stripe counts it once. At most 84 characters (Stripe: 100).
 */
export function overageReportIdentifier(tenantId: string, agent: string, periodStart: Date, cumulativeQuantity: number): string {
  return `ovg_${tenantId}_${agent}_${Math.floor(periodStart.getTime() / 1000)}_${cumulativeQuantity}`;
}

/**
 * The meter event timestamp for a period: a closed period's last second, so Stripe bills it on
 * that period's invoice; the current period's "now".
 */
export function meterEventTimestamp(periodEnd: Date, now: Date): Date {
  return periodEnd.getTime() <= now.getTime() ? new Date(periodEnd.getTime() - 1000) : now;
}
