import { Queue } from 'bullmq';
import { JOBS, QUEUES, calendarMonthOf } from '@metering/usage';
import { counterSum, resetData, runPool, seedTenants } from '../harness/bench-data';
import { ratioTarget } from '../harness/bench-report';
import { load } from '../harness/http-load';
import { runMaintenanceJob } from '../harness/maintenance-job';
import { copyDatabase, ensureStoredDatabase, eventBytes, generateStoredEvents, monthsBack, settleWrites } from '../harness/scale-data';
import type { Scenario, ScenarioContext } from '../harness/scenario';
import { benchToken } from '../harness/tokens';
import { EVENTS_PER_JOB, jobEvents } from './ingest-bulk.scenario';
import { waitForDrainedQueue } from './ingest-single.scenario';

const DAY_MS = 86_400_000;
const JOBS_IN_FLIGHT = 16;
const HISTORY_CONNECTIONS = 20;
const MIN_RATIO = 0.9;

/** The rates of one database state; reconcile in events of its scope per second. */
interface PhaseRates {
  ingest: number;
  usageRead: number;
  history: number;
  events: number;
  reconcile: number;
  reconcileSeconds: number;
  reconcileScopeEvents: number;
}

/**
 * The cost curve: the same measurements on an empty database and on one holding 20,000,000 events
 * across 12 months and 2,000 tenants (`--quick`: 200,000). Measured: worker commit throughput
 * (track-events jobs of 100), `GET /api/v1/usage`, `GET /api/v1/usage/history` (a daily series of
 * the current period), `GET /api/v1/usage/events` (the newest page) with the tenants in rotation,
 * and the reconcile job. The empty side gets the current month's share of the events before it
 * reconciles, so both sides recount a full current month; reconcile is compared in events of its
 * scope per second. Target: every rate with the events stored >= 90% of the empty database's.
 * The stored database is generated once (generate_series, keys built after the load) and reused
 * while its fingerprint (shape, migrations, month) matches; each run works on a file copy.
 */
export const scaleScenario: Scenario = {
  name: 'scale',
  memoryTargets: { api: false, worker: false },
  async run(ctx) {
    const { env } = ctx;
    const shape = { events: ctx.sizes.scaleEvents, tenants: ctx.sizes.scaleTenants, months: 12 };
    const perMonth = Math.floor(shape.events / shape.months);

    const stored = await ensureStoredDatabase(env.serverUrl, shape, ctx.log);
    if (!stored.generated) ctx.log(`reusing stored database ${stored.name}`);
    const copy = `${env.databaseName}_scale`;
    const copySeconds = await copyDatabase(env.serverUrl, stored.name, copy);
    ctx.log(`copied ${stored.name} in ${copySeconds.toFixed(1)} s`);

    await resetData(env.db);
    await env.resetQueues();
    const { tenantIds } = await seedTenants(env.db, shape.tenants);
    // As autovacuum leaves a settled database (the stored one is vacuumed too).
    await env.db.query('VACUUM ANALYZE');
    const sides = { empty: { database: env.databaseName, tenantIds }, stored: { database: copy, tenantIds: [] as string[] } };
    // Alternating rounds (E S E S E S), the median of each side kept: other work on this shared machine
    // slows single measurements by 2-5x, and a generation or copy leaves the disk busy for a while.
    const measured: Record<keyof typeof sides, PhaseRates[]> = { empty: [], stored: [] };
    let current: string = env.databaseName;
    const rounds = ctx.sizes.rounds;
    for (let round = 1; round <= rounds; round++) {
      for (const name of ['empty', 'stored'] as const) {
        const side = sides[name];
        if (current !== side.database) {
          ctx.log(`restarting the api and worker on ${side.database}`);
          await env.useDatabase(side.database);
          current = side.database;
        }
        if (side.tenantIds.length === 0) side.tenantIds = (await env.db.query(`SELECT tenant_id FROM subscriptions ORDER BY 1`)).map((r: { tenant_id: string }) => r.tenant_id);
        const waited = await settleWrites(env.db);
        if (waited >= 1) ctx.log(`waited ${waited.toFixed(0)} s for pending writes to reach the disk`);
        ctx.log(`round ${round}: ${name === 'empty' ? (round === 1 ? 'empty database' : 'no history (the current month only)') : 'events stored'}`);
        const addCurrentMonth = name === 'empty' && round === 1;
        const rates = await measurePhase(ctx, side.tenantIds, `${name}-r${round}`, async () => {
          if (!addCurrentMonth) return;
          ctx.log(`  adding the current month's ${perMonth.toLocaleString('en-US')} events for the reconcile`);
          await generateStoredEvents(env.db, side.tenantIds, monthsBack(new Date(), 1), perMonth, 'current');
          await env.db.query('VACUUM ANALYZE');
          await settleWrites(env.db);
        });
        measured[name].push(rates);
      }
    }
    const empty = medianOf(measured.empty);
    const full = medianOf(measured.stored);
    const bytes = await eventBytes(env.db);
    const perEvent = (n: number): number => n / Math.max(bytes.rows, 1);
    const eventTotal = bytes.events + bytes.eventIndexes + bytes.keys + bytes.keyIndexes;
    ctx.log(
      `bytes per stored event: events ${perEvent(bytes.events).toFixed(1)} + index ${perEvent(bytes.eventIndexes).toFixed(1)}` +
        ` + keys ${perEvent(bytes.keys).toFixed(1)} + key index ${perEvent(bytes.keyIndexes).toFixed(1)}` +
        ` = ${perEvent(eventTotal).toFixed(1)} (${bytes.rows.toLocaleString('en-US')} events)`,
    );
    ctx.log(
      `hourly rollups beside them: ${perEvent(bytes.rollups).toFixed(1)} + index ${perEvent(bytes.rollupIndexes).toFixed(1)} bytes per stored event` +
        ` (${bytes.rollupRows.toLocaleString('en-US')} rows)`,
    );

    const checks: Array<[string, keyof PhaseRates]> = [
      ['ingest events/s', 'ingest'],
      ['usage read req/s', 'usageRead'],
      ['history req/s', 'history'],
      ['events page req/s', 'events'],
      ['reconcile scope events/s', 'reconcile'],
    ];
    for (const [name, key] of checks) {
      ctx.log(`${name}: empty ${Math.round(empty[key])}, stored ${Math.round(full[key])} (${((full[key] / empty[key]) * 100).toFixed(0)}%)`);
    }
    ctx.log(
      `reconcile: empty ${empty.reconcileSeconds.toFixed(2)} s for ${empty.reconcileScopeEvents.toLocaleString('en-US')} events in scope, ` +
        `stored ${full.reconcileSeconds.toFixed(2)} s for ${full.reconcileScopeEvents.toLocaleString('en-US')} (of ${bytes.rows.toLocaleString('en-US')} stored)`,
    );
    const generated = stored.generated;
    return {
      size: {
        storedEvents: bytes.rows,
        tenants: shape.tenants,
        months: shape.months,
        bytesPerEvent: Math.round(perEvent(eventTotal)),
        rollupBytesPerEvent: Math.round(perEvent(bytes.rollups + bytes.rollupIndexes)),
        generateSeconds: generated ? Math.round(generated.totalSeconds) : 0,
      },
      unit: 'events/s',
      baseline: { name: 'ingest on an empty database', rate: empty.ingest },
      project: { rate: full.ingest },
      ratio: full.ingest / empty.ingest,
      correctness: await storedCorrectness(ctx),
      targets: checks.map(([name, key]) => ratioTarget(`${name} with ${bytes.rows.toLocaleString('en-US')} events stored`, full[key] / empty[key], MIN_RATIO)),
    };
  },
};

/** Per rate the median of a side's rounds (one burst of other work on the machine moves one round); reconcile time and scope go with the median reconcile. */
function medianOf(rounds: readonly PhaseRates[]): PhaseRates {
  const median = (key: keyof PhaseRates): number => [...rounds].map((r) => r[key]).sort((a, b) => a - b)[Math.floor((rounds.length - 1) / 2)]!;
  const reconcile = rounds.find((r) => r.reconcile === median('reconcile'))!;
  return {
    ingest: median('ingest'),
    usageRead: median('usageRead'),
    history: median('history'),
    events: median('events'),
    reconcile: reconcile.reconcile,
    reconcileSeconds: reconcile.reconcileSeconds,
    reconcileScopeEvents: reconcile.reconcileScopeEvents,
  };
}

async function measurePhase(ctx: ScenarioContext, tenantIds: string[], tag: string, beforeReconcile: () => Promise<void>): Promise<PhaseRates> {
  const { env } = ctx;
  const count = ctx.sizes.scaleIngestEvents;
  const base = await counterSum(env.db);
  const jobs = Math.ceil(count / EVENTS_PER_JOB);
  // Timed by the queue draining (as ingest-single): polling a sum over every counter would load the
  // stored side's Postgres more than the empty side's. Then checked exactly, once.
  const queue = new Queue(QUEUES.usageEvents, { connection: env.redis, prefix: env.queuePrefix });
  let ingest: number;
  try {
    await env.resetQueues();
    const cpu = env.cpuMeter();
    const started = Date.now();
    await runPool(jobs, JOBS_IN_FLIGHT, (j) => env.usageClient.trackMany(jobEvents(`scale-${tag}`, tenantIds, j, count)));
    ingest = count / (((await waitForDrainedQueue(queue, jobs, 300_000)) - started) / 1000);
    ctx.log(`  ingest: ${Math.round(ingest)} events/s (${count} events in track-events jobs of ${EVENTS_PER_JOB}); CPU us per event: ${cpu.perUnit(count)}`);
  } finally {
    await queue.close();
  }
  const counted = await counterSum(env.db);
  if (counted !== base + count) throw new Error(`ingest: counters moved by ${counted - base}, not ${count}`);

  const period = calendarMonthOf(new Date());
  const tokens = tenantIds.map((id) => benchToken(id, ['user']));
  const seconds = ctx.sizes.scaleReadSeconds;
  const rate = async (label: string, url: string, connections: number): Promise<number> => {
    // Warm-up: caches of the api (tokens, plans) and of Postgres (pages of this database).
    await load(url, connections, Math.max(1, Math.round(seconds / 4)), tokens);
    const result = await load(url, connections, seconds, tokens);
    const failures = result.non2xx + result.errors + result.timeouts;
    if (failures > 0) throw new Error(`${label}: ${failures} of ${result.requests.total} requests failed`);
    ctx.log(`  ${label}: ${Math.round(result.requests.average)} req/s, p99 ${result.latency.p99} ms`);
    return result.requests.average;
  };
  const usageRead = await rate('usage read', `${env.apiUrl}/api/v1/usage`, ctx.sizes.readConnections);
  const historyTo = new Date(period.start.getTime() + 31 * DAY_MS);
  const history = await rate('history', `${env.apiUrl}/api/v1/usage/history?from=${period.start.toISOString()}&to=${historyTo.toISOString()}&window=day`, HISTORY_CONNECTIONS);
  const events = await rate('events page', `${env.apiUrl}/api/v1/usage/events?limit=50`, HISTORY_CONNECTIONS);

  await beforeReconcile();
  const now = new Date();
  // The reconcile job's scope (RECONCILE_COUNTERS_SQL): every subscription here is in the current month.
  const since = new Date(Math.min(period.start.getTime() - 31 * DAY_MS, now.getTime() - 66 * DAY_MS));
  const [{ n: reconcileScopeEvents }] = await env.db.query(`SELECT count(*)::int AS n FROM usage_events WHERE occurred_at >= $1`, [since]);
  // Warm-up as the reconcile scenario does: a dry run reads the same pages and changes nothing.
  await runMaintenanceJob(env, JOBS.reconcileUsageCounters, { trigger: 'operator', dry_run: true }, 600_000);
  const { ms } = await runMaintenanceJob(env, JOBS.reconcileUsageCounters, { trigger: 'operator' }, 600_000);
  const reconcile = reconcileScopeEvents / (ms / 1000);
  ctx.log(`  reconcile: ${(ms / 1000).toFixed(2)} s for ${reconcileScopeEvents.toLocaleString('en-US')} events in scope (${Math.round(reconcile)} events/s)`);
  return { ingest, usageRead, history, events, reconcile, reconcileSeconds: ms / 1000, reconcileScopeEvents };
}

/** Every counter equals its events (recounted per current-month partition) and the last reconcile corrected nothing. */
async function storedCorrectness(ctx: ScenarioContext): Promise<{ ok: boolean; detail: string }> {
  const { db } = ctx.env;
  const [row] = await db.query(`
    SELECT (SELECT count(*) FROM usage_counters c
              FULL JOIN (SELECT tenant_id, agent, period_start, sum(quantity) AS total FROM usage_events GROUP BY 1, 2, 3) e
                     USING (tenant_id, agent, period_start)
             WHERE c.count IS DISTINCT FROM e.total)::int AS mismatched,
           (SELECT count(*) FROM usage_events)::bigint AS events,
           (SELECT count(*) FROM usage_event_keys)::bigint AS keys,
           (SELECT coalesce(sum(count), 0) FROM usage_counters)::bigint AS counted`);
  const [run] = await db.query(`SELECT status, counters_corrected, counters_alerted FROM reconciliation_runs ORDER BY started_at DESC LIMIT 1`);
  const ok = Number(row.mismatched) === 0 && row.events === row.keys && row.events === row.counted && run?.status === 'succeeded' && Number(run.counters_corrected) === 0;
  return {
    ok,
    detail: `events ${row.events}, keys ${row.keys}, counters sum ${row.counted}, counters off ${row.mismatched}; reconcile ${run?.status}, corrected ${run?.counters_corrected}`,
  };
}
