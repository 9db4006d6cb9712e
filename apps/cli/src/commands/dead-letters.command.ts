import { isUuid, loadUsageRulesConfig } from '@metering/platform';
import { DEAD_LETTER_REASONS, DeadLettersService, occurredAtWindow } from '@metering/usage';
import type { DeadLetterReason, DeadLetterRow } from '@metering/usage';
import { CliUsageError } from '../cli-command';
import type { CliCommand, CliContext, ParsedOptions } from '../cli-command';

/** The service over the CLI's database, with the window and grace the workers use. */
export async function deadLettersService(context: CliContext): Promise<DeadLettersService> {
  const { usage } = loadUsageRulesConfig(context.env);
  return new DeadLettersService(await context.dataSource(), {
    logger: context.logger,
    clock: context.clock,
    window: occurredAtWindow(usage),
    invoiceGraceSeconds: usage.invoiceGraceSeconds,
  });
}

/** --tenant and --reason, checked. */
export function deadLetterFilter(options: ParsedOptions): { tenantId?: string; reason?: DeadLetterReason } {
  const tenantId = typeof options.tenant === 'string' ? options.tenant : undefined;
  if (tenantId !== undefined && !isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
  const reason = typeof options.reason === 'string' ? options.reason : undefined;
  if (reason !== undefined && !DEAD_LETTER_REASONS.includes(reason as DeadLetterReason)) {
    throw new CliUsageError(`--reason must be one of ${DEAD_LETTER_REASONS.join(', ')}`);
  }
  return { tenantId, reason: reason as DeadLetterReason | undefined };
}

function line(row: DeadLetterRow): string {
  return `  ${row.id} ${row.createdAt.toISOString()} tenant ${row.tenantId} key ${row.idempotencyKey} [${row.reason}] ${row.detail}`;
}

export const deadLettersCommand: CliCommand = {
  name: 'dead-letters',
  summary: 'List events the worker could not count (usage_dead_letters), with the reason',
  usage: 'dead-letters [--tenant <tenant-id>] [--reason <reason>] [--limit <n>]',
  options: { tenant: { type: 'string' }, reason: { type: 'string' }, limit: { type: 'string' } },
  async run(options, context) {
    const limit = typeof options.limit === 'string' ? Number(options.limit) : 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) throw new CliUsageError('--limit must be a whole number from 1 to 10000');
    const rows = await (await deadLettersService(context)).listOpen({ ...deadLetterFilter(options), limit });
    const text = rows.length === 0 ? 'No open dead letters.' : [`${rows.length} open dead letters (oldest first):`, ...rows.map(line)].join('\n');
    return { text, json: rows };
  },
};
