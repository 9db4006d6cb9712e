import { TenantAdminService } from '@metering/usage';
import type { PerAgent, PlanLimits } from '@metering/usage';
import { parseJsonOption, requireString } from '../cli-command';
import type { CliCommand } from '../cli-command';

export const createPlanCommand: CliCommand = {
  name: 'create-plan',
  summary: 'Create a plan, or update the plan with the same code',
  usage:
    "create-plan --code <code> --name <name> --limits '<json>' --overage-cents '<json>' [--meter-events '<json>']\n" +
    '  --limits         monthly quotas, e.g. \'{"emails_per_month":1000,"invoices_per_month":200,"meetings_per_month":null}\' (null = unlimited)\n' +
    '  --overage-cents  price of one unit over the limit per agent, e.g. \'{"inbox":5,"invoice":10,"meeting":50}\'\n' +
    '  --meter-events   Stripe meter event name per agent, e.g. \'{"inbox":"inbox_overage"}\'',
  options: {
    code: { type: 'string' },
    name: { type: 'string' },
    limits: { type: 'string' },
    'overage-cents': { type: 'string' },
    'meter-events': { type: 'string' },
  },
  async run(options, context) {
    const plan = await new TenantAdminService(await context.dataSource(), context.clock).upsertPlan({
      code: requireString(options, 'code'),
      name: requireString(options, 'name'),
      limits: parseJsonOption(options, 'limits') as PlanLimits,
      overageUnitCents: parseJsonOption(options, 'overage-cents') as PerAgent<number>,
      ...(options['meter-events'] !== undefined
        ? { meterEventNames: parseJsonOption(options, 'meter-events') as PerAgent<string> }
        : {}),
    });
    const json = {
      id: plan.id,
      code: plan.code,
      name: plan.name,
      limits: plan.limits,
      overage_unit_cents: plan.overageUnitCents,
      meter_event_names: plan.meterEventNames,
    };
    return { text: `Plan ${plan.code} (${plan.name}) saved: ${JSON.stringify(plan.limits)}`, json };
  },
};
