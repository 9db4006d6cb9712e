import { STARTER_LIMITS, resetData, seedTenants } from '../harness/bench-data';
import { alternateWithBareExpress, roundsReadResult } from '../harness/http-load';
import type { Scenario } from '../harness/scenario';
import { benchToken } from '../harness/tokens';

/**
 * `GET /api/v1/usage/check?agent=inbox&quantity=1` with agent tokens of 1,000 tenants in rotation
 * (their plan blocks inbox at its limit; counters 0-1,199, so some are refused) against the bare
 * Express JSON route.
 * Targets: >= 80% of the baseline's req/s, p99 <= 3x. Exactness: every spot-checked answer's
 * count, limit and allowed match the counters and the plan.
 */
export const checkScenario: Scenario = {
  name: 'check',
  memoryTargets: { api: false, worker: false },
  async run(ctx) {
    const { env } = ctx;
    const { readConnections: connections, readSeconds: seconds } = ctx.sizes;
    await resetData(env.db);
    const { tenantIds, period } = await seedTenants(env.db, ctx.sizes.readTenants, STARTER_LIMITS);
    await env.db.query(`UPDATE plans SET limit_policies = '{"inbox":"block"}'`);
    await env.db.query(
      `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count)
       SELECT t.id, 'inbox', $2, $3, (abs(hashtext(t.id::text)) % 1200) FROM unnest($1::uuid[]) AS t(id)`,
      [tenantIds, period.start, period.end],
    );
    const tokens = tenantIds.map((id) => benchToken(id, ['agent']));
    const url = `${env.apiUrl}/api/v1/usage/check?agent=inbox&quantity=1`;

    const { runs, median } = await alternateWithBareExpress(ctx, url, tokens, `GET /api/v1/usage/check across ${tenantIds.length} tenants`);

    const wrong: string[] = [];
    for (const tenantId of tenantIds.slice(0, 20)) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${benchToken(tenantId, ['agent'])}` } });
      const body = (await response.json()) as { count: number; limit: number; allowed: boolean };
      const [row] = await env.db.query(`SELECT count FROM usage_counters WHERE tenant_id = $1 AND agent = 'inbox'`, [tenantId]);
      const count = Number(row.count);
      if (body.count !== count || body.limit !== 1000 || body.allowed !== count + 1 <= 1000) wrong.push(tenantId);
    }
    return roundsReadResult({
      runs,
      median,
      size: { tenants: tenantIds.length, connections, seconds, rounds: ctx.sizes.rounds },
      wrong: wrong.length,
      minRatio: 0.8,
    });
  },
};
