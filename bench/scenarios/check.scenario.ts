import type { AutocannonResult } from 'autocannon';
import { freePort } from '@metering/testing';
import { STARTER_LIMITS, resetData, seedTenants } from '../harness/bench-data';
import { ratioTarget } from '../harness/bench-report';
import { ChildScript } from '../harness/child-script';
import { latencyOf, load } from '../harness/http-load';
import { medianRound } from '../harness/rounds';
import type { Scenario } from '../harness/scenario';
import { benchToken } from '../harness/tokens';

/**
 * `GET /api/v1/usage/check?agent=inbox&quantity=1` with agent tokens of 1,000 tenants in rotation
 * (half of them on a plan that blocks inbox at its limit) against the bare Express JSON route.
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

    const port = await freePort();
    const bare = await new ChildScript('bench/baselines/bare-express.server.ts', { PORT: String(port) }).start();
    const runs: Array<{ baseline: AutocannonResult; project: AutocannonResult }> = [];
    try {
      await load(`http://127.0.0.1:${port}/json`, connections, 2);
      await load(url, connections, 2, tokens);
      for (let round = 0; round < ctx.sizes.rounds; round++) {
        ctx.log(`round ${round + 1}: baseline, then GET /api/v1/usage/check across ${tenantIds.length} tenants, ${connections} connections, ${seconds} s`);
        const baseline = await load(`http://127.0.0.1:${port}/json`, connections, seconds);
        const project = await load(url, connections, seconds, tokens);
        ctx.log(`  baseline ${Math.round(baseline.requests.average)} req/s, check ${Math.round(project.requests.average)} req/s`);
        runs.push({ baseline, project });
      }
    } finally {
      await bare.stop();
    }
    const { baseline, project } = medianRound(
      runs.map((run) => ({ baseline: run.baseline.requests.average, project: run.project.requests.average, run })),
    ).run;

    const wrong: string[] = [];
    for (const tenantId of tenantIds.slice(0, 20)) {
      const response = await fetch(url, { headers: { authorization: `Bearer ${benchToken(tenantId, ['agent'])}` } });
      const body = (await response.json()) as { count: number; limit: number; allowed: boolean };
      const [row] = await env.db.query(`SELECT count FROM usage_counters WHERE tenant_id = $1 AND agent = 'inbox'`, [tenantId]);
      const count = Number(row.count);
      if (body.count !== count || body.limit !== 1000 || body.allowed !== count + 1 <= 1000) wrong.push(tenantId);
    }
    const failures = runs.reduce((sum, run) => sum + run.project.non2xx + run.project.errors + run.project.timeouts, 0);
    const total = runs.reduce((sum, run) => sum + run.project.requests.total, 0);
    const ratio = project.requests.average / baseline.requests.average;
    const p99Ratio = project.latency.p99 / Math.max(baseline.latency.p99, 1);
    return {
      size: { tenants: tenantIds.length, connections, seconds, rounds: ctx.sizes.rounds },
      unit: 'req/s',
      baseline: { name: 'bare Express JSON route', rate: baseline.requests.average, latencyMs: latencyOf(baseline) },
      project: { rate: project.requests.average, latencyMs: latencyOf(project) },
      ratio,
      rounds: runs.map((run) => ({ baseline: run.baseline.requests.average, project: run.project.requests.average })),
      correctness: {
        ok: failures === 0 && wrong.length === 0 && total > 0,
        detail: `${total} requests, ${failures} not 2xx/errors/timeouts, ${wrong.length} of 20 spot-checked answers wrong`,
      },
      targets: [
        ratioTarget('req/s', ratio, 0.8),
        {
          name: 'p99',
          expected: '<= 3x baseline p99',
          actual: `${project.latency.p99} ms vs ${baseline.latency.p99} ms (${p99Ratio.toFixed(1)}x)`,
          pass: project.latency.p99 <= 3 * Math.max(baseline.latency.p99, 1),
        },
      ],
    };
  },
};
