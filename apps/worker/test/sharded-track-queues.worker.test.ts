/**
 * USAGE_QUEUE_SHARDS=4 on the plain Redis: each tenant's events go to one shard, in the order the
 * producer accepted them; the worker consumes every shard and counts every event exactly once.
 */
import { Queue } from 'bullmq';
import { createRedisConnection } from '@metering/platform';
import { counterValue, seedPlan, seedTenant, uniqueQueuePrefix, useTestDatabase } from '@metering/testing';
import { ActionType, AgentType, DEFAULT_OCCURRED_AT_WINDOW, createUsageClient, trackQueueShards, trackShardOf } from '@metering/usage';
import type { TrackEventInput } from '@metering/usage';
import { eventually, startTestWorker } from './worker-test-kit';
import type { TestWorker } from './worker-test-kit';

const SHARDS = 4;
const db = useTestDatabase();
const prefix = uniqueQueuePrefix();
const producer = createRedisConnection(process.env.REDIS_URL!, 'worker');
const client = createUsageClient({ redis: producer, prefix, shards: SHARDS, window: DEFAULT_OCCURRED_AT_WINDOW });
const shardQueues = trackQueueShards(prefix, SHARDS).map(({ name, prefix: shardPrefix }) => new Queue(name, { connection: producer, prefix: shardPrefix }));
let worker: TestWorker | undefined;

afterAll(async () => {
  await worker?.close();
  await client.close();
  await Promise.all(shardQueues.map((queue) => queue.close()));
  await producer.quit();
});

function email(tenantId: string, key: string): TrackEventInput {
  return { tenantId, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key, quantity: 1 };
}

it('keeps each tenant in one shard in the order accepted, and the worker counts every shard exactly', async () => {
  const { id: planId } = await seedPlan(db.current.dataSource);
  const tenantIds: string[] = [];
  for (let i = 0; i < 8; i++) tenantIds.push((await seedTenant(db.current.dataSource, { planId, name: `shard-${i}` })).tenantId);
  const used = new Set(tenantIds.map((id) => trackShardOf(id, SHARDS)));
  expect(used.size).toBeGreaterThan(1); // 8 tenants over 4 shards: the spread is real

  // Interleaved single events (30 per tenant), each resent once; then one batch across all tenants.
  const sent = new Map(tenantIds.map((id) => [id, [] as string[]]));
  for (let i = 0; i < 30; i++) {
    for (const tenantId of tenantIds) {
      await client.track(email(tenantId, `single-${i}`));
      sent.get(tenantId)!.push(`single-${i}`);
    }
  }
  for (const tenantId of tenantIds) await client.track(email(tenantId, 'single-0'));
  const batch = await client.trackMany(tenantIds.map((tenantId) => email(tenantId, 'batch-0')));
  expect(batch.jobIds).toHaveLength(used.size); // one job per shard the batch touched

  // Nothing consumes yet: each shard holds exactly its tenants' jobs, oldest first, in the order sent.
  for (const [shard, queue] of shardQueues.entries()) {
    const waiting = await queue.getJobs(['wait'], 0, -1, true);
    const singles = waiting.filter((job) => job.name === 'track-event');
    const byTenant = new Map<string, string[]>();
    for (const job of singles) {
      const { tenant_id, event } = job.data as { tenant_id: string; event: { idempotency_key: string } };
      byTenant.set(tenant_id, [...(byTenant.get(tenant_id) ?? []), event.idempotency_key]);
    }
    const expected = tenantIds.filter((id) => trackShardOf(id, SHARDS) === shard);
    expect([...byTenant.keys()].sort()).toEqual([...expected].sort());
    for (const tenantId of expected) expect(byTenant.get(tenantId)).toEqual(sent.get(tenantId)); // the resend was absorbed by its job id
  }

  worker = await startTestWorker(db.current.url, { QUEUE_PREFIX: prefix, USAGE_QUEUE_SHARDS: String(SHARDS) });
  for (const queue of shardQueues) {
    await eventually(async () => ((await queue.getJobCountByTypes('wait', 'active', 'delayed')) === 0 ? true : undefined), 20_000);
  }
  for (const tenantId of tenantIds) {
    await eventually(async () => ((await counterValue(db.current.dataSource, tenantId, 'inbox')) === 31 ? true : undefined));
    const [{ n }] = await db.current.dataSource.query('SELECT count(*)::int AS n FROM usage_events WHERE tenant_id = $1', [tenantId]);
    expect({ tenantId, rows: n, counted: await counterValue(db.current.dataSource, tenantId, 'inbox') }).toEqual({ tenantId, rows: 31, counted: 31 });
  }
  for (const queue of shardQueues) expect(await queue.getJobCountByTypes('failed')).toBe(0);

  // Metrics show every shard.
  const metrics = await (await fetch(worker.metricsUrl('/metrics'))).text();
  for (let shard = 0; shard < SHARDS; shard++) expect(metrics).toContain(`bullmq_queue_jobs{queue="usage-events-${shard}",state="waiting"}`);
});
