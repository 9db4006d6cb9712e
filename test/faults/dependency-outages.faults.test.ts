/**
 * Postgres and Redis go away for 10 s in the middle of ingest. The API and the worker reach both
 * only through FaultProxy, which drops every connection and refuses new ones while cut; the test
 * itself talks to both directly. Agents keep sending over HTTP and retry what is not acknowledged,
 * as a real agent service does.
 */
import { useTestDatabase } from '@metering/testing';
import { recordScenario } from './support/fault-report';
import { FaultStack } from './support/fault-stack';
import type { ApiProcess, WorkerProcess } from './support/fault-stack';
import { sendOverHttp } from './support/http-ingest';
import type { StatusTally } from './support/http-ingest';
import { AckLog, checkLedger, failedReasons, waitForDrain } from './support/ledger-check';
import { eventually, seedScenarioTenants, storedEvents } from './support/scenario-tenants';
import { enqueueAll, usageWorkload } from './support/workload';

const OUTAGE_MS = 10_000;
const db = useTestDatabase();
let stack: FaultStack;
let api: ApiProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  stack = await new FaultStack({
    db: db.current,
    proxyPostgres: true,
    proxyRedis: true,
    // Jobs a worker held when it went away come back within seconds (production: 30 s).
    env: { WORKER_LOCK_DURATION_MS: '4000', WORKER_STALLED_INTERVAL_MS: '1000', SHUTDOWN_TIMEOUT_MS: '10000' },
  }).start();
  [api, worker] = await Promise.all([stack.startApi(), stack.startWorker()]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

async function status(url: string): Promise<number> {
  return fetch(url, { signal: AbortSignal.timeout(5000) }).then((response) => response.status, () => 0);
}

/** Ingest spread over several seconds in small batches, with retries of anything not acknowledged. */
function ingest(tenantIds: string[], label: string, acks: AckLog, tally: StatusTally): Promise<StatusTally> {
  const events = usageWorkload({ tenantIds, total: 3_000, duplicateShare: 0.1, seed: label.length * 7919, label });
  return sendOverHttp({ urls: [api.url], events, acks, batchSize: 20, inFlight: 3, pauseMs: 100, retryUntilAccepted: true, giveUpAfterMs: 90_000, tally });
}

it('Postgres cut for 10 s: ingest goes on, readiness says 503, jobs retry and every event is counted once', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 3);
  const acks = new AckLog();
  const tally: StatusTally = {};
  const sending = ingest(tenantIds, 'pg-cut', acks, tally);
  await eventually(async () => acks.distinct >= 300, 30_000, 'ingest under way');

  stack.pgProxy!.cut();
  const cutAt = Date.now();
  // Readiness of both processes reports the outage...
  await eventually(async () => (await status(`${api.url}/health/ready`)) === 503, OUTAGE_MS, 'API readiness 503');
  await eventually(async () => (await status(`${worker.metricsUrl}/health/ready`)) === 503, OUTAGE_MS, 'worker readiness 503');
  const readiness = (await (await fetch(`${api.url}/health/ready`)).json()) as { checks: Record<string, string> };
  expect(readiness.checks).toEqual({ postgres: 'down', redis: 'up' });
  const acknowledgedDuringOutage = acks.distinct;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
  // ...while ingest, which needs only Redis, kept acknowledging events.
  expect(acks.distinct).toBeGreaterThan(acknowledgedDuringOutage);
  stack.pgProxy!.restore();

  await eventually(async () => (await status(`${api.url}/health/ready`)) === 200, 30_000, 'API ready again');
  await eventually(async () => (await status(`${worker.metricsUrl}/health/ready`)) === 200, 30_000, 'worker ready again');
  await sending;
  expect(Object.keys(tally)).toEqual(['202']);
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  recordScenario('Postgres cut 10 s mid-ingest', await checkLedger(db.current.dataSource, acks, tenantIds));
  expect(await failedReasons(stack.eventsQueue)).toEqual([]);
  // The jobs that met the outage failed, were retried with backoff, and completed.
  const completed = await stack.eventsQueue.getCompleted(0, 2000);
  expect(completed.filter((job) => job.attemptsMade > 0).length).toBeGreaterThan(0);
});

it('Redis cut for 10 s: ingest answers 503 (never 202), workers reconnect, every acknowledged event is counted', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 3);
  const acks = new AckLog();
  const tally: StatusTally = {};
  const sending = ingest(tenantIds, 'redis-cut', acks, tally);
  await eventually(async () => acks.distinct >= 300, 30_000, 'ingest under way');

  stack.redisProxy!.cut();
  const cutAt = Date.now();
  await eventually(async () => (tally['503'] ?? 0) > 0, OUTAGE_MS, 'ingest answering 503');
  await eventually(async () => (await status(`${api.url}/health/ready`)) === 503, OUTAGE_MS, 'API readiness 503');
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, OUTAGE_MS - (Date.now() - cutAt))));
  stack.redisProxy!.restore();

  await eventually(async () => (await status(`${worker.metricsUrl}/health/ready`)) === 200, 30_000, 'worker ready again');
  await sending;
  // Only 202 (stored in Redis) and 503 (retry later); never a 500, never a lost request.
  expect(Object.keys(tally).sort()).toEqual(['202', '503']);
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  recordScenario('Redis cut 10 s mid-ingest', await checkLedger(db.current.dataSource, acks, tenantIds));
  expect(await failedReasons(stack.eventsQueue)).toEqual([]);
});

it('SIGTERM while Redis is cut: API and worker still exit 0 within the deadline, and nothing is lost', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 2);
  const events = usageWorkload({ tenantIds, total: 4_000, seed: 77, label: 'sigterm-redis-cut' });
  const acks = new AckLog();
  await enqueueAll(stack.client, events, acks, { batchSize: 50 });
  await eventually(async () => (await storedEvents(db.current.dataSource, tenantIds)) > 0, 30_000, 'worker committing');

  stack.redisProxy!.cut();
  await eventually(async () => (await status(`${api.url}/health/ready`)) === 503, OUTAGE_MS, 'API readiness 503');
  // The shutdown manager exits 1 once SHUTDOWN_TIMEOUT_MS has passed; 0 means it closed in time.
  const [apiExit, workerExit] = await Promise.all([api.process.stop('SIGTERM', 20_000), worker.process.stop('SIGTERM', 20_000)]);
  expect({ apiExit, workerExit }).toEqual({ apiExit: 0, workerExit: 0 });
  stack.redisProxy!.restore();

  await Promise.all([stack.restart(api), stack.restart(worker)]);
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  recordScenario('SIGTERM during Redis cut', await checkLedger(db.current.dataSource, acks, tenantIds));
  expect(await failedReasons(stack.eventsQueue)).toEqual([]);
});
