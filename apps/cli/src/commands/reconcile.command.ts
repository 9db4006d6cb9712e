import { UsageReconciliationService } from '@metering/usage';
import type { CounterDrift, ReconciliationSummary } from '@metering/usage';
import { CliUsageError } from '../cli-command';
import type { CliCommand } from '../cli-command';
import { createProgressBar } from '../progress-bar';
import { isUuid } from '@metering/platform';

const MAX_LINES = 50;

const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)}%`;

function driftLine(drift: CounterDrift): string {
  const tag = { corrected: 'corrected', would_correct: 'would correct', alerted: 'ALERT' }[drift.action];
  return `  [${tag}] ${drift.tenantId} ${drift.agent} ${drift.periodStart.slice(0, 10)}: counter ${drift.counted}, events ${drift.recounted} (${percent(drift.driftRatio)}${drift.kind === 'drift' ? '' : `, ${drift.kind.replace(/_/g, ' ')}`})`;
}

function summaryText(summary: ReconciliationSummary): string {
  const lines = [
    `Reconciliation ${summary.runId}${summary.dryRun ? ' (dry run: nothing changed)' : ''} · ${summary.tenantId ? `tenant ${summary.tenantId}` : 'all tenants'}`,
    `  checked ${summary.countersChecked} counters · corrected ${summary.countersCorrected} · alerted ${summary.countersAlerted} · largest drift ${percent(summary.maxDriftRatio)}`,
    ...summary.drifts.slice(0, MAX_LINES).map(driftLine),
  ];
  if (summary.drifts.length > MAX_LINES) lines.push(`  ... and ${summary.drifts.length - MAX_LINES} more (see reconciliation_runs)`);
  if (summary.countersAlerted > 0) lines.push('Drift above 5% is not corrected automatically: investigate before fixing it.');
  return lines.join('\n');
}

export const reconcileCommand: CliCommand = {
  name: 'reconcile',
  summary: 'Recount the counters of every billable period from the events; correct drift <= 5%, hold and alert above',
  usage: 'reconcile [--tenant <tenant-id>] [--dry-run]\n' +
    '  --tenant    only this tenant\n' +
    '  --dry-run   report and record the run, change no counter',
  options: { tenant: { type: 'string' }, 'dry-run': { type: 'boolean' } },
  async run(options, context) {
    const tenantId = typeof options.tenant === 'string' ? options.tenant : undefined;
    if (tenantId !== undefined && !isUuid(tenantId)) throw new CliUsageError('--tenant must be a tenant id (a UUID)');
    const progress = createProgressBar('Reconciling', context.interactive);
    const service = new UsageReconciliationService(await context.dataSource(), { logger: context.logger, clock: context.clock });
    try {
      const summary = await service.reconcile({
        tenantId,
        dryRun: options['dry-run'] === true,
        onProgress: (done, total) => progress.update(done, total),
      });
      return { text: summaryText(summary), json: summary };
    } finally {
      progress.finish();
    }
  },
};
