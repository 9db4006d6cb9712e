import type { DataSource } from 'typeorm';
import type { Logger, RedisClient } from '@metering/platform';

export interface WaitOptions {
  logger: Logger;
  /** Pause between attempts. */
  retryMs: number;
  /** Checked between attempts: stop waiting once the process is shutting down. */
  cancelled: () => boolean;
}

/** Thrown when shutdown began before the dependencies answered. */
export class StartCancelledError extends Error {
  constructor() {
    super('start cancelled by shutdown');
    this.name = 'StartCancelledError';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function retry<T>(what: string, attempt: () => Promise<T>, options: WaitOptions): Promise<T> {
  for (let tries = 1; ; tries++) {
    if (options.cancelled()) throw new StartCancelledError();
    try {
      const result = await attempt();
      if (tries > 1) options.logger.info(`${what} is answering`, { tries });
      return result;
    } catch (error) {
      options.logger.warn(`waiting for ${what}`, { tries, error: String(error) });
      await sleep(options.retryMs);
    }
  }
}

/**
 * A DataSource that has answered `SELECT 1`. Each attempt uses a fresh DataSource, so a failed
 * start leaves no half-initialized pool behind.
 */
export function waitForPostgres(create: () => DataSource, options: WaitOptions): Promise<DataSource> {
  return retry(
    'Postgres',
    async () => {
      const dataSource = create();
      try {
        await dataSource.initialize();
        await dataSource.query('SELECT 1');
        return dataSource;
      } catch (error) {
        if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
        throw error;
      }
    },
    options,
  );
}

/** Resolves once Redis answers PING (the worker connection reconnects on its own meanwhile). */
export async function waitForRedisPing(redis: RedisClient, options: WaitOptions & { timeoutMs?: number }): Promise<void> {
  await retry(
    'Redis',
    async () => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('PING timed out')), options.timeoutMs ?? 2000);
      });
      try {
        const reply = await Promise.race([redis.ping(), timeout]);
        if (reply !== 'PONG') throw new Error(`unexpected PING reply ${reply}`);
      } finally {
        clearTimeout(timer);
      }
    },
    options,
  );
}
