import type { DataSource, EntityManager } from 'typeorm';
import type { BillingPeriod } from '../domain/billing-period';
import type { SubscriptionStatus } from '../entities/subscription.entity';

/** What tracking needs to know of a tenant: whether it exists and its subscription's period. */
export interface TenantBillingState {
  tenantId: string;
  status: SubscriptionStatus | null;
  period: BillingPeriod | null;
  anchorDay: number;
}

interface Row {
  tenant_id: string;
  status: SubscriptionStatus | null;
  current_period_start: Date | null;
  current_period_end: Date | null;
  billing_anchor_day: number | null;
}

/** One query for every distinct tenant of a batch; tenants that do not exist are absent. */
export async function loadTenantBillingStates(
  db: DataSource | EntityManager,
  tenantIds: readonly string[],
): Promise<Map<string, TenantBillingState>> {
  const rows: Row[] = await db.query(
    `SELECT t.id AS tenant_id, s.status, s.current_period_start, s.current_period_end, s.billing_anchor_day
       FROM tenants t LEFT JOIN subscriptions s ON s.tenant_id = t.id
      WHERE t.id = ANY($1::uuid[])`,
    [tenantIds],
  );
  return new Map(
    rows.map((row) => [
      row.tenant_id,
      {
        tenantId: row.tenant_id,
        status: row.status,
        period:
          row.current_period_start && row.current_period_end
            ? { start: row.current_period_start, end: row.current_period_end }
            : null,
        anchorDay: row.billing_anchor_day ?? 1,
      },
    ]),
  );
}
