import { createOverageReporter } from '@metering/billing';
import type { OverageReportLine, OverageRunResult } from '@metering/billing';
import { isUuid, loadOverageReportConfig } from '@metering/platform';
import type { RedisClient } from '@metering/platform';
import { openBreakerRedis } from './breaker-redis';
import { CliUsageError } from '../cli-command';
import type { CliCommand } from '../cli-command';

const ACTION_LABEL: Record<OverageReportLine['action'], string> = {
  would_send: 'would send',
  sent: 'sent',
  failed: 'FAILED',
  deferred: 'left pending',
  negative_delta: 'NOT SENT (below what was reported)',
  skipped: 'NOT SENT',
  cancelled: 'cancelled in Stripe (a correction)',
  credit_due: 'NOT SENT: invoice final, credit due (see credits)',
};

function lineText(line: OverageReportLine): string {
  const period = `${line.periodStart.slice(0, 10)} → ${line.periodEnd.slice(0, 10)}`;
  const target = line.meterEventName ? ` to ${line.meterEventName}` : '';
  const detail = line.detail ? `: ${line.detail}` : '';
  const sign = line.quantity > 0 ? '+' : '';
  return `    ${line.agent.padEnd(8)} ${period}  ${sign}${line.quantity} (total ${line.cumulativeQuantity})${target}  ${ACTION_LABEL[line.action]}${detail}`;
}

function resultText(result: OverageRunResult): string {
  if (result.status === 'disabled') {
    return 'Stripe reporting is disabled: STRIPE_SECRET_KEY is not set. Nothing was sent (use --dry-run to see what would be).';
  }
  if (result.status === 'busy') return 'Another overage report is running; nothing was done. Try again when it has finished.';
  const header = `Stripe overage report${result.dryRun ? ' (dry run: nothing written or sent)' : ''} · circuit ${result.circuit ?? 'n/a'}`;
  if (result.lines.length === 0) return `${header}\nNothing to report: Stripe has all the overage the ledger shows.`;
  const byTenant = new Map<string, OverageReportLine[]>();
  for (const line of result.lines) byTenant.set(line.tenantId, [...(byTenant.get(line.tenantId) ?? []), line]);
  const lines = [header];
  for (const [tenantId, tenantLines] of byTenant) {
    lines.push(`  Tenant ${tenantId} (${tenantLines[0]!.stripeCustomerId ?? 'no Stripe customer'})`, ...tenantLines.map(lineText));
  }
  lines.push(`Totals: ${Object.entries(result.totals).map(([action, n]) => `${action} ${n}`).join(' · ')}`);
  if (result.status === 'circuit_open') lines.push('The Stripe circuit is open: pending reports go out on the next run after it closes.');
  return lines.join('\n');
}

export const reportOverageCommand: CliCommand = {
  name: 'report-overage',
  summary: 'Report overage to Stripe now, as the daily job does; --dry-run shows what would be sent',
  usage: 'report-overage [--dry-run] [--tenant <tenant-id>]\n' +
    '  --dry-run   show what would be sent; write and send nothing\n' +
    '  --tenant    only this tenant',
  options: { 'dry-run': { type: 'boolean' }, tenant: { type: 'string' } },
  async run(options, context) {
    const tenantId = typeof options.tenant === 'string' ? options.tenant : undefined;
    if (tenantId !== undefined && !isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
    const dryRun = options['dry-run'] === true;
    // Stripe settings and the queue prefix (breaker keys shared with the workers) come from the env.
    const config = loadOverageReportConfig(context.env);
    const dataSource = await context.dataSource();
    let redis: RedisClient | null = null;
    try {
      // The breaker's keys live where the workers keep them: on the cluster when there is one.
      if (config.stripe.secretKey) redis = await openBreakerRedis(context);
      const reporter = createOverageReporter(config, { dataSource, redis, logger: context.logger, clock: context.clock });
      const result = await reporter.run({ dryRun, tenantId });
      return { text: resultText(result), json: result };
    } finally {
      await redis?.quit().catch(() => redis?.disconnect());
    }
  },
};
