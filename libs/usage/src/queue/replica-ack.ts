import { counter, histogram, waitForReplicas } from '@metering/platform';
import type { RedisClient, RedisNodeConnection } from '@metering/platform';

/**
 * An enqueue that Redis took but no replica confirmed in time (Redis Cluster with
 * REDIS_CLUSTER_WAIT_REPLICAS): a failover now could lose it, so it is not acknowledged. The
 * caller retries with the same idempotency keys (the same job ids: nothing is queued twice).
 */
export class EnqueueNotReplicatedError extends Error {
  constructor(
    readonly queue: string,
    readonly acknowledged: number,
    readonly required: number,
  ) {
    super(`queue ${queue}: ${acknowledged} of ${required} replicas confirmed the enqueue in time`);
    this.name = 'EnqueueNotReplicatedError';
  }
}

const replicaWaitSeconds = histogram({
  name: 'usage_enqueue_replica_wait_seconds',
  help: 'Time an enqueue waited for replicas to confirm it (WAIT on the queue\'s master, Redis Cluster only)',
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
});
const notReplicated = counter({
  name: 'usage_enqueue_not_replicated_total',
  help: 'Enqueues refused (503) because no replica confirmed them within REDIS_CLUSTER_WAIT_TIMEOUT_MS',
});

/** How many replicas must confirm an enqueue, and for how long to wait (WAIT numreplicas timeout). */
export interface ReplicaAcknowledgement {
  replicas: number;
  timeoutMs: number;
}

/** The replica acknowledgement a deployment's Redis config asks for: only on a cluster, and only when > 0. */
export function replicaAcknowledgement(redis: { cluster: { waitReplicas: number; waitTimeoutMs: number } | null }): ReplicaAcknowledgement | undefined {
  if (!redis.cluster || redis.cluster.waitReplicas === 0) return undefined;
  return { replicas: redis.cluster.waitReplicas, timeoutMs: redis.cluster.waitTimeoutMs };
}

/**
 * Resolves once `ack.replicas` replicas hold what this connection wrote to the master of `key`
 * (written through `wroteVia`); rejects with EnqueueNotReplicatedError when they did not in time.
 */
export async function confirmReplicated(redis: RedisClient, queue: string, key: string, ack: ReplicaAcknowledgement, wroteVia: RedisNodeConnection): Promise<void> {
  const started = performance.now();
  const acknowledged = await waitForReplicas(redis, key, ack.replicas, ack.timeoutMs, wroteVia);
  replicaWaitSeconds.observe((performance.now() - started) / 1000);
  if (acknowledged < ack.replicas) {
    notReplicated.inc();
    throw new EnqueueNotReplicatedError(queue, acknowledged, ack.replicas);
  }
}
