/**
 * No silent 202: every event the API acknowledges ends up counted or in usage_dead_letters with
 * the reason, whatever changes between the 202 and the worker's commit -- the subscription is
 * canceled or removed, the worker's clock is skewed beyond the accepted window, the same key
 * arrives again with other content before the first one is committed -- and no track job is
 * left failed holding events.
 */
import request from 'supertest';
import { createLogger } from '@metering/platform';
import { seedPlan, seedTenant, testConfig, useTestDatabase } from '@metering/testing';
import { createWorkerRuntime } from '@metering/worker';
import type { WorkerRuntime } from '@metering/worker';
import { bearerFor } from './support/http-ingest';
import { inProcessApi } from './support/in-process-api';
import type { InProcessApi } from './support/in-process-api';
import { waitForDrain } from './support/ledger-check';

const db = useTestDatabase();
let api: InProcessApi;
let worker: WorkerRuntime | undefined;
// The worker's clock runs this far behind the API's: beyond the 300 s future allowance.
const WORKER_SKEW_MS = 400_000;

beforeAll(async () => {
  api = await inProcessApi(db.current);
});
afterAll(async () => {
  await worker?.stop('test finished');
  await api?.close();
});

interface Acked {
  tenantId: string;
  key: string;
}

async function ingest(tenantId: string, events: Array<Record<string, unknown>>, acked: Acked[]): Promise<void> {
  const res = await request(api.app).post('/api/v1/usage/events').set('Authorization', `Bearer ${bearerFor(tenantId)}`).send({ events });
  expect(res.status).toBe(202);
  for (const event of events) acked.push({ tenantId, key: event.idempotency_key as string });
}

const email = (key: string, occurredAt: Date, extra: Record<string, unknown> = {}) => ({
  agent: 'inbox',
  action_type: 'email_processed',
  resource_id: `r-${key}`,
  idempotency_key: key,
  occurred_at: occurredAt.toISOString(),
  ...extra,
});

it('counts or dead-letters every event acknowledged with 202, with the reason, and fails no job', async () => {
  const { id: planId } = await seedPlan(db.current.dataSource);
  const tenant = async (): Promise<string> => (await seedTenant(db.current.dataSource, { planId })).tenantId;
  const steady = await tenant();
  const canceledLater = await tenant();
  const removedLater = await tenant();
  const acked: Acked[] = [];
  const tenMinutesAgo = new Date(Date.now() - 600_000);

  // No worker runs yet: everything waits in the queue after its 202.
  await ingest(steady, Array.from({ length: 20 }, (_, i) => email(`steady-${i}`, tenMinutesAgo)), acked);
  await ingest(steady, [email('skewed-1', new Date()), email('skewed-2', new Date())], acked);
  await ingest(steady, [email('twice', tenMinutesAgo, { quantity: 1 })], acked);
  await ingest(steady, [email('twice', tenMinutesAgo, { quantity: 7 })], acked);
  await ingest(canceledLater, Array.from({ length: 5 }, (_, i) => email(`canceled-${i}`, tenMinutesAgo)), acked);
  await ingest(removedLater, Array.from({ length: 5 }, (_, i) => email(`removed-${i}`, tenMinutesAgo)), acked);
  await db.current.dataSource.query(`UPDATE subscriptions SET status = 'canceled' WHERE tenant_id = $1`, [canceledLater]);
  await db.current.dataSource.query(`DELETE FROM subscriptions WHERE tenant_id = $1`, [removedLater]);

  const config = testConfig(db.current.url, { QUEUE_PREFIX: api.prefix, WORKER_METRICS_PORT: '0' });
  worker = createWorkerRuntime({
    config,
    logger: createLogger({ level: 'silent', json: true, service: 'faults-worker' }),
    clock: () => new Date(Date.now() - WORKER_SKEW_MS),
    exit: () => undefined,
  });
  await worker.start();
  const failed = await waitForDrain(api.eventsQueue);

  const tenants = [steady, canceledLater, removedLater];
  const counted: Array<{ tenant_id: string; idempotency_key: string }> = await db.current.dataSource.query(
    `SELECT tenant_id, idempotency_key FROM usage_events WHERE tenant_id = ANY($1::uuid[])`,
    [tenants],
  );
  const dead: Array<{ tenant_id: string; idempotency_key: string; reason: string }> = await db.current.dataSource.query(
    `SELECT tenant_id, idempotency_key, reason FROM usage_dead_letters WHERE tenant_id = ANY($1::uuid[])`,
    [tenants],
  );
  const where = (tenantId: string, key: string): string[] => [
    ...counted.filter((row) => row.tenant_id === tenantId && row.idempotency_key === key).map(() => 'counted'),
    ...dead.filter((row) => row.tenant_id === tenantId && row.idempotency_key === key).map((row) => row.reason),
  ];

  expect(failed).toBe(0);
  const nowhere = acked.filter(({ tenantId, key }) => where(tenantId, key).length === 0);
  expect(nowhere).toEqual([]);
  expect(where(steady, 'steady-0')).toEqual(['counted']);
  expect(where(steady, 'skewed-1')).toEqual(['outside_window']);
  expect(where(steady, 'twice').sort()).toEqual(['counted', 'idempotency_conflict']);
  expect(where(canceledLater, 'canceled-0')).toEqual(['subscription_inactive']);
  expect(where(removedLater, 'removed-0')).toEqual(['subscription_not_found']);
  const [{ total }] = await db.current.dataSource.query(`SELECT sum(count)::int AS total FROM usage_counters WHERE tenant_id = $1`, [steady]);
  expect(total).toBe(21);
});
