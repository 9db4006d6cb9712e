import { BillingCreditsRepository } from '@metering/billing';
import { isUuid } from '@metering/platform';
import { CliUsageError, requireString } from '../cli-command';
import type { CliCommand } from '../cli-command';

const cents = (amount: number): string => `${(amount / 100).toFixed(2)}`;

export const creditsCommand: CliCommand = {
  name: 'credits',
  summary: 'List open credits: overage Stripe billed on a final invoice that a correction took back',
  usage: 'credits [--tenant <id>]',
  options: { tenant: { type: 'string' } },
  async run(options, context) {
    const tenantId = typeof options.tenant === 'string' ? options.tenant : undefined;
    if (tenantId !== undefined && !isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
    const credits = await new BillingCreditsRepository(await context.dataSource()).listOpen(tenantId);
    const text =
      credits.length === 0
        ? 'No open credits.'
        : [
            `${credits.length} open credits (issue each in Stripe, e.g. a credit note, then run settle-credit):`,
            ...credits.map(
              (c) =>
                `  ${c.id} tenant ${c.tenantId} ${c.agent} ${c.periodStart.toISOString().slice(0, 10)} → ${c.periodEnd.toISOString().slice(0, 10)}: ` +
                `${c.quantity} units, ${cents(c.amountCents)} (billed ${c.reportedQuantity}, owed ${c.owedQuantity}), since ${c.createdAt.toISOString()}`,
            ),
          ].join('\n');
    return { text, json: credits };
  },
};

export const settleCreditCommand: CliCommand = {
  name: 'settle-credit',
  summary: 'Mark an open credit settled once it has been issued in Stripe',
  usage: 'settle-credit --id <credit-id> --note <what was issued, e.g. credit note cn_...>',
  options: { id: { type: 'string' }, note: { type: 'string' } },
  async run(options, context) {
    const id = requireString(options, 'id');
    if (!isUuid(id)) throw new CliUsageError('--id must be a credit id (a UUID)');
    const note = requireString(options, 'note');
    const settled = await new BillingCreditsRepository(await context.dataSource()).settle(id, `cli:${context.env.USER ?? 'operator'}`, note, context.clock());
    if (!settled) throw new CliUsageError(`no open credit has id ${id} (see: npm run usage -- credits)`);
    return { text: `Credit ${settled.id} settled: ${settled.quantity} units (${cents(settled.amountCents)}) for tenant ${settled.tenantId}.`, json: settled };
  },
};
