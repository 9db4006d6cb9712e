import { keySlot } from '@metering/platform';
import { deploymentQueues, queueKey, trackQueueShards, trackShardOf } from '@metering/usage';

describe('track queue shards', () => {
  it('keep one shard as the single usage-events queue under QUEUE_PREFIX', () => {
    expect(trackQueueShards('{metering}', 1)).toEqual([{ kind: 'usage-events', name: 'usage-events', prefix: '{metering}' }]);
    expect(deploymentQueues('{metering}', 1).map((q) => `${q.prefix}:${q.name}`)).toEqual([
      '{metering}:usage-events',
      '{metering}:usage-maintenance',
      '{metering}:usage-alerts',
    ]);
  });

  it('give each of N shards its own name and hash tag, so each has a slot of its own', () => {
    const shards = trackQueueShards('app:{metering}', 3);
    expect(shards.map((s) => [s.name, s.prefix])).toEqual([
      ['usage-events-0', 'app:{metering:usage-events-0}'],
      ['usage-events-1', 'app:{metering:usage-events-1}'],
      ['usage-events-2', 'app:{metering:usage-events-2}'],
    ]);
    expect(new Set(shards.map((s) => keySlot(queueKey(s)))).size).toBe(3);
    // Every key of one shard hashes to one slot, whatever follows the prefix.
    for (const shard of shards) expect(keySlot(`${shard.prefix}:${shard.name}:wait`)).toBe(keySlot(queueKey(shard)));
    expect(trackQueueShards('plain', 2).map((s) => s.prefix)).toEqual(['plain:{usage-events-0}', 'plain:{usage-events-1}']);
    expect(() => trackQueueShards('{metering}', 0)).toThrow('positive integer');
  });

  it('map a tenant to the same shard every time, and spread tenants over all shards', () => {
    const tenants = Array.from({ length: 400 }, (_, i) => `3f1b2c4d-1111-4222-8333-${String(i).padStart(12, '0')}`);
    const counts = [0, 0, 0, 0];
    for (const tenant of tenants) {
      const shard = trackShardOf(tenant, 4);
      expect(trackShardOf(tenant, 4)).toBe(shard);
      counts[shard]! += 1;
    }
    for (const count of counts) expect(count).toBeGreaterThan(60);
    expect(trackShardOf(tenants[0]!, 1)).toBe(0);
  });
});
