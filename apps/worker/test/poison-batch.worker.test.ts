import { counterValue, seedPlan, seedTenant, useTestDatabase, whileTriggerRaises } from '@metering/testing';
import { ActionType, AgentType, QUEUES } from '@metering/usage';
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
