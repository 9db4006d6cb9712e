/**
 * Worker crash: 20,000 events (20% duplicates, shuffled) enqueued with the batch producer while the
 * worker process is SIGKILLed twice mid-stream and restarted. Jobs the dead worker held come back
 * through BullMQ's stalled-job recovery; Postgres' unique key absorbs the re-runs. The second kill
 * waits until jobs that already lost their worker once are running again, so they lose it twice.
 */
import { useTestDatabase } from '@metering/testing';
import { recordScenario } from './support/fault-report';
import { FaultStack } from './support/fault-stack';
import { AckLog, checkLedger, failedReasons, waitForDrain } from './support/ledger-check';
import { eventually, seedScenarioTenants, storedEvents } from './support/scenario-tenants';
import { enqueueAll, usageWorkload } from './support/workload';

const db = useTestDatabase();
let stack: FaultStack;

beforeAll(async () => {
  stack = await new FaultStack({
    db: db.current,
    // A short lock so a dead worker's jobs come back within seconds (production: 30 s).
    env: { WORKER_LOCK_DURATION_MS: '4000', WORKER_STALLED_INTERVAL_MS: '1000' },
    proxyPostgres: true,
  }).start();
  // A little latency on Postgres stretches the stream so the kills land mid-stream.
  stack.pgProxy!.delay(3);
});
afterAll(async () => {
  await stack?.stop();
});

it('counts every event once when the worker is SIGKILLed twice mid-stream and restarted', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 5);
  const events = usageWorkload({ tenantIds, total: 20_000, duplicateShare: 0.2, seed: 9_001, label: 'crash' });
  const unique = new Set(events.map((e) => `${e.tenantId}|${e.idempotencyKey}`)).size;
  const acks = new AckLog();
  const worker = await stack.startWorker();

  const enqueued = enqueueAll(stack.client, events, acks, { batchSize: 100, inFlight: 4 });
  // Kill 1: the worker is committing and far from done.
  await eventually(async () => (await storedEvents(db.current.dataSource, tenantIds)) >= unique * 0.2, 120_000, '20% stored');
  expect(await worker.process.kill()).toBeNull();
  await stack.restart(worker);
  // Kill 2: while jobs recovered from the first crash are active again.
  await eventually(async () => {
    const active = await stack.eventsQueue.getActive(0, 1000);
    return active.some((job) => job.stalledCounter >= 1);
  }, 120_000, 'a recovered job active again');
  expect(await storedEvents(db.current.dataSource, tenantIds)).toBeLessThan(unique);
  expect(await worker.process.kill()).toBeNull();
  await stack.restart(worker);
  await enqueued;

  const failedJobs = await waitForDrain(stack.eventsQueue, 150_000);
  const outcome = await checkLedger(db.current.dataSource, acks, tenantIds);
  expect(outcome.sent).toBe(20_000);
  recordScenario('worker SIGKILL x2 mid-stream', outcome);
  expect({ failedJobs, reasons: await failedReasons(stack.eventsQueue) }).toEqual({ failedJobs: 0, reasons: [] });
});
