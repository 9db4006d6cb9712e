import { counterValue, seedPlan, seedTenant, useTestDatabase, whileTriggerRaises } from '@metering/testing';
import { ActionType, AgentType, ENQUEUES_IN_FLIGHT_PER_SHARD, QUEUES } from '@metering/usage';
import type { TrackEventsJobData } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { eventually, useTestWorker } from './worker-test-kit';

const db = useTestDatabase();
// A long batch window so jobs enqueued together are committed together.
const worker = useTestWorker(db, { WORKER_BATCH_WAIT_MS: '300' });

function email(tenantId: string, key: string): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key };
}

it('commits the healthy jobs of a batch whose data Postgres rejects for one job', async () => {
  const plan = await seedPlan(db.current.dataSource);
  const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
  const ds = db.current.dataSource;
  // Postgres refuses one resource's row with a data error (SQLSTATE 23514), as it would refuse
  // a value it cannot store: retrying that row can never succeed.
  const poison = { name: 'refuse_poison', table: 'usage_events', when: `NEW.resource_id = 'poison'`, errcode: 'check_violation', message: 'poison row' };
  await whileTriggerRaises(ds, poison, async () => {
    const healthyKeys = Array.from({ length: 8 }, (_, i) => `healthy-${i}`);
    const accepted = await Promise.all([
      worker.current.client.track(email(tenantId, 'poison')),
      ...healthyKeys.map((key) => worker.current.client.track(email(tenantId, key))),
    ]);
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const healthyJobIds = accepted.slice(1).map((a) => a.jobIds[0]!);

    await eventually(async () => {
      const states = await Promise.all(healthyJobIds.map((id) => queue.getJobState(id)));
      return states.every((state) => state === 'completed');
    });
    expect(await counterValue(ds, tenantId, 'inbox')).toBe(healthyKeys.length);
    expect(await queue.getJobState(accepted[0]!.jobIds[0]!)).not.toBe('completed');
    const [poisonRows] = await ds.query(`SELECT count(*)::int AS n FROM usage_events WHERE resource_id = 'poison'`);
    expect(poisonRows.n).toBe(0);
  });
});

it('commits the other calls coalesced into one job with the poison, and keeps that job failing', async () => {
  const plan = await seedPlan(db.current.dataSource);
  const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
  const ds = db.current.dataSource;
  const poison = { name: 'refuse_poison_coalesced', table: 'usage_events', when: `NEW.resource_id = 'poison'`, errcode: 'check_violation', message: 'poison row' };
  await whileTriggerRaises(ds, poison, async () => {
    // The first calls take the adds that are free; the poison and the calls after it, made in the
    // same tick, wait and share one job.
    const first = Array.from({ length: ENQUEUES_IN_FLIGHT_PER_SHARD }, (_, i) => `first-${i}`);
    const after = Array.from({ length: 6 }, (_, i) => `after-${i}`);
    const accepted = await Promise.all([...first, 'poison', ...after].map((key) => worker.current.client.track(email(tenantId, key))));
    const shared = accepted[first.length]!.jobIds[0]!;
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const job = (await queue.getJob(shared))!;
    expect((job.data as TrackEventsJobData).calls).toEqual([1, ...after.map(() => 1)]);
    expect(accepted.slice(first.length).every((call) => call.jobIds[0] === shared)).toBe(true);

    await eventually(async () => ((await counterValue(ds, tenantId, 'inbox')) === first.length + after.length ? true : undefined));
    // The shared job failed (and is retried): its healthy calls were committed once, the poison never.
    await eventually(async () => ((await queue.getJob(shared))!.attemptsMade >= 2 ? true : undefined), 15_000);
    expect(await queue.getJobState(shared)).not.toBe('completed');
    expect(await counterValue(ds, tenantId, 'inbox')).toBe(first.length + after.length);
    const [rows] = await ds.query(`SELECT count(*)::int AS n, count(*) FILTER (WHERE resource_id = 'poison')::int AS poison FROM usage_events WHERE tenant_id = $1`, [tenantId]);
    expect(rows).toEqual({ n: first.length + after.length, poison: 0 });
  });
});
