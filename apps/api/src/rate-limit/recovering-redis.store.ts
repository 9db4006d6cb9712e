import { RedisStore } from 'rate-limit-redis';
import { isRedisCluster, redisMasters } from '@metering/platform';
import type { RedisClient } from '@metering/platform';

const rejected = (promise: Promise<unknown> | undefined): Promise<boolean> =>
  promise ? promise.then(() => false, () => true) : Promise.resolve(true);

type Send = ConstructorParameters<typeof RedisStore>[0];

/**
 * How the store talks to Redis. On a cluster, SCRIPT LOAD has no key to route by: it goes to
 * every master, so the EVALSHA that follows (routed by its key) finds the script wherever the
 * key lives; a master promoted by a failover answers NOSCRIPT once and the store loads again.
 */
function sender(redis: RedisClient): Send {
  if (!isRedisCluster(redis)) return { sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never> };
  return {
    sendCommandCluster: async ({ command: [name, ...args] }) => {
      if (name !== 'SCRIPT') return redis.call(name!, ...args) as Promise<never>;
      const masters = redisMasters(redis);
      if (masters.length === 0) throw new Error('Redis Cluster is not connected yet');
      const [sha] = await Promise.all(masters.map((master) => master.call('SCRIPT', ...args)));
      return sha as never;
    },
  };
}

/**
 * rate-limit-redis loads its Lua scripts once, when the limiter is created. If Redis is away at
 * that moment (the producer connection fails fast), the cached script promise stays rejected and
 * the limiter never works again. This store reloads the scripts once Redis answers again.
 */
export class RecoveringRedisStore extends RedisStore {
  // Set once a call succeeded with the current script promise: the common case then skips the
  // extra promise per request. Any failure clears it, so a later call checks the scripts again.
  private incrementScriptOk = false;

  constructor(redis: RedisClient, prefix: string) {
    super({ prefix, ...sender(redis) });
  }

  override async increment(key: string): ReturnType<RedisStore['increment']> {
    if (!this.incrementScriptOk && (await rejected(this.incrementScriptSha))) this.incrementScriptSha = this.loadIncrementScript();
    try {
      const result = await super.increment(key);
      this.incrementScriptOk = true;
      return result;
    } catch (error) {
      this.incrementScriptOk = false;
      throw error;
    }
  }

  override async get(key: string): ReturnType<RedisStore['get']> {
    if (await rejected(this.getScriptSha)) this.getScriptSha = this.loadGetScript();
    return super.get(key);
  }
}
