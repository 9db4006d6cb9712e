/**
 * SIGTERM under load: while agents are posting events, the API and the worker get SIGTERM (as an
 * orchestrator sends it on deploy). Both must exit 0 within SHUTDOWN_TIMEOUT_MS (the shutdown
 * manager exits 1 past it) and lose nothing: every request answered 202 is in the queue or
 * already counted, and the restarted processes count the rest.
 */
import { useTestDatabase } from '@metering/testing';
import { recordScenario } from './support/fault-report';
import { FaultStack } from './support/fault-stack';
import type { ApiProcess, WorkerProcess } from './support/fault-stack';
import { sendOverHttp } from './support/http-ingest';
import type { StatusTally } from './support/http-ingest';
import { AckLog, checkLedger, failedReasons, waitForDrain } from './support/ledger-check';
import { eventually, seedScenarioTenants, storedEvents } from './support/scenario-tenants';
import { usageWorkload } from './support/workload';

const SHUTDOWN_TIMEOUT_MS = 10_000;
const db = useTestDatabase();
let stack: FaultStack;
let api: ApiProcess;
let worker: WorkerProcess;

beforeAll(async () => {
  // A wider batch window keeps jobs active in the worker when SIGTERM arrives.
  stack = await new FaultStack({ db: db.current, env: { SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), WORKER_BATCH_WAIT_MS: '50' } }).start();
  [api, worker] = await Promise.all([stack.startApi(), stack.startWorker()]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

it('API and worker exit 0 within their deadline on SIGTERM under load, and every 202 is counted after restart', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 4);
  const events = usageWorkload({ tenantIds, total: 6_000, duplicateShare: 0.1, seed: 15, label: 'sigterm' });
  const acks = new AckLog();
  const tally: StatusTally = {};
  const sending = sendOverHttp({ urls: [api.url], events, acks, batchSize: 20, inFlight: 6, retryUntilAccepted: true, giveUpAfterMs: 120_000, tally });
  await eventually(async () => acks.distinct >= 1_000 && (await storedEvents(db.current.dataSource, tenantIds)) > 0, 60_000, 'load under way');

  // Both at once, while requests are in flight and jobs are active. AppProcess allows a little
  // more than the deadline for npm and tsx to pass the exit code up.
  const [apiExit, workerExit] = await Promise.all([
    api.process.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS + 5_000),
    worker.process.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS + 5_000),
  ]);
  if (apiExit !== 0 || workerExit !== 0) {
    process.stderr.write(`api output:\n${api.process.logs.slice(-4000)}\nworker output:\n${worker.process.logs.slice(-4000)}\n`);
  }
  expect({ apiExit, workerExit }).toEqual({ apiExit: 0, workerExit: 0 });
  const acknowledgedAtStop = acks.distinct;
  expect(acknowledgedAtStop).toBeLessThan(events.length * 0.9);

  await Promise.all([stack.restart(api), stack.restart(worker)]);
  await sending;
  expect(Object.keys(tally).filter((status) => !['202', '503', 'network'].includes(status))).toEqual([]);
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  recordScenario('SIGTERM API + worker under load', await checkLedger(db.current.dataSource, acks, tenantIds));
  expect(await failedReasons(stack.eventsQueue)).toEqual([]);
});
