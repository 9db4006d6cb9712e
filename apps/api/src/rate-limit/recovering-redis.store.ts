import { RedisStore } from 'rate-limit-redis';
import type { Redis } from 'ioredis';

const rejected = (promise: Promise<unknown> | undefined): Promise<boolean> =>
  promise ? promise.then(() => false, () => true) : Promise.resolve(true);

/**
 * rate-limit-redis loads its Lua scripts once, when the limiter is created. If Redis is away at
 * that moment (the producer connection fails fast), the cached script promise stays rejected and
 * the limiter never works again. This store reloads the scripts once Redis answers again.
 */
export class RecoveringRedisStore extends RedisStore {
  // Set once a call succeeded with the current script promise: the common case then skips the
  // extra promise per request. Any failure clears it, so a later call checks the scripts again.
  private incrementScriptOk = false;

  constructor(redis: Redis, prefix: string) {
    super({
      prefix,
      sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<never>,
    });
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
