import { isUuid, loadUsageRulesConfig } from '@metering/platform';
import { correctionToWire, UsageCorrectionsService } from '@metering/usage';
import { CliUsageError, requireString } from '../cli-command';
import type { CliCommand } from '../cli-command';

export const correctionsCommand: CliCommand = {
  name: 'corrections',
  summary: "List a tenant's corrections, newest first (who, when, why, counter before and after)",
  usage: 'corrections --tenant <id>',
  options: { tenant: { type: 'string' } },
  async run(options, context) {
    const tenantId = requireString(options, 'tenant');
    if (!isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
    const { usage } = loadUsageRulesConfig(context.env);
    const service = new UsageCorrectionsService(await context.dataSource(), { logger: context.logger, invoiceGraceSeconds: usage.invoiceGraceSeconds });
    const list = await service.list(tenantId);
    const text =
      list.length === 0
        ? `Tenant ${tenantId} has no corrections.`
        : list
            .map(
              (c) =>
                `${c.createdAt.toISOString()}  ${c.correctionKey}  ${c.kind} ${c.agent} ${c.periodStart.toISOString().slice(0, 10)} ` +
                `${c.quantityDelta > 0 ? '+' : ''}${c.quantityDelta} (${c.counterBefore} → ${c.counterAfter}) by ${c.actor}: ${c.reason}`,
            )
            .join('\n');
    return { text, json: list.map(correctionToWire) };
  },
};
