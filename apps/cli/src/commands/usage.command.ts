import { isUuid, loadUsageRulesConfig } from '@metering/platform';
import { UsageService } from '@metering/usage';
import type { UsageStatsResponse } from '@metering/usage';
import { CliUsageError, requireString } from '../cli-command';
import type { CliCommand } from '../cli-command';


function formatStats(stats: UsageStatsResponse): string {
  const lines = [
    `Tenant ${stats.tenant_id} · plan ${stats.plan.name} (${stats.plan.code}) · ${stats.subscription_status}`,
    `Period ${stats.period_start} → ${stats.period_end}`,
  ];
  for (const [agent, usage] of Object.entries(stats.usage)) {
    const limit = usage.limit === null ? 'unlimited' : `${usage.limit} (${usage.percentage}%)`;
    const over = usage.overage > 0 ? `, overage ${usage.overage} = ${usage.overage_cost_cents}¢` : '';
    lines.push(`  ${agent.padEnd(8)} ${String(usage.count).padStart(8)} / ${limit}${over}`);
  }
  lines.push(`Total overage: ${stats.total_overage_cost_cents}¢`);
  for (const alert of stats.alerts) lines.push(`  [${alert.level}] ${alert.message}`);
  return lines.join('\n');
}

export const usageCommand: CliCommand = {
  name: 'usage',
  summary: "Show a tenant's usage of the current period, as the API returns it",
  usage: 'usage --tenant <tenant-id>',
  options: { tenant: { type: 'string' } },
  async run(options, context) {
    const tenantId = requireString(options, 'tenant');
    if (!isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
    const { usage } = loadUsageRulesConfig(context.env);
    const stats = await new UsageService(await context.dataSource(), {
      trialLimits: usage.trialLimits,
      clock: context.clock,
    }).getUsageStats(tenantId);
    return { text: formatStats(stats), json: stats };
  },
};
