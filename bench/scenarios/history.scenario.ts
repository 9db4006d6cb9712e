import type { AutocannonResult } from 'autocannon';
import { freePort } from '@metering/testing';
import { resetData, seedTenants } from '../harness/bench-data';
import { maxTarget } from '../harness/bench-report';
import { ChildScript } from '../harness/child-script';
import { latencyOf, load } from '../harness/http-load';
import type { Scenario } from '../harness/scenario';
import { benchToken } from '../harness/tokens';

const CONNECTIONS = 20;
const DAY_MS = 86_400_000;

/**
 * One tenant with 1,000,000 events this period (generated set-based, with the counters and the
 * hourly rollups the tracker would have written for them), then under 20 connections:
 * `GET /api/v1/usage/history` for a 31-day daily series and for a 7-day hourly series. Target:
 * p99 <= 50 ms each. Exactness: each daily series sums to its counter, and the hourly series to
 * a recount of the raw events of those 7 days.
 */
export const historyScenario: Scenario = {
  name: 'history',
  memoryTargets: { api: false, worker: false },
  async run(ctx) {
    const { db } = ctx.env;
    const count = ctx.sizes.historyEvents;
    const seconds = ctx.sizes.readSeconds;
    await resetData(db);
    const { tenantIds, period } = await seedTenants(db, 1);
    const tenantId = tenantIds[0]!;
    const spanSeconds = Math.floor((period.end.getTime() - period.start.getTime()) / 1000);
    ctx.log(`generating ${count.toLocaleString('en-US')} events for one tenant across the period`);
    await db.query(
      `INSERT INTO usage_events (tenant_id, agent, action_type, resource_id, quantity, idempotency_key, occurred_at, period_start)
       SELECT $1, a.agent, a.action, 'hist-' || g, 1, 'hist-' || g, $2::timestamptz + ((g::bigint * 7919) % $4) * interval '1 second', $2
         FROM generate_series(0, $3::int - 1) g
         JOIN (VALUES (0, 'inbox', 'email_processed'), (1, 'invoice', 'invoice_detected'), (2, 'meeting', 'meeting_prep'))
              AS a(n, agent, action) ON a.n = g % 3`,
      [tenantId, period.start, count, spanSeconds],
    );
    await db.query(`INSERT INTO usage_event_keys (tenant_id, idempotency_key, occurred_at) SELECT tenant_id, idempotency_key, occurred_at FROM usage_events`);
    await db.query(
      `INSERT INTO usage_counters (tenant_id, agent, period_start, period_end, count, last_event_at)
       SELECT tenant_id, agent, period_start, $1, sum(quantity), max(occurred_at) FROM usage_events GROUP BY 1, 2, 3`,
      [period.end],
    );
    await db.query(
      `INSERT INTO usage_rollups (tenant_id, agent, period_start, bucket_start, count)
       SELECT tenant_id, agent, period_start, date_trunc('hour', occurred_at, 'UTC'), sum(quantity) FROM usage_events GROUP BY 1, 2, 3, 4`,
    );
    // Every table just loaded, so autovacuum does not start on them during the measurement.
    await db.query('VACUUM ANALYZE usage_events, usage_event_keys, usage_counters, usage_rollups');

    const token = benchToken(tenantId, ['user']);
    const dailyTo = new Date(period.start.getTime() + 31 * DAY_MS);
    const daily = `${ctx.env.apiUrl}/api/v1/usage/history?from=${period.start.toISOString()}&to=${dailyTo.toISOString()}&window=day`;
    const hourlyFrom = new Date(period.start.getTime() + 7 * DAY_MS);
    const hourlyTo = new Date(hourlyFrom.getTime() + 7 * DAY_MS);
    const hourly = `${ctx.env.apiUrl}/api/v1/usage/history?from=${hourlyFrom.toISOString()}&to=${hourlyTo.toISOString()}&window=hour`;

    const port = await freePort();
    const bare = await new ChildScript('bench/baselines/bare-express.server.ts', { PORT: String(port) }).start();
    let baseline: AutocannonResult;
    let dailyRun: AutocannonResult;
    let hourlyRun: AutocannonResult;
    try {
      await load(daily, CONNECTIONS, 1, [token]);
      ctx.log(`baseline: bare Express JSON route, ${CONNECTIONS} connections, ${seconds} s`);
      baseline = await load(`http://127.0.0.1:${port}/json`, CONNECTIONS, seconds, [token]);
      ctx.log(`project: 31-day daily series, ${CONNECTIONS} connections, ${seconds} s`);
      dailyRun = await load(daily, CONNECTIONS, seconds, [token]);
      ctx.log(`  ${Math.round(dailyRun.requests.average)} req/s, p99 ${dailyRun.latency.p99} ms`);
      ctx.log(`project: 7-day hourly series, ${CONNECTIONS} connections, ${seconds} s`);
      hourlyRun = await load(hourly, CONNECTIONS, seconds, [token]);
      ctx.log(`  ${Math.round(hourlyRun.requests.average)} req/s, p99 ${hourlyRun.latency.p99} ms`);
    } finally {
      await bare.stop();
    }

    // Exactness: the API's series against the counters and a recount of the raw events.
    const problems: string[] = [];
    const get = async (url: string) =>
      (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as { series: Record<string, Array<{ count: number }>> };
    const dailyBody = await get(daily);
    const counters: Array<{ agent: string; count: string }> = await db.query(`SELECT agent, count FROM usage_counters WHERE tenant_id = $1`, [tenantId]);
    for (const row of counters) {
      const sum = (dailyBody.series[row.agent] ?? []).reduce((total, point) => total + point.count, 0);
      if (sum !== Number(row.count)) problems.push(`daily ${row.agent}: ${sum} != counter ${row.count}`);
    }
    const hourlyBody = await get(hourly);
    const recount: Array<{ agent: string; total: string }> = await db.query(
      `SELECT agent, sum(quantity) AS total FROM usage_events WHERE tenant_id = $1 AND occurred_at >= $2 AND occurred_at < $3 GROUP BY agent`,
      [tenantId, hourlyFrom, hourlyTo],
    );
    for (const row of recount) {
      const points = hourlyBody.series[row.agent] ?? [];
      const sum = points.reduce((total, point) => total + point.count, 0);
      if (sum !== Number(row.total) || points.length !== 168) problems.push(`hourly ${row.agent}: ${sum} (${points.length} points) != ${row.total}`);
    }
    const failures = [dailyRun, hourlyRun].reduce((sum, run) => sum + run.non2xx + run.errors + run.timeouts, 0);
    const worst = dailyRun.latency.p99 >= hourlyRun.latency.p99 ? dailyRun : hourlyRun;
    return {
      size: { events: count, connections: CONNECTIONS, seconds },
      unit: 'req/s',
      baseline: { name: 'bare Express JSON route', rate: baseline.requests.average, latencyMs: latencyOf(baseline) },
      project: { rate: Math.min(dailyRun.requests.average, hourlyRun.requests.average), latencyMs: latencyOf(worst) },
      ratio: Math.min(dailyRun.requests.average, hourlyRun.requests.average) / baseline.requests.average,
      correctness: {
        ok: failures === 0 && problems.length === 0,
        detail: `${dailyRun.requests.total + hourlyRun.requests.total} requests, ${failures} not 2xx/errors/timeouts; ${problems.length ? problems.join('; ') : 'daily sums = counters, hourly sums = raw recount'}`,
      },
      targets: [maxTarget('31-day daily p99', dailyRun.latency.p99, 50, 'ms'), maxTarget('7-day hourly p99', hourlyRun.latency.p99, 50, 'ms')],
    };
  },
};
