import { QUEUES } from './queue-names';
import type { QueueName } from './queue-names';

/** Where one BullMQ queue lives: its name and the prefix its keys start with. */
export interface QueueAddress {
  /** What the queue carries (the worker's handlers and WORKER_QUEUES speak of this). */
  kind: QueueName;
  /** The BullMQ queue name, unique in the deployment (Bull Board and metrics show it). */
  name: string;
  prefix: string;
}

/**
 * The track queues of a deployment (USAGE_QUEUE_SHARDS). One shard is today's queue:
 * `usage-events` under QUEUE_PREFIX, so an existing deployment keeps its queue. With N > 1,
 * shard i is `usage-events-i` under QUEUE_PREFIX with the shard in its hash tag
 * (`{metering}` -> `{metering:usage-events-i}`): all keys of one shard share a slot, as BullMQ's
 * scripts need, and the shards' slots differ, so a Redis Cluster spreads them over its masters.
 */
export function trackQueueShards(prefix: string, shards: number): QueueAddress[] {
  if (!Number.isInteger(shards) || shards < 1) throw new Error(`track queue shards must be a positive integer, got ${shards}`);
  if (shards === 1) return [{ kind: QUEUES.usageEvents, name: QUEUES.usageEvents, prefix }];
  return Array.from({ length: shards }, (_, shard) => {
    const name = `${QUEUES.usageEvents}-${shard}`;
    const tagged = /\{([^{}]+)\}/.test(prefix) ? prefix.replace(/\{([^{}]+)\}/, `{$1:${name}}`) : `${prefix}:{${name}}`;
    return { kind: QUEUES.usageEvents, name, prefix: tagged };
  });
}

/** Every queue of a deployment: the track shards, then the maintenance and alert queues. */
export function deploymentQueues(prefix: string, shards: number): QueueAddress[] {
  return [
    ...trackQueueShards(prefix, shards),
    { kind: QUEUES.usageMaintenance, name: QUEUES.usageMaintenance, prefix },
    { kind: QUEUES.usageAlerts, name: QUEUES.usageAlerts, prefix },
  ];
}

/**
 * The shard of a tenant: FNV-1a of its id, modulo the shard count. Stable across processes and
 * restarts, so every producer puts one tenant's events in one queue, in the order it accepted them.
 */
export function trackShardOf(tenantId: string, shards: number): number {
  if (shards === 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < tenantId.length; i++) {
    hash ^= tenantId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

/** A key of the queue (its meta hash): what WAIT and the slot of the queue are asked about. */
export function queueKey(address: Pick<QueueAddress, 'name' | 'prefix'>): string {
  return `${address.prefix}:${address.name}:meta`;
}
