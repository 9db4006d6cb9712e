/**
 * The fleet on a real Redis Cluster (3 masters, a replica each, started by the test): two APIs
 * and two workers, the track queues sharded by tenant over 4 hash-tagged queues. 20,000 events with
 * duplicates stream in through both APIs; mid-stream the master of a shard is SIGKILLed, its
 * replica takes over, and the killed node comes back as a replica. Producers retry whatever was
 * not acknowledged (503: not in Redis, or not confirmed by a replica). Then every distinct event
 * is stored and counted exactly once. Then the other Redis users on the same cluster: the
 * per-tenant rate limit shared by both APIs, Bull Board listing every shard, and the memory guard
 * shedding ingest when one master nears its maxmemory.
 */
import { Queue } from 'bullmq';
import { createRedisClient, parseClusterNodes, waitForRedis } from '@metering/platform';
import type { RedisClient } from '@metering/platform';
import { TestRedisCluster, awayFromMinuteEnd, useTestDatabase } from '@metering/testing';
import { queueKey, trackQueueShards, trackShardOf } from '@metering/usage';
import { recordScenario } from './support/fault-report';
import { FaultStack } from './support/fault-stack';
import type { ApiProcess } from './support/fault-stack';
import { bearerFor, sendOverHttp } from './support/http-ingest';
import type { StatusTally } from './support/http-ingest';
import { AckLog, checkLedger, failedReasons, waitForDrain } from './support/ledger-check';
import { eventually, seedScenarioTenants } from './support/scenario-tenants';
import { usageWorkload } from './support/workload';

const SHARDS = 4;
const db = useTestDatabase();
let cluster: TestRedisCluster;
let stack: FaultStack;
let apis: ApiProcess[] = [];
let redis: RedisClient;
let shardQueues: Queue[] = [];

beforeAll(async () => {
  cluster = await TestRedisCluster.start({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: 1000 });
  stack = await new FaultStack({
    db: db.current,
    env: {
      REDIS_CLUSTER_NODES: cluster.seeds,
      USAGE_QUEUE_SHARDS: String(SHARDS),
      // A job whose lock or completion was lost with the master is re-run within seconds, not 30 s.
      WORKER_LOCK_DURATION_MS: '5000',
      WORKER_STALLED_INTERVAL_MS: '2000',
    },
  }).start();
  [apis] = await Promise.all([Promise.all([stack.startApi(), stack.startApi()]), Promise.all([stack.startWorker(), stack.startWorker()])]);
  redis = createRedisClient({ url: '', cluster: { nodes: parseClusterNodes(cluster.seeds).nodes, waitReplicas: 1, waitTimeoutMs: 250 } }, 'worker');
  await waitForRedis(redis, 10_000);
  shardQueues = trackQueueShards(stack.queuePrefix, SHARDS).map(({ name, prefix }) => new Queue(name, { connection: redis, prefix }));
}, 180_000);

afterAll(async () => {
  await stack?.stop();
  await Promise.all(shardQueues.map((queue) => queue.close().catch(() => undefined)));
  await redis?.quit().catch(() => redis.disconnect());
  await cluster?.stop();
});

it('counts every acknowledged event exactly once when a master dies mid-stream and its replica takes over', async () => {
  const tenantIds = await seedScenarioTenants(db.current.dataSource, 16);
  const events = usageWorkload({ tenantIds, total: 20_000, duplicateShare: 0.1, seed: 1_919, label: 'cluster' });
  const shards = trackQueueShards(stack.queuePrefix, SHARDS);
  // The victim: the master of the shard with the most tenants, so the kill hits live traffic.
  const tenantsPerShard = shards.map((_, shard) => tenantIds.filter((id) => trackShardOf(id, SHARDS) === shard).length);
  const busiest = tenantsPerShard.indexOf(Math.max(...tenantsPerShard));
  const victim = await cluster.masterOf(queueKey(shards[busiest]!));

  const acks = new AckLog();
  const tally: StatusTally = {};
  const urls = apis.map((api) => api.url);
  const streaming = sendOverHttp({ urls, events, acks, tally, batchSize: 50, inFlight: 6, pauseMs: 60, retryUntilAccepted: true, giveUpAfterMs: 60_000 });

  // Kill once a fifth of the stream is acknowledged; start the node again once its replica took over.
  while (acks.distinct < 3_000) await new Promise((resolve) => setTimeout(resolve, 50));
  await cluster.kill(victim);
  const promoted = await cluster.waitForFailover(victim);
  await cluster.restart(victim);
  await cluster.waitUntilReplicating(victim);
  await streaming;

  const distinct = new Set(events.map((event) => `${event.tenantId}|${event.idempotencyKey}`)).size;
  expect(acks.distinct).toBe(distinct); // every batch was acknowledged in the end (retries included)
  expect(promoted).not.toBe(victim);
  // The kill was felt: some requests were refused (503, or the connection failed) and retried.
  expect(Object.keys(tally).filter((status) => status !== '202' && status !== '503' && status !== 'network')).toEqual([]);
  expect((tally['503'] ?? 0) + (tally.network ?? 0)).toBeGreaterThan(0);

  for (const queue of shardQueues) expect(await waitForDrain(queue, 60_000)).toBe(0);
  const outcome = await checkLedger(db.current.dataSource, acks, tenantIds);
  recordScenario(`Redis Cluster, ${SHARDS} shards: master SIGKILLed mid-stream, failover`, outcome);
  expect(outcome).toMatchObject({ acknowledged: distinct, stored: distinct, counted: distinct, lost: 0, doubleCounted: 0, unacknowledgedStored: 0 });
  for (const queue of shardQueues) expect(await failedReasons(queue)).toEqual([]);
  // Every shard carried events: the load was spread.
  const completed = await Promise.all(shardQueues.map((queue) => queue.getJobCountByTypes('completed')));
  for (const [shard, count] of completed.entries()) if (tenantsPerShard[shard]! > 0) expect(count).toBeGreaterThan(0);
}, 150_000);

it('shares the per-tenant rate limit across both APIs on the cluster: exactly 10 of 50 usage reads pass', async () => {
  const [tenantId] = await seedScenarioTenants(db.current.dataSource, 1);
  const token = bearerFor(tenantId!, ['user']);
  await awayFromMinuteEnd(10); // all 50 in one rate-limit minute
  const statuses = await Promise.all(
    Array.from({ length: 50 }, async (_, i) => (await fetch(`${apis[i % 2]!.url}/api/v1/usage`, { headers: { authorization: `Bearer ${token}` } })).status),
  );
  expect({ ok: statuses.filter((s) => s === 200).length, limited: statuses.filter((s) => s === 429).length }).toEqual({ ok: 10, limited: 40 });
});

it('shows every track shard in Bull Board', async () => {
  const [tenantId] = await seedScenarioTenants(db.current.dataSource, 1);
  const response = await fetch(`${apis[0]!.url}/admin/queues/api/queues`, { headers: { authorization: `Bearer ${bearerFor(tenantId!, ['operator'])}` } });
  expect(response.status).toBe(200);
  const { queues } = (await response.json()) as { queues: Array<{ name: string }> };
  expect(queues.map((queue) => queue.name).sort()).toEqual(['usage-alerts', 'usage-events-0', 'usage-events-1', 'usage-events-2', 'usage-events-3', 'usage-maintenance']);
});

it('sheds ingest with 503 while any one master is near its maxmemory, and resumes after', async () => {
  const [tenantId] = await seedScenarioTenants(db.current.dataSource, 1);
  const masters = (await cluster.topology()).filter((node) => node.role === 'master' && !node.failed);
  const target = masters[masters.length - 1]!.port;
  const used = Number(/used_memory:(\d+)/.exec(String(await cluster.command(target, 'INFO', 'memory')))![1]);
  const ingest = (key: string) =>
    fetch(`${apis[1]!.url}/api/v1/usage/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearerFor(tenantId!)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ agent: 'inbox', action_type: 'email_processed', resource_id: key, idempotency_key: key }),
    });
  // 90% full on one master only: above the 85% shed line, still below the point where it refuses writes.
  await cluster.command(target, 'CONFIG', 'SET', 'maxmemory', String(Math.ceil(used / 0.9)));
  try {
    const shed = await eventually(async () => {
      const response = await ingest('shed-probe');
      return response.status === 503 ? ((await response.json()) as { detail: string }) : undefined;
    }, 15_000);
    expect(shed.detail).toContain('near its memory limit');
  } finally {
    await cluster.command(target, 'CONFIG', 'SET', 'maxmemory', '0');
  }
  expect((await eventually(async () => ((await ingest('after-shed')).status === 202 ? true : undefined), 15_000))).toBe(true);
});
