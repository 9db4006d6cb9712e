import { counterValue, seedPlan, seedTenant, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, QUEUES } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { eventually, startTestWorker } from './worker-test-kit';
import type { TestWorker } from './worker-test-kit';

const db = useTestDatabase();
let worker: TestWorker;

beforeAll(async () => {
  // A long batch window so jobs enqueued together are committed together.
  worker = await startTestWorker(db.current.url, { QUEUE_PREFIX: uniqueQueuePrefix(), WORKER_BATCH_WAIT_MS: '300' });
});
afterAll(async () => {
  await worker?.close();
});

function email(tenantId: string, key: string): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key };
}

it('commits the healthy jobs of a batch whose data Postgres rejects for one job', async () => {
  const plan = await seedPlan(db.current.dataSource);
  const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
  const ds = db.current.dataSource;
  // Postgres refuses one resource's row with a data error (SQLSTATE 23514), as it would refuse
  // a value it cannot store: retrying that row can never succeed.
  await ds.query(`
    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.resource_id = 'poison' THEN RAISE EXCEPTION 'poison row' USING ERRCODE = 'check_violation'; END IF;
      RETURN NEW;
    END $$`);
  await ds.query(`CREATE TRIGGER refuse_poison BEFORE INSERT ON usage_events FOR EACH ROW EXECUTE FUNCTION refuse_poison()`);
  try {
    const healthyKeys = Array.from({ length: 8 }, (_, i) => `healthy-${i}`);
    const accepted = await Promise.all([
      worker.client.track(email(tenantId, 'poison')),
      ...healthyKeys.map((key) => worker.client.track(email(tenantId, key))),
    ]);
    const queue = worker.runtime.queues.get(QUEUES.usageEvents)!;
    const healthyJobIds = accepted.slice(1).map((a) => a.jobIds[0]!);

    await eventually(async () => {
      const states = await Promise.all(healthyJobIds.map((id) => queue.getJobState(id)));
      return states.every((state) => state === 'completed');
    });
    expect(await counterValue(ds, tenantId, 'inbox')).toBe(healthyKeys.length);
    expect(await queue.getJobState(accepted[0]!.jobIds[0]!)).not.toBe('completed');
    const [poison] = await ds.query(`SELECT count(*)::int AS n FROM usage_events WHERE resource_id = 'poison'`);
    expect(poison.n).toBe(0);
  } finally {
    await ds.query(`DROP TRIGGER refuse_poison ON usage_events; DROP FUNCTION refuse_poison()`);
  }
});
