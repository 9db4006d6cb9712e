import type { DataSource } from 'typeorm';
import { oldestUnsentClosedPeriodEnd } from '@metering/billing';
import { gauge } from '@metering/platform';

/*
 * Gauges read from Postgres at scrape time rather than set in memory: the value then survives
 * worker restarts, is the same on every worker, and moves when another process (the CLI, another
 * worker) changes the rows. The alerts on them (ops/prometheus/alerts.yml) depend on all three.
 */
let ledger: DataSource | undefined;

function ledgerGauge(name: string, help: string, sql: string): void {
  gauge({
    name,
    help,
    async collect() {
      if (!ledger?.isInitialized) return;
      try {
        const [row] = (await ledger.query(sql)) as Array<{ value: number | string }>;
        this.set(Number(row?.value ?? 0));
      } catch {
        // Postgres unreachable: keep the last value; a failing query must not break /metrics.
      }
    },
  });
}

ledgerGauge(
  'reconciliation_last_success_timestamp_seconds',
  'Unix time when the last full, non-dry-run reconciliation succeeded (0: never)',
  `SELECT COALESCE(EXTRACT(EPOCH FROM MAX(finished_at)), 0)::float8 AS value
     FROM reconciliation_runs
    WHERE status = 'succeeded' AND dry_run = false AND tenant_id IS NULL`,
);

// publish-usage-alerts hands rows over after 60 s and runs every minute: at 5 minutes a row is stuck.
ledgerGauge(
  'usage_alerts_unpublished',
  'Threshold alerts stored more than 5 minutes ago and still not handed to the usage-alerts queue',
  `SELECT count(*)::int AS value FROM usage_alerts WHERE published_at IS NULL AND created_at < now() - interval '5 minutes'`,
);

ledgerGauge(
  'usage_dead_letters_open',
  'Events in usage_dead_letters not replayed yet: accepted, but not counted',
  `SELECT count(*)::int AS value FROM usage_dead_letters WHERE replayed_at IS NULL`,
);

ledgerGauge(
  'usage_counter_holds_open',
  'Counters on hold after reconciliation found drift above the tolerance: not billed until an operator resolves them',
  `SELECT count(*)::int AS value FROM usage_counter_holds WHERE resolved_at IS NULL`,
);

ledgerGauge(
  'billing_open_credits',
  'Credits due on final invoices (a correction took back overage Stripe billed) not yet settled by an operator',
  `SELECT count(*)::int AS value FROM billing_credits WHERE status = 'open'`,
);

// A period whose latest comparison with Stripe's summary was not `matched`: resent (Stripe lost a
// meter event; the next run should find it matched), stripe_higher or unbilled (an operator's).
ledgerGauge(
  'stripe_reconciliation_mismatched_periods',
  "Periods whose latest comparison of Stripe's meter event summary with the ledger found them different",
  `SELECT count(*)::int AS value FROM (
     SELECT DISTINCT ON (tenant_id, agent, period_start) outcome
       FROM stripe_reconciliation_checks
      ORDER BY tenant_id, agent, period_start, checked_at DESC, id DESC) latest
    WHERE outcome <> 'matched'`,
);

// The close job sends a closed period's overage within minutes; the alert fires at 30 minutes.
gauge({
  name: 'billing_closed_period_unsent_seconds',
  help: 'Seconds since the end of the oldest closed billing period whose overage Stripe does not have yet (0: none)',
  async collect() {
    if (!ledger?.isInitialized) return;
    try {
      const now = new Date();
      const end = await oldestUnsentClosedPeriodEnd(ledger, now);
      this.set(end ? Math.max(0, (now.getTime() - end.getTime()) / 1000) : 0);
    } catch {
      // Postgres unreachable: keep the last value.
    }
  },
});

/** Makes /metrics report the gauges above from `dataSource` (the worker's own). */
export function exportLedgerMetrics(dataSource: DataSource): void {
  ledger = dataSource;
}
