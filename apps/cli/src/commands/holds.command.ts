import { CounterHoldsRepository } from '@metering/usage';
import type { CliCommand } from '../cli-command';

const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

export const holdsCommand: CliCommand = {
  name: 'holds',
  summary: 'List counters reconciliation put on hold (drift above 5%): not billed until resolved',
  usage: 'holds',
  options: {},
  async run(_options, context) {
    const holds = await new CounterHoldsRepository(await context.dataSource()).listOpen();
    const text =
      holds.length === 0
        ? 'No counters on hold.'
        : [
            `${holds.length} counters on hold (not billed until resolved with resolve-hold):`,
            ...holds.map(
              (h) => `  ${h.id} tenant ${h.tenantId} ${h.agent} ${h.periodStart.toISOString().slice(0, 10)}: counter ${h.counterCount}, events ${h.eventCount} (${percent(h.driftRatio)}), since ${h.createdAt.toISOString()}`,
            ),
          ].join('\n');
    return { text, json: holds };
  },
};
