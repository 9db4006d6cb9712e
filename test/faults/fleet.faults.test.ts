/**
 * Two API processes and two worker processes of one deployment (one Postgres, one Redis, one
 * queue prefix): every event is sent through BOTH APIs at the same time, so the same events race
 * through two producers and two consumers. Then the per-tenant rate limit, shared through Redis
 * by both APIs.
 */
import { awayFromMinuteEnd, useTestDatabase } from '@metering/testing';
import { recordScenario } from './support/fault-report';
import { FaultStack } from './support/fault-stack';
import type { ApiProcess, WorkerProcess } from './support/fault-stack';
import { bearerFor, sendOverHttp } from './support/http-ingest';
import { AckLog, checkLedger, failedReasons, waitForDrain } from './support/ledger-check';
import { seedScenarioTenants } from './support/scenario-tenants';
import { usageWorkload } from './support/workload';

const db = useTestDatabase();
let stack: FaultStack;
let apis: ApiProcess[] = [];
let workers: WorkerProcess[] = [];

/** Track jobs a worker process completed, from its own /metrics. */
async function completedTrackJobs(worker: WorkerProcess): Promise<number> {
  const text = await (await fetch(`${worker.metricsUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('bullmq_jobs_total{') && line.includes('queue="usage-events"') && line.includes('outcome="completed"'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

beforeAll(async () => {
  stack = await new FaultStack({ db: db.current }).start();
  apis = await Promise.all([stack.startApi(), stack.startApi()]);
  workers = await Promise.all([stack.startWorker(), stack.startWorker()]);
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

it('counts each event once when the same events go through two APIs to two workers', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 4);
  const events = usageWorkload({ tenantIds, total: 4_000, duplicateShare: 0.1, seed: 4_242, label: 'fleet' });
  const acks = new AckLog();
  const [a, b] = apis.map((api) => api.url);

  // The same stream twice, concurrently, one copy entering through each API first.
  const tallies = await Promise.all([
    sendOverHttp({ urls: [a!, b!], events, acks, batchSize: 50, inFlight: 4 }),
    sendOverHttp({ urls: [b!, a!], events, acks, batchSize: 50, inFlight: 4 }),
  ]);

  expect(tallies.map((tally) => Object.keys(tally))).toEqual([['202'], ['202']]);
  expect(await waitForDrain(stack.eventsQueue)).toBe(0);
  const outcome = await checkLedger(db.current.dataSource, acks, tenantIds);
  expect(outcome.sent).toBe(8_000);
  recordScenario('2 APIs + 2 workers, same events twice', outcome);
  expect(await failedReasons(stack.eventsQueue)).toEqual([]);
  // Both workers took part.
  for (const worker of workers) expect(await completedTrackJobs(worker)).toBeGreaterThan(0);
});

it('lets exactly 10 of 50 concurrent usage reads of one tenant through across both APIs; the rest get 429 with Retry-After', async () => {
  const [tenantId] = await seedScenarioTenants(db.current.dataSource, 1);
  const token = bearerFor(tenantId!, ['user']);
  await awayFromMinuteEnd(10); // all 50 in one rate-limit minute

  const responses = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => {
      const response = await fetch(`${apis[i % 2]!.url}/api/v1/usage`, { headers: { authorization: `Bearer ${token}` } });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> };
    }),
  );

  const ok = responses.filter((r) => r.status === 200);
  const limited = responses.filter((r) => r.status === 429);
  expect({ ok: ok.length, limited: limited.length }).toEqual({ ok: 10, limited: 40 });
  for (const response of ok) expect(response.body.tenant_id).toBe(tenantId);
  for (const response of limited) {
    expect(Number(response.retryAfter)).toBeGreaterThan(0);
    expect(response.body).toMatchObject({ status: 429, detail: expect.stringContaining('Rate limit') });
  }
});
