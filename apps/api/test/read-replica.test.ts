/**
 * DATABASE_READ_URL against a real streaming standby: the test starts its own primary and a
 * `pg_basebackup -R` standby on free loopback ports, migrates the primary, and runs the API as
 * production does (`npm run start:api`) with DATABASE_URL = primary, DATABASE_READ_URL = standby.
 *
 * The proof that reads come from the standby: with replay paused there, a write on the primary is
 * invisible to the API's reads (the primary has it) until the lag passes the bound; then the
 * primary answers. Stopping the standby moves reads to the primary without a failed request.
 */
import type { DataSource } from 'typeorm';
import { createMeteringDataSource } from '@metering/billing';
import { ReadReplicaRouter, runMigrationsWithLock } from '@metering/platform';
import type { BillingPeriod } from '@metering/usage';
import { AppProcess, FaultProxy, ReplicatedPostgres, eventually, freePort, seedCountedUsage, seedPlan, seedTenant, uniqueQueuePrefix } from '@metering/testing';
import { capturingLogger, tokenFor } from './support/api-harness';

const MAX_LAG_MS = 4000;
const CHECK_MS = 200;
/** Longer than any per-process usage cache may be stale (1 s): a read after it comes from Postgres. */
const PAST_ANY_CACHE_MS = 1100;

let cluster: ReplicatedPostgres | undefined;
let primary: DataSource | undefined;
let api: AppProcess | undefined;
let apiUrl = '';
let metricsUrl = '';
let tenantId = '';
let period: BillingPeriod;
let written = 0;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  cluster = await ReplicatedPostgres.start();
  await cluster.createDatabase('metering');
  primary = createMeteringDataSource(cluster.primaryUrl('metering'), 2, 'usage-test');
  await primary.initialize();
  await runMigrationsWithLock(primary);
  const plan = await seedPlan(primary);
  ({ tenantId, period } = await seedTenant(primary, { planId: plan.id }));
  await write();

  const [port, metricsPort] = [await freePort(), await freePort()];
  apiUrl = `http://127.0.0.1:${port}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  api = await new AppProcess('api', {
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: cluster.primaryUrl('metering'),
      DATABASE_READ_URL: cluster.standbyUrl('metering'),
      DATABASE_READ_MAX_LAG_MS: String(MAX_LAG_MS),
      DATABASE_READ_CHECK_MS: String(CHECK_MS),
      DATABASE_POOL_SIZE: '4',
      QUEUE_PREFIX: uniqueQueuePrefix(),
      USAGE_RATE_LIMIT_PER_MINUTE: '100000',
      API_PORT: String(port),
      API_METRICS_PORT: String(metricsPort),
    },
    readyUrl: `${apiUrl}/health/ready`,
    readyTimeoutMs: 60_000,
  }).start();
}, 90_000);

afterAll(async () => {
  if (process.env.SHOW_API_LOGS) process.stderr.write(api?.logs ?? "");
  await api?.stop().catch(() => api?.kill());
  await primary?.destroy().catch(() => undefined);
  await cluster?.stop();
}, 60_000);

/** One more event and counted unit on the primary (both reads below see it once replicated). */
async function write(): Promise<void> {
  await seedCountedUsage(primary!, tenantId, 'inbox', period, 1);
  written += 1;
}

/** What the API reads: the usage count and the number of listed events, with their statuses. */
async function read(): Promise<{ count: number; events: number; statuses: number[] }> {
  const headers = { Authorization: `Bearer ${tokenFor(tenantId)}` };
  const [usage, events] = await Promise.all([
    fetch(`${apiUrl}/api/v1/usage`, { headers }),
    fetch(`${apiUrl}/api/v1/usage/events?limit=500`, { headers }),
  ]);
  const usageBody = usage.ok ? ((await usage.json()) as { usage: { inbox: { count: number } } }) : null;
  const eventsBody = events.ok ? ((await events.json()) as { data: unknown[] }) : null;
  return { count: usageBody?.usage.inbox.count ?? -1, events: eventsBody?.data.length ?? -1, statuses: [usage.status, events.status] };
}

/** The replica's series on the API's metrics port (a missing series is undefined). */
async function replicaMetrics(): Promise<{ lag?: number; up?: number; serving?: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string): number | undefined => {
    const match = new RegExp(`^${name}\\{replica="127\\.0\\.0\\.1:${cluster!.standbyPort}/metering"\\} (\\S+)$`, 'm').exec(text);
    return match ? Number(match[1]) : undefined;
  };
  return { lag: value('usage_db_replica_lag_seconds'), up: value('usage_db_replica_up'), serving: value('usage_db_replica_serving_reads') };
}

/**
 * Pauses replay on the standby and writes on the primary: the API's reads stay at the old numbers
 * (the standby answers) until the lag passes the bound, then show the write (the primary answers).
 * Replay resumes and reads go back to the standby.
 */
async function expectReadsFromStandbyUntilTheBound(): Promise<void> {
  await eventually(async () => (await replicaMetrics()).serving === 1, 20_000, 'reads on the standby');
  const before = written;
  await cluster!.pauseReplay();
  const writtenAt = Date.now();
  await write();
  await sleep(PAST_ANY_CACHE_MS);
  // Old numbers while the primary has the new ones: only the paused standby can have answered.
  const stale = await read();
  expect(stale).toEqual({ count: before, events: before, statuses: [200, 200] });
  expect(await counted(primary!)).toBe(before + 1);

  const fresh = await eventually(async () => {
    const now = await read();
    // Both reads at once: at the switch one of them may still have gone to the standby.
    return now.count === before + 1 && now.events === before + 1 ? now : undefined;
  }, 20_000, 'reads from the primary once the lag passes the bound');
  expect(fresh).toEqual({ count: before + 1, events: before + 1, statuses: [200, 200] });
  expect(Date.now() - writtenAt).toBeGreaterThanOrEqual(MAX_LAG_MS - 2 * CHECK_MS);
  const lagging = await replicaMetrics();
  expect(lagging).toMatchObject({ up: 1, serving: 0 });
  expect(lagging.lag).toBeGreaterThan(MAX_LAG_MS / 1000);

  await cluster!.resumeReplay();
  await eventually(async () => (await replicaMetrics()).serving === 1, 20_000, 'reads back on the standby');
  expect((await replicaMetrics()).lag).toBeLessThan(1);
}

async function counted(dataSource: DataSource): Promise<number> {
  const [row] = await dataSource.query(`SELECT count FROM usage_counters WHERE tenant_id = $1 AND agent = 'inbox'`, [tenantId]);
  return Number(row.count);
}

it('serves usage reads and the events list from the standby, and from the primary once the standby lags past the bound', async () => {
  await expectReadsFromStandbyUntilTheBound();
  // The API's read pool is connected to the standby under its own name.
  const [reader] = await cluster!.queryStandby<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'usage-api-read'`);
  expect(reader!.n).toBeGreaterThan(0);
  expect(api!.logs).toMatch(/reads go to the primary: the read replica is not fit for them.*"reason":"lagging"/);
  expect(api!.logs).toMatch(/reads go to the read replica/);
}, 60_000);

it('answers every read from the primary while the standby is down, and goes back to the standby when it returns', async () => {
  await cluster!.stopStandby();
  await write();
  const statuses: number[] = [];
  await eventually(async () => {
    const now = await read();
    statuses.push(...now.statuses);
    return now.count === written && now.events === written;
  }, 20_000, 'reads from the primary while the standby is down');
  expect(statuses.every((status) => status === 200)).toBe(true);
  const down = await eventually(async () => {
    const metrics = await replicaMetrics();
    return metrics.up === 0 ? metrics : undefined;
  }, 20_000, 'the replica reported down');
  expect(down).toEqual({ lag: undefined, up: 0, serving: 0 });
  expect(api!.logs).toMatch(/reads go to the primary: the read replica is not fit for them.*"reason":"(unavailable|query_error)"/);

  await cluster!.startStandby();
  await expectReadsFromStandbyUntilTheBound();
}, 90_000);

describe('the router in-process', () => {
  const routers: ReadReplicaRouter[] = [];
  afterAll(async () => {
    for (const router of routers) await router.stop();
  });

  function router(replicaUrl = cluster!.standbyUrl('metering')): { router: ReadReplicaRouter; lines: Array<Record<string, unknown>> } {
    const { logger, lines } = capturingLogger();
    const created = new ReadReplicaRouter({
      primary: primary!,
      replica: createMeteringDataSource(replicaUrl, 2, 'usage-test-read'),
      replicaUrl,
      maxLagMs: 600,
      checkMs: 100,
      logger,
    });
    routers.push(created);
    return { router: created, lines };
  }

  const onStandby = async (dataSource: DataSource): Promise<boolean> =>
    ((await dataSource.query('SELECT pg_is_in_recovery() AS standby')) as Array<{ standby: boolean }>)[0]!.standby;

  it('keeps reads on a current standby while the primary is idle (where now() - pg_last_xact_replay_timestamp() grows)', async () => {
    const { router: reads } = router();
    await reads.start();
    expect(reads.servingFromReplica).toBe(true);
    await sleep(1500);
    expect(reads.servingFromReplica).toBe(true);
    expect(await onStandby(reads.dataSource)).toBe(true);
    expect((await replicaMetrics()).lag).toBeLessThan(1);
    const [replay] = await cluster!.queryStandby<{ seconds: number }>(`SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float AS seconds`);
    // The naive measure would have called this standby 1.5 s behind, beyond its 0.6 s bound.
    expect(replay!.seconds).toBeGreaterThan(1.5);
  });

  it('starts on the primary when the standby is down, and moves to the standby once it answers', async () => {
    await cluster!.stopStandby();
    const { router: reads, lines } = router();
    await reads.start();
    expect(reads.servingFromReplica).toBe(false);
    expect(await onStandby(reads.dataSource)).toBe(false);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'reads go to the primary: the read replica is not fit for them', reason: 'unavailable' }));

    await cluster!.startStandby();
    await eventually(async () => reads.servingFromReplica, 20_000, 'reads on the standby once it is back');
    expect(await onStandby(reads.dataSource)).toBe(true);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', message: 'reads go to the read replica', reason: 'healthy' }));
  }, 30_000);

  it('moves reads to the primary when the standby stops answering in time, and back when it answers again', async () => {
    const proxy = await new FaultProxy({ target: { host: '127.0.0.1', port: cluster!.standbyPort } }).start();
    try {
      const { router: reads, lines } = router(proxy.url(cluster!.standbyUrl('metering')));
      await reads.start();
      expect(reads.servingFromReplica).toBe(true);

      // Every byte 3 s late: the check (which must answer within the 0.6 s bound) times out.
      proxy.delay(3000);
      await eventually(async () => !reads.servingFromReplica, 10_000, 'reads on the primary while the standby is slow');
      expect(await onStandby(reads.dataSource)).toBe(false);
      expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', reason: 'unavailable', detail: expect.stringMatching(/did not answer within 600 ms|timeout/) }));

      proxy.delay(0);
      await eventually(async () => reads.servingFromReplica, 20_000, 'reads back on the standby once it answers in time');
      expect(await onStandby(reads.dataSource)).toBe(true);
    } finally {
      await proxy.close();
    }
  }, 40_000);
});
