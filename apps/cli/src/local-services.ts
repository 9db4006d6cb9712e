import path from 'node:path';
import { databaseSection, loadConfigSections, redisSection } from '@metering/platform';

/** A service URL for one CLI run, and how to stop whatever was started to serve it. */
export interface ServiceUrl {
  url: string;
  stop: () => Promise<void>;
}

type DevPackage = typeof import('@metering/dev');

const noop = async (): Promise<void> => undefined;
const ROOT = path.resolve(__dirname, '../../..');

/**
 * @metering/dev finds (or starts) a local Postgres / Redis in a development checkout. It is a
 * development package that production images do not contain, so it is loaded only when `variable`
 * is missing, and its absence is reported as the missing variable.
 */
async function loadDevPackage(variable: 'DATABASE_URL' | 'REDIS_URL'): Promise<DevPackage> {
  try {
    return await import('@metering/dev');
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'MODULE_NOT_FOUND' && code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new Error(`${variable} is not set, and @metering/dev (which finds local services in a development checkout) is not installed here: set ${variable}`);
  }
}

/** `DATABASE_URL`, or in development the local / embedded Postgres `npm start` uses (database `DATABASE_NAME`). */
export async function cliDatabaseUrl(env: NodeJS.ProcessEnv): Promise<ServiceUrl> {
  // Validated as the API and workers validate it, so a bad URL is named, not a driver error.
  if (env.DATABASE_URL) return { url: loadConfigSections([databaseSection], env).database.url, stop: noop };
  const dev = await loadDevPackage('DATABASE_URL');
  const services = await dev.resolveRuntimeServices({
    env,
    dataRoot: path.join(ROOT, '.data'),
    databaseName: env.DATABASE_NAME ?? 'usage_metering',
    needRedis: false,
  });
  return { url: services.databaseUrl, stop: services.stop };
}

/** `REDIS_URL`, or in development a local Redis (or a `redis-server` started for this run). */
export async function cliRedisUrl(env: NodeJS.ProcessEnv): Promise<ServiceUrl> {
  if (env.REDIS_URL) return { url: loadConfigSections([redisSection], env).redis.url, stop: noop };
  const dev = await loadDevPackage('REDIS_URL');
  const redis = await dev.resolveRedis(env);
  return { url: redis.url, stop: redis.stop };
}
