import { Queue } from 'bullmq';
import { createRedisConnection } from '@metering/platform';
import { testConfig, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, DEFAULT_OCCURRED_AT_WINDOW, JOBS, QUEUES, ValidationFailedError, createUsageClient, eventContentKey, trackEventJobId } from '@metering/usage';

useTestDatabase(1);
const TENANT = '3f1b2c4d-1111-4222-8333-123456789abc';
const prefix = uniqueQueuePrefix();
const redisUrl = () => testConfig('postgres://unused/unused').redis.url;
let producer: ReturnType<typeof createRedisConnection>;
let queue: Queue;
let consumerSide: ReturnType<typeof createRedisConnection>;
let client: ReturnType<typeof createUsageClient>;

beforeAll(() => {
  producer = createRedisConnection(redisUrl(), 'producer');
  client = createUsageClient({ redis: producer, prefix, window: DEFAULT_OCCURRED_AT_WINDOW });
  consumerSide = createRedisConnection(redisUrl(), 'worker');
  queue = new Queue(QUEUES.usageEvents, { connection: consumerSide, prefix });
});
afterAll(async () => {
  await client.close();
  await queue.close();
  await consumerSide.quit();
  await producer.quit();
});

describe('usage producer client', () => {
  it('enqueues one track-event job per event, id derived from tenant, key and content, absorbing a re-enqueue', async () => {
    const event = { tenantId: TENANT, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: 'msg-1', idempotencyKey: 'msg-1' };
    const first = await client.track(event);
    const again = await client.track(event);

    expect(first.jobIds).toEqual([trackEventJobId(TENANT, 'msg-1', eventContentKey('inbox', 'email_processed', 'msg-1', 1))]);
    expect(again.jobIds).toEqual(first.jobIds);
    // Same key, other content: its own job (the worker dead-letters it as a conflict), not absorbed.
    const other = await client.track({ ...event, quantity: 2 });
    expect(other.jobIds).not.toEqual(first.jobIds);
    await queue.remove(other.jobIds[0]!);
    expect(await queue.getWaitingCount()).toBe(1);
    const job = await queue.getJob(first.jobIds[0]!);
    expect(job?.name).toBe(JOBS.trackEvent);
    expect(job?.data).toMatchObject({ tenant_id: TENANT, event: { agent: 'inbox', resource_id: 'msg-1', quantity: 1, idempotency_key: 'msg-1' } });
    expect(job?.opts.attempts).toBeGreaterThan(1);
  });

  it('treats a tenant UUID in capitals as the same tenant: same job, same derived key', async () => {
    const event = { agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: 'msg-caps' };
    const lower = await client.track({ ...event, tenantId: TENANT });
    const upper = await client.track({ ...event, tenantId: TENANT.toUpperCase() });

    expect(upper.jobIds).toEqual(lower.jobIds);
    const job = await queue.getJob(lower.jobIds[0]!);
    expect(job?.data).toMatchObject({ tenant_id: TENANT });
    expect(job?.data.event.idempotency_key).toMatch(/^auto:[0-9a-f]{64}$/);
  });

  it('enqueues a batch as one track-events job', async () => {
    const events = ['a', 'b', 'c'].map((id) => ({ tenantId: TENANT, agent: AgentType.Invoice, actionType: ActionType.InvoiceDetected, resourceId: id }));
    const { accepted, jobIds } = await client.trackMany(events);

    expect(accepted).toBe(3);
    const job = await queue.getJob(jobIds[0]!);
    expect(job?.name).toBe(JOBS.trackEvents);
    expect(job?.data.events).toHaveLength(3);
  });

  it('rejects an invalid event naming the field, and enqueues nothing of the call', async () => {
    const before = await queue.getWaitingCount();
    const call = client.trackMany([
      { tenantId: TENANT, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: 'ok' },
      { tenantId: TENANT, agent: AgentType.Inbox, actionType: ActionType.MeetingPrep, resourceId: 'bad' },
    ]);

    await expect(call).rejects.toThrow(ValidationFailedError);
    await expect(call).rejects.toThrow(/events\[1\]\.action_type/);
    expect(await queue.getWaitingCount()).toBe(before);
  });
});
