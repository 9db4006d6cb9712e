import { JOBS } from '@metering/usage';
import { resetData, seedTenants, verifyCountedExactly } from '../harness/bench-data';
import { runMaintenanceJob } from '../harness/maintenance-job';
import type { Scenario } from '../harness/scenario';

const BARE_GROUP_BY = `SELECT tenant_id, agent, sum(quantity) FROM usage_events GROUP BY tenant_id, agent`;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/**
 * 1,000,000 events across 1,000 tenants (generated set-based), counters built from them, then 1%
 * of counters nudged by one (drift the run must correct). The reconcile job of the running worker
 * against a bare GROUP BY over the same rows, both on a warm cache.
 */
export const reconcileScenario: Scenario = {
  name: 'reconcile',
  memoryTargets: { api: false, worker: false },
  async run(ctx) {
    const { db } = ctx.env;
    const { reconcileEvents: count, reconcileTenants } = ctx.sizes;
    await resetData(db);
    const { tenantIds, period } = await seedTenants(db, reconcileTenants);
    ctx.log(`generating ${count.toLocaleString('en-US')} events across ${tenantIds.length} tenants`);
    await db.query(
      `INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
       SELECT ($1::uuid[])[1 + g % $3], a.agent, a.action, 'rec-' || g, 1, 'rec-' || g,
              $2::timestamptz + (g % 86400) * interval '1 second', $2::timestamptz
         FROM generate_series(0, $4::int - 1) g
         JOIN (VALUES (0, 'inbox', 'email_processed'), (1, 'invoice', 'invoice_detected'), (2, 'meeting', 'meeting_prep'))
              AS a(n, agent, action) ON a.n = (g / $3) % 3`,
      [tenantIds, period.start, tenantIds.length, count],
    );
    await db.query(`INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) SELECT tenant_id, idempotency_key, occurred_at FROM usage_events`);
    await db.query(
      `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count, last_event_at)
       SELECT tenant_id, agent, period_start, $1, sum(quantity), max(occurred_at)
         FROM usage_events GROUP BY tenant_id, agent, period_start`,
      [period.end],
    );
    const [{ nudged }] = await db.query(
      `WITH n AS (UPDATE usage_counters SET count = count + 1 WHERE abs(hashtext(id::text)) % 100 = 0 RETURNING 1)
       SELECT count(*)::int AS nudged FROM n`,
    );
    // As autovacuum leaves a table that has settled: statistics and visibility map up to date.
    await db.query('VACUUM ANALYZE usage_events');
    await db.query('VACUUM ANALYZE usage_counters');

    ctx.log('baseline: bare GROUP BY (after one warm-up run)');
    await timed(() => db.query(BARE_GROUP_BY));
    const baselineMs = await timed(() => db.query(BARE_GROUP_BY));
    // Warm-up as for the baseline: a dry run reads the same index pages and changes nothing.
    await runMaintenanceJob(ctx.env, JOBS.reconcileUsageCounters, { trigger: 'operator', dry_run: true }, 300_000);
    ctx.log('project: reconcile-usage-counters job');
    const { ms, result } = await runMaintenanceJob(ctx.env, JOBS.reconcileUsageCounters, { trigger: 'operator' }, 300_000);
    const [run] = await db.query(`SELECT counters_checked, counters_corrected, counters_alerted, status,
              extract(epoch FROM finished_at - started_at) * 1000 AS run_ms FROM reconciliation_runs ORDER BY started_at DESC LIMIT 1`);
    const check = await verifyCountedExactly(db, count);
    const corrected = Number(run?.counters_corrected);
    const ok = check.ok && run?.status === 'succeeded' && corrected === nudged;
    const baseline = count / (baselineMs / 1000);
    const project = count / (ms / 1000);
    return {
      size: { events: count, tenants: tenantIds.length },
      unit: 'events/s',
      baseline: { name: 'bare GROUP BY', rate: baseline },
      project: { rate: project },
      ratio: project / baseline,
      correctness: { ok, detail: `${check.detail}; nudged ${nudged}, corrected ${corrected}, run ${run?.status} in ${Math.round(Number(run?.run_ms))} ms of ${ms} ms job ${JSON.stringify(result)}` },
      targets: [
        {
          name: 'run time',
          expected: '<= 2x bare GROUP BY',
          actual: `${(ms / 1000).toFixed(2)} s vs ${(baselineMs / 1000).toFixed(2)} s`,
          pass: ms <= 2 * baselineMs,
        },
      ],
    };
  },
};
