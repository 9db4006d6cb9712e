import type { DataSource } from 'typeorm';
import { seedPlan, seedTenant } from '@metering/testing';
import type { PlanSeed } from '@metering/testing';

/** `count` tenants of their own (one plan, active subscriptions for this month) for one scenario. */
export async function seedScenarioTenants(db: DataSource, count: number, plan: PlanSeed = {}): Promise<string[]> {
  const { id: planId } = await seedPlan(db, plan);
  const tenantIds: string[] = [];
  for (let i = 0; i < count; i++) tenantIds.push((await seedTenant(db, { planId, name: `faults-${i}` })).tenantId);
  return tenantIds;
}

/** Re-exported so scenarios import their helpers from one place. */
export { eventually } from '@metering/testing';

/** Rows in usage_events of `tenantIds`. */
export async function storedEvents(db: DataSource, tenantIds: readonly string[]): Promise<number> {
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = ANY($1::uuid[])', [tenantIds]);
  return Number(n);
}
