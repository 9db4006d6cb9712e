import { UsageRolloverService } from '@metering/usage';
import type { CliCommand } from '../cli-command';
import { createProgressBar } from '../progress-bar';

export const resetCommand: CliCommand = {
  name: 'reset',
  summary: 'Roll subscriptions whose period ended into the next period, with zeroed counters (idempotent)',
  usage: 'reset',
  options: {},
  async run(_options, context) {
    const progress = createProgressBar('Rolling over', context.interactive);
    const service = new UsageRolloverService(await context.dataSource(), { logger: context.logger, clock: context.clock });
    try {
      const summary = await service.rollOver({ onProgress: (done, total) => progress.update(done, total) });
      const text =
        summary.subscriptionsRolled === 0
          ? 'No billing period has ended: nothing to roll over.'
          : `Rolled ${summary.subscriptionsRolled} subscription(s) over ${summary.periodsAdvanced} period(s); created ${summary.countersCreated} zeroed counter(s).`;
      return { text, json: summary };
    } finally {
      progress.finish();
    }
  },
};
