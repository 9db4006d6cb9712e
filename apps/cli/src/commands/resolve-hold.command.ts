import { isUuid } from '@metering/platform';
import { CounterHoldsRepository } from '@metering/usage';
import { CliUsageError, requireString } from '../cli-command';
import type { CliCommand } from '../cli-command';

export const resolveHoldCommand: CliCommand = {
  name: 'resolve-hold',
  summary: 'Resolve a counter hold so billing uses the counter again (optionally setting it to its events first)',
  usage: 'resolve-hold --id <hold-id> --note <what was checked> [--correct]\n' +
    '  --correct   set the counter to the sum of its events (the source of truth) before billing resumes',
  options: { id: { type: 'string' }, note: { type: 'string' }, correct: { type: 'boolean' } },
  async run(options, context) {
    const id = requireString(options, 'id');
    if (!isUuid(id)) throw new CliUsageError('--id must be a hold id (a UUID)');
    const note = requireString(options, 'note');
    const resolved = await new CounterHoldsRepository(await context.dataSource()).resolve(id, note, options.correct === true, context.clock());
    if (!resolved) throw new CliUsageError(`no open hold has id ${id} (see: npm run usage -- holds)`);
    const { hold, count } = resolved;
    return {
      text: `Hold ${hold.id} resolved: tenant ${hold.tenantId} ${hold.agent} ${hold.periodStart.toISOString().slice(0, 10)} is billed again at ${count}${options.correct === true ? ' (set to its events)' : ''}.`,
      json: resolved,
    };
  },
};
