import { loadUsageRulesConfig } from '@metering/platform';
import { correctionToWire, parseCorrectionRequest, UsageAlertsService, UsageCorrectionsService } from '@metering/usage';
import { CliUsageError, requireString } from '../cli-command';
import type { CliCommand, ParsedOptions } from '../cli-command';

/** The CLI's options as the API's wire body, so both are validated by the same parser. */
function wireOf(options: ParsedOptions): Record<string, unknown> {
  const common = { tenant_id: requireString(options, 'tenant'), correction_key: requireString(options, 'key'), reason: requireString(options, 'reason') };
  if (typeof options.void === 'string') {
    if (options.agent !== undefined || options.quantity !== undefined || options['period-start'] !== undefined) {
      throw new CliUsageError('--void takes no --agent, --period-start or --quantity: the event says what is taken back');
    }
    return { type: 'void', ...common, idempotency_key: options.void };
  }
  const quantity = requireString(options, 'quantity');
  if (!/^-?\d+$/.test(quantity)) throw new CliUsageError('--quantity must be a whole number, e.g. -5 or 12');
  return {
    type: 'adjustment',
    ...common,
    agent: requireString(options, 'agent'),
    period_start: requireString(options, 'period-start'),
    quantity: Number(quantity),
    ...(typeof options['occurred-at'] === 'string' && { occurred_at: options['occurred-at'] }),
  };
}

export const correctCommand: CliCommand = {
  name: 'correct',
  summary: 'Void a stored event or adjust a counter, with a reason (an append-only correction)',
  usage:
    'correct --tenant <id> --key <correction-key> --void <idempotency-key> --reason <why>\n' +
    '       correct --tenant <id> --key <correction-key> --agent <agent> --period-start <iso> --quantity <+/-n> [--occurred-at <iso>] --reason <why>\n' +
    '  --key     your key for this correction: running the same command again changes nothing\n' +
    '  --void    take back the stored event with this idempotency key (its whole quantity)',
  options: {
    tenant: { type: 'string' },
    key: { type: 'string' },
    void: { type: 'string' },
    agent: { type: 'string' },
    'period-start': { type: 'string' },
    quantity: { type: 'string' },
    'occurred-at': { type: 'string' },
    reason: { type: 'string' },
  },
  async run(options, context) {
    const request = parseCorrectionRequest(wireOf(options));
    const { usage } = loadUsageRulesConfig(context.env);
    const dataSource = await context.dataSource();
    const service = new UsageCorrectionsService(dataSource, {
      logger: context.logger,
      clock: context.clock,
      invoiceGraceSeconds: usage.invoiceGraceSeconds,
      alerts: new UsageAlertsService(dataSource, { trialLimits: usage.trialLimits, logger: context.logger }),
    });
    const { correction: c, replayed } = await service.apply(request, `cli:${context.env.USER ?? 'operator'}`);
    const what = c.kind === 'void' ? `voided event ${c.voidedIdempotencyKey} (${c.quantityDelta})` : `adjusted by ${c.quantityDelta > 0 ? '+' : ''}${c.quantityDelta}`;
    const text =
      `${replayed ? 'Already applied (nothing changed): ' : ''}correction ${c.correctionKey}: tenant ${c.tenantId} ${c.agent} ` +
      `period ${c.periodStart.toISOString().slice(0, 10)} ${what}; counter ${c.counterBefore} → ${c.counterAfter}. ` +
      'The next overage report sends the difference to Stripe (or records a credit if the invoice is final).';
    return { text, json: { correction: correctionToWire(c), replayed } };
  },
};
