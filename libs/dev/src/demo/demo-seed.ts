import type { DataSource } from 'typeorm';
import { Tenant, TenantAdminService } from '@metering/usage';
import type { PlanInput } from '@metering/usage';

/** The tenant `POST /api/v1/dev/token` signs in as (apps/api dev-token.router.ts looks it up by name). */
export const DEMO_TENANT_NAME = 'Demo tenant';

/** The demo plan: the Starter limits of DESIGN.md, with a meeting limit so all three bars move. */
export const DEMO_PLAN: PlanInput = {
  code: 'demo',
  name: 'Demo (Starter)',
  limits: { emails_per_month: 1000, invoices_per_month: 200, meetings_per_month: 50 },
  overageUnitCents: { inbox: 2, invoice: 10, meeting: 50 },
  meterEventNames: { inbox: 'inbox_overage', invoice: 'invoice_overage', meeting: 'meeting_overage' },
};

export interface DemoTenant {
  tenantId: string;
  /** False when the demo tenant already existed (a restart): nothing was created. */
  created: boolean;
}

/**
 * Creates the demo plan and the "Demo tenant" with an active subscription, or reuses them:
 * safe to run on every start. The oldest tenant of that name wins, as in the dev-token route.
 */
export async function seedDemoTenant(dataSource: DataSource): Promise<DemoTenant> {
  const admin = new TenantAdminService(dataSource);
  const existing = await dataSource.getRepository(Tenant).findOne({ where: { name: DEMO_TENANT_NAME }, order: { createdAt: 'ASC' } });
  if (existing) return { tenantId: existing.id, created: false };
  await admin.upsertPlan(DEMO_PLAN);
  const { tenant } = await admin.createTenant({ name: DEMO_TENANT_NAME, planCode: DEMO_PLAN.code });
  return { tenantId: tenant.id, created: true };
}
