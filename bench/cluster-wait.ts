/**
 * What the replica wait costs (`npx tsx bench/cluster-wait.ts`): the producer client's enqueue of
 * single events on a real 3-master Redis Cluster (a replica each, loopback), with
 * REDIS_CLUSTER_WAIT_REPLICAS=0 and =1, one at a time (latency) and 100 in flight (throughput),
 * and the single Redis of REDIS_URL for reference. Rounds alternate between the settings and the
 * median is reported, so load from other processes hits every setting alike. No worker runs: this
 * is the enqueue alone, the part the API waits for before its 202.
 */
import { closeRedis, createRedisClient, createRedisConnection, parseClusterNodes, waitForRedis } from '@metering/platform';
import type { RedisClient } from '@metering/platform';
import { randomBytes } from 'node:crypto';
import { TestRedisCluster, testRunKeyPattern, uniqueQueuePrefix } from '@metering/testing';
import { AgentType, ActionType, DEFAULT_OCCURRED_AT_WINDOW, createUsageClient } from '@metering/usage';
import type { ReplicaAcknowledgement } from '@metering/usage';

// Queue prefixes of this run only, so the single Redis is cleaned of exactly what this run wrote.
process.env.TEST_RUN_ID = `cluster-wait-${randomBytes(4).toString('hex')}`;
const EVENTS = 3_000;
const ROUNDS = 5;
const TENANTS = Array.from({ length: 64 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);

interface Setting {
  name: string;
  redis: RedisClient;
  replicaAck?: ReplicaAcknowledgement;
}

interface Sample {
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const quantile = (values: number[], q: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * q))]!;

async function measure(setting: Setting, inFlight: number, round: number): Promise<Sample> {
  const prefix = uniqueQueuePrefix();
  const client = createUsageClient({ redis: setting.redis, prefix, shards: 4, replicaAck: setting.replicaAck, window: DEFAULT_OCCURRED_AT_WINDOW });
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < EVENTS) {
        const i = next++;
        const key = `wait-${round}-${i}`;
        const at = performance.now();
        await client.track({ tenantId: TENANTS[i % TENANTS.length]!, agent: AgentType.Inbox, actionType: ActionType.EmailProcessed, resourceId: key, idempotencyKey: key });
        latencies.push(performance.now() - at);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await client.close();
  return { perSecond: EVENTS / seconds, p50Ms: quantile(latencies, 0.5), p99Ms: quantile(latencies, 0.99) };
}

async function main(): Promise<void> {
  const cluster = await TestRedisCluster.start();
  const clusterConfig = { url: '', cluster: { nodes: parseClusterNodes(cluster.seeds).nodes, waitReplicas: 1, waitTimeoutMs: 250 } };
  const onCluster = createRedisClient(clusterConfig, 'producer', { enableAutoPipelining: true });
  const single = createRedisConnection(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'producer', { enableAutoPipelining: true });
  await Promise.all([waitForRedis(onCluster, 10_000), waitForRedis(single, 10_000)]);
  const settings: Setting[] = [
    { name: 'single Redis', redis: single },
    { name: 'cluster, no wait', redis: onCluster },
    { name: 'cluster, WAIT 1', redis: onCluster, replicaAck: { replicas: 1, timeoutMs: 250 } },
  ];
  try {
    const rows: string[] = [];
    for (const inFlight of [1, 100]) {
      const samples = new Map(settings.map((setting) => [setting.name, [] as Sample[]]));
      for (let round = 0; round < ROUNDS; round++) {
        for (const setting of settings) samples.get(setting.name)!.push(await measure(setting, inFlight, round * 10 + inFlight));
      }
      for (const setting of settings) {
        const list = samples.get(setting.name)!;
        rows.push(
          `| ${setting.name} | ${inFlight} | ${Math.round(median(list.map((s) => s.perSecond)))} | ${median(list.map((s) => s.p50Ms)).toFixed(2)} | ${median(list.map((s) => s.p99Ms)).toFixed(2)} |`,
        );
      }
    }
    process.stdout.write(['| setting | in flight | enqueues/s | p50 ms | p99 ms |', '| --- | --- | --- | --- | --- |', ...rows].join('\n') + '\n');
  } finally {
    for (let cursor = '0'; ; ) {
      const [nextCursor, keys] = await single.scan(cursor, 'MATCH', testRunKeyPattern(process.env.TEST_RUN_ID!), 'COUNT', 1000);
      if (keys.length > 0) await single.del(...keys);
      if (nextCursor === '0') break;
      cursor = nextCursor;
    }
    await closeRedis(onCluster);
    await closeRedis(single);
    await cluster.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  },
);
