import { isUuid } from '@metering/platform';
import { CliUsageError } from '../cli-command';
import type { CliCommand } from '../cli-command';
import { deadLetterFilter, deadLettersService } from './dead-letters.command';

export const replayDeadLettersCommand: CliCommand = {
  name: 'replay-dead-letters',
  summary: 'Count dead-lettered events again once their cause is fixed; counted ones are marked replayed',
  usage: 'replay-dead-letters (--id <dead-letter-id> ... | --all [--tenant <tenant-id>] [--reason <reason>])',
  options: { id: { type: 'string', multiple: true }, all: { type: 'boolean' }, tenant: { type: 'string' }, reason: { type: 'string' } },
  async run(options, context) {
    const ids = Array.isArray(options.id) ? options.id : [];
    if (ids.length === 0 && options.all !== true) throw new CliUsageError('name the dead letters with --id, or replay every open one with --all');
    const bad = ids.find((id) => !isUuid(id));
    if (bad) throw new CliUsageError(`--id ${bad} is not a dead letter id (a UUID)`);
    const lines = await (await deadLettersService(context)).replay({ ids, ...deadLetterFilter(options) });
    const counted = lines.filter((l) => l.outcome === 'counted').length;
    const duplicates = lines.filter((l) => l.outcome === 'duplicate').length;
    const refused = lines.filter((l) => l.outcome === 'still_refused');
    const text = [
      `Replayed ${lines.length}: counted ${counted}, already counted ${duplicates}, still refused ${refused.length}`,
      ...refused.map((l) => `  ${l.id} tenant ${l.tenantId} key ${l.idempotencyKey}: ${l.detail}`),
    ].join('\n');
    return { text, json: lines };
  },
};
