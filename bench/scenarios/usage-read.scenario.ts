import type { AutocannonResult } from 'autocannon';
import { freePort } from '@metering/testing';
import { resetData, seedTenants } from '../harness/bench-data';
import { STARTER_LIMITS } from '../harness/bench-data';
import { ratioTarget } from '../harness/bench-report';
import { latencyOf, load } from '../harness/http-load';
import { ChildScript } from '../harness/child-script';
import { medianRound } from '../harness/rounds';
import type { Scenario } from '../harness/scenario';
import { benchToken } from '../harness/tokens';

const WARM_UP_SECONDS = 2;


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

    const port = await freePort();
    const bare = await new ChildScript('bench/baselines/bare-express.server.ts', { PORT: String(port) }).start();
    const runs: Array<{ baseline: AutocannonResult; project: AutocannonResult }> = [];
    try {
      // Warm both up once, then alternate: a burst of other work on the machine lands in one round.
      await load(`http://127.0.0.1:${port}/json`, connections, WARM_UP_SECONDS);
      await load(`${env.apiUrl}/api/v1/usage`, connections, WARM_UP_SECONDS, tokens);
      for (let round = 0; round < ctx.sizes.rounds; round++) {
        ctx.log(`round ${round + 1}: baseline: bare Express JSON route, ${connections} connections, ${seconds} s`);
        let cpu = env.cpuMeter();
        const baseline = await load(`http://127.0.0.1:${port}/json`, connections, seconds);
        ctx.log(`  ${Math.round(baseline.requests.average)} req/s; CPU us per request: ${cpu.perUnit(baseline.requests.total)}`);
        ctx.log(`round ${round + 1}: project: GET /api/v1/usage across ${tenantIds.length} tenants, ${connections} connections, ${seconds} s`);
        cpu = env.cpuMeter();
        const project = await load(`${env.apiUrl}/api/v1/usage`, connections, seconds, tokens);
        ctx.log(`  ${Math.round(project.requests.average)} req/s; CPU us per request: ${cpu.perUnit(project.requests.total)}`);
        runs.push({ baseline, project });
      }
    } finally {
      await bare.stop();
    }
    // The round with the median req/s ratio is reported, its latencies included.
    const { baseline, project } = medianRound(
      runs.map((run) => ({ baseline: run.baseline.requests.average, project: run.project.requests.average, run })),
    ).run;

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
        detail: `${total} requests, ${failures} not 2xx/errors/timeouts, ${wrong.length} of 20 spot-checked counts wrong`,
      },
      targets: [
        ratioTarget('req/s', ratio, 0.5),
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
