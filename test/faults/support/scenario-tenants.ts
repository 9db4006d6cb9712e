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

/** Polls `probe` until it returns something other than undefined/false. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Rows in usage_events of `tenantIds`. */
export async function storedEvents(db: DataSource, tenantIds: readonly string[]): Promise<number> {
  const [{ n }] = await db.query('SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = ANY($1::uuid[])', [tenantIds]);
  return Number(n);
}
