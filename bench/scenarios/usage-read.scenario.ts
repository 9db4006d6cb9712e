import { STARTER_LIMITS, resetData, seedTenants } from '../harness/bench-data';
import { alternateWithBareExpress, roundsReadResult } from '../harness/http-load';
import type { Scenario } from '../harness/scenario';
import { benchToken } from '../harness/tokens';

/**
 * `GET /api/v1/usage` with valid tokens of 1,000 tenants in rotation against a bare Express JSON
 * route in its own process, both under autocannon with the same connections and duration.
 */
export const usageReadScenario: Scenario = {
  name: 'usage-read',
  memoryTargets: { api: false, worker: false },
  async run(ctx) {
    const { env } = ctx;
    const { readConnections: connections, readSeconds: seconds } = ctx.sizes;
    await resetData(env.db);
    const { tenantIds, period } = await seedTenants(env.db, ctx.sizes.readTenants, STARTER_LIMITS);
    // Counters around the limits, so responses carry overage and alerts as real ones do.
    await env.db.query(
      `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count)
       SELECT t.id, a.agent, $2, $3, (abs(hashtext(t.id::text || a.agent)) % 1200)
         FROM unnest($1::uuid[]) AS t(id) CROSS JOIN (VALUES ('inbox'), ('invoice'), ('meeting')) AS a(agent)`,
      [tenantIds, period.start, period.end],
    );
    const tokens = tenantIds.map((id) => benchToken(id, ['user']));

    const { runs, median } = await alternateWithBareExpress(ctx, `${env.apiUrl}/api/v1/usage`, tokens, `GET /api/v1/usage across ${tenantIds.length} tenants`);

    // Spot check: what the API answers is what the counters say.
    const wrong: string[] = [];
    for (const tenantId of tenantIds.slice(0, 20)) {
      const response = await fetch(`${env.apiUrl}/api/v1/usage`, { headers: { authorization: `Bearer ${benchToken(tenantId, ['user'])}` } });
      const body = (await response.json()) as { usage: Record<string, { count: number }> };
      const rows: Array<{ agent: string; count: string }> = await env.db.query(
        `SELECT agent, count FROM usage_counters WHERE tenant_id = $1`,
        [tenantId],
      );
      for (const row of rows) if (body.usage[row.agent]?.count !== Number(row.count)) wrong.push(`${tenantId}/${row.agent}`);
    }
    return roundsReadResult({
      runs,
      median,
      size: { tenants: tenantIds.length, connections, seconds, rounds: ctx.sizes.rounds },
      wrong: wrong.length,
      // Issue 19 (was >= 50%, p99 <= 3x).
      minRatio: 0.75,
      maxP99Ratio: 2,
    });
  },
};
