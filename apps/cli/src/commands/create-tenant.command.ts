import { TenantAdminService } from '@metering/usage';
import { requireString } from '../cli-command';
import type { CliCommand } from '../cli-command';

export const createTenantCommand: CliCommand = {
  name: 'create-tenant',
  summary: 'Create a tenant with a subscription for the current month; prints the tenant id',
  usage: 'create-tenant --name <name> --plan <code> [--trial] [--stripe-customer <cus_...>]\n' +
    '  --trial   start the subscription as trialing (--plan may then be left out: trial limits apply)',
  options: {
    name: { type: 'string' },
    plan: { type: 'string' },
    trial: { type: 'boolean' },
    'stripe-customer': { type: 'string' },
  },
  async run(options, context) {
    const { tenant, subscription } = await new TenantAdminService(await context.dataSource(), context.clock).createTenant({
      name: requireString(options, 'name'),
      ...(typeof options.plan === 'string' ? { planCode: options.plan } : {}),
      trial: options.trial === true,
      ...(typeof options['stripe-customer'] === 'string' ? { stripeCustomerId: options['stripe-customer'] } : {}),
    });
    return {
      text: tenant.id,
      json: {
        tenant_id: tenant.id,
        name: tenant.name,
        status: subscription.status,
        period_start: subscription.currentPeriodStart.toISOString(),
        period_end: subscription.currentPeriodEnd.toISOString(),
      },
    };
  },
};
