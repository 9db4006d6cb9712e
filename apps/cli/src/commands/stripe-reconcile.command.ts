import { createOverageReporter } from '@metering/billing';
import type { StripeCheckLine } from '@metering/billing';
import { isUuid, loadOverageReportConfig } from '@metering/platform';
import type { RedisClient } from '@metering/platform';
import { openBreakerRedis } from './breaker-redis';
import { CliUsageError } from '../cli-command';
import type { CliCommand } from '../cli-command';

function lineText(line: StripeCheckLine): string {
  const period = `${line.periodStart.slice(0, 10)} → ${line.periodEnd.slice(0, 10)}`;
  const numbers = line.stripeQuantity === null ? `ledger ${line.ledgerQuantity}` : `ledger ${line.ledgerQuantity}, Stripe ${line.stripeQuantity}`;
  return `  ${line.tenantId} ${line.agent.padEnd(8)} ${period} (${line.stripeCustomerId}): ${line.outcome.toUpperCase()} (${numbers})${line.detail ? `: ${line.detail}` : ''}`;
}

export const stripeReconcileCommand: CliCommand = {
  name: 'stripe-reconcile',
  summary: "Compare Stripe's meter event summaries with the ledger: re-send what Stripe lost, alert what it holds too much of",
  usage: 'stripe-reconcile [--tenant <tenant-id>]\n  --tenant   only this tenant',
  options: { tenant: { type: 'string' } },
  async run(options, context) {
    const tenantId = typeof options.tenant === 'string' ? options.tenant : undefined;
    if (tenantId !== undefined && !isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
    const config = loadOverageReportConfig(context.env);
    const dataSource = await context.dataSource();
    let redis: RedisClient | null = null;
    try {
      if (config.stripe.secretKey) redis = await openBreakerRedis(context);
      const reporter = createOverageReporter(config, { dataSource, redis, logger: context.logger, clock: context.clock });
      const result = await reporter.reconcileWithStripe({ tenantId });
      let text: string;
      if (result.status === 'disabled') text = 'Stripe reconciliation is disabled: STRIPE_SECRET_KEY is not set.';
      else if (result.status === 'busy') text = 'An overage report is running; nothing was compared. Try again when it has finished.';
      else if (result.lines.length === 0) text = 'Nothing to compare: the ledger has sent nothing to Stripe in its 35-day window.';
      else {
        const totals = Object.entries(result.totals).map(([outcome, n]) => `${outcome} ${n}`).join(' · ');
        text = ['Stripe reconciliation:', ...result.lines.map(lineText), `Totals: ${totals}`].join('\n');
      }
      return { text, json: result };
    } finally {
      await redis?.quit().catch(() => redis?.disconnect());
    }
  },
};
