import type { DataSource } from 'typeorm';
import { gauge } from '@metering/platform';

/*
 * Read from reconciliation_runs at scrape time rather than set in memory after a run: the value
 * then survives worker restarts, is the same on every worker, and moves when an operator re-runs
 * reconciliation from the CLI (another process). The alert "not successful within 26 hours"
 * (ops/prometheus/alerts.yml) depends on all three.
 */
const LAST_SUCCESS_SQL = `
  SELECT COALESCE(EXTRACT(EPOCH FROM MAX(finished_at)), 0)::float8 AS seconds
    FROM reconciliation_runs
   WHERE status = 'succeeded' AND dry_run = false AND tenant_id IS NULL`;

let ledger: DataSource | undefined;

gauge({
  name: 'reconciliation_last_success_timestamp_seconds',
  help: 'Unix time when the last full, non-dry-run reconciliation succeeded (0: never)',
  async collect() {
    if (!ledger?.isInitialized) return;
    try {
      const [row] = (await ledger.query(LAST_SUCCESS_SQL)) as Array<{ seconds: number }>;
      this.set(Number(row?.seconds ?? 0));
    } catch {
      // Postgres unreachable: keep the last value; a failing query must not break /metrics.
    }
  },
});

/** Makes /metrics report the last successful reconciliation recorded in `dataSource`. */
export function exportReconciliationFreshness(dataSource: DataSource): void {
  ledger = dataSource;
}
