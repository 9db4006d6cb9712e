import { seedPlan, seedTenant, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, JOBS, QUEUES, ValidationFailedError } from '@metering/usage';
import { eventually, useTestWorker } from './worker-test-kit';

const db = useTestDatabase();
const worker = useTestWorker(db);

async function failedJob(jobId: string) {
  const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
  return eventually(async () => ((await queue.getJobState(jobId)) === 'failed' ? (await queue.getJob(jobId))! : undefined));
}

async function completedJob(jobId: string) {
  const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
  return eventually(async () => ((await queue.getJobState(jobId)) === 'completed' ? (await queue.getJob(jobId))! : undefined));
}

async function deadLetters(tenantId: string): Promise<Array<{ idempotency_key: string; reason: string; detail: string; job_id: string; event: Record<string, unknown> }>> {
  return db.current.dataSource.query(`SELECT idempotency_key, reason, detail, job_id, event FROM usage_dead_letters WHERE tenant_id = $1`, [tenantId]);
}

async function eventRows(tenantId: string): Promise<number> {
  const [row] = await db.current.dataSource.query(`SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = $1`, [tenantId]);
  return row.n;
}

describe('a track job whose data the parser refuses', () => {
  it('dead-letters the event it refuses with the very message the API and the producer give, and counts the rest', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const events = [
      { agent: 'inbox', action_type: 'email_processed', resource_id: 'ok', quantity: 1, idempotency_key: 'ok' },
      { agent: 'inbox', action_type: 'meeting_prep', resource_id: 'bad', quantity: 0, idempotency_key: 'bad', surprise: true },
    ];
    const refusal = await worker.current.client.trackWire(tenantId, events).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ValidationFailedError);

    // The same events written straight into job data (an old or foreign producer).
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const job = await queue.add(JOBS.trackEvents, { events: events.map((event) => ({ tenant_id: tenantId, event })), enqueued_at: Date.now() }, { jobId: `malformed-${tenantId}` });

    const done = await completedJob(job.id!);
    expect(done.returnvalue).toEqual({ recorded: 1, duplicates: 0, deadLettered: 1 });
    const [dead] = await deadLetters(tenantId);
    expect(dead).toMatchObject({ idempotency_key: 'bad', reason: 'invalid_event', detail: (refusal as ValidationFailedError).message, job_id: job.id });
    expect(dead!.detail).toContain('events[1].quantity: quantity must be at least 1');
    expect(await eventRows(tenantId)).toBe(1);
  });

  it('checks the occurred_at window again with its own clock: an event enqueued too long ago is dead-lettered', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const job = await queue.add(
      JOBS.trackEvent,
      {
        tenant_id: tenantId,
        event: { agent: AgentType.Inbox, action_type: ActionType.EmailProcessed, resource_id: 'stale', quantity: 1, idempotency_key: 'stale' },
        enqueued_at: Date.now() - 36 * 86_400_000,
      },
      { jobId: `stale-${tenantId}` },
    );

    await completedJob(job.id!);
    expect(await deadLetters(tenantId)).toEqual([
      expect.objectContaining({
        idempotency_key: 'stale',
        reason: 'outside_window',
        detail: `occurred_at: occurred_at is more than ${worker.current.config.usage.eventMaxAgeDays} days in the past`,
      }),
    ]);
    expect(await eventRows(tenantId)).toBe(0);
  });

  it('fails a job whose data is not a track payload at all', async () => {
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const job = await queue.add(JOBS.trackEvents, { events: [{ tenant_id: 42 }], enqueued_at: Date.now() }, { jobId: `garbage-${Date.now()}` });
    expect((await failedJob(job.id!)).failedReason).toBe('job data is not a valid track-events payload');
  });

  it('fails a coalesced job whose call sizes do not add up to its events, and counts none of them', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const events = ['a', 'b', 'c'].map((key) => ({ tenant_id: tenantId, event: { agent: 'inbox', action_type: 'email_processed', resource_id: key, quantity: 1, idempotency_key: key } }));
    const job = await queue.add(JOBS.trackEvents, { events, enqueued_at: Date.now(), calls: [1, 1] }, { jobId: `bad-calls-${tenantId}` });
    expect((await failedJob(job.id!)).failedReason).toBe('job data is not a valid track-events payload: calls must be positive event counts adding up to 3');
    expect(await eventRows(tenantId)).toBe(0);
  });

  it('dead-letters a refused event of a coalesced job under its place in the job, and counts the other calls', async () => {
    const plan = await seedPlan(db.current.dataSource);
    const { tenantId } = await seedTenant(db.current.dataSource, { planId: plan.id });
    const queue = worker.current.runtime.queues.get(QUEUES.usageEvents)!;
    const event = (key: string, quantity = 1) => ({ tenant_id: tenantId, event: { agent: 'inbox', action_type: 'email_processed', resource_id: key, quantity, idempotency_key: key } });
    const job = await queue.add(JOBS.trackEvents, { events: [event('one'), event('two'), event('bad', 0)], enqueued_at: Date.now(), calls: [1, 2] }, { jobId: `coalesced-${tenantId}` });
    expect((await completedJob(job.id!)).returnvalue).toEqual({ recorded: 2, duplicates: 0, deadLettered: 1 });
    const [dead] = await deadLetters(tenantId);
    expect(dead).toMatchObject({ idempotency_key: 'bad', reason: 'invalid_event', job_id: job.id });
    expect(dead!.detail).toContain('events[2].quantity: quantity must be at least 1');
    expect(await eventRows(tenantId)).toBe(2);
  });
});
