import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import Redis from 'ioredis';
import { freePort } from '@metering/testing';

/** A redis-server of one test's own (a memory limit of its own, without touching the shared Redis). */
export interface OwnRedis {
  url: string;
  client: Redis;
  stop(): Promise<void>;
}

/** Starts `redis-server` (Debian package redis-server) on a free loopback port with the given maxmemory. */
export async function startOwnRedis(maxmemory: string): Promise<OwnRedis> {
  const port = await freePort();
  const server: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--maxmemory', maxmemory, '--maxmemory-policy', 'noeviction'],
    { stdio: 'ignore' },
  );
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 3 });
  for (let attempt = 0; ; attempt++) {
    try {
      await client.connect();
      await client.ping();
      break;
    } catch (error) {
      if (attempt > 50) throw error;
      client.disconnect();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return {
    url,
    client,
    stop: async () => {
      await client.quit().catch(() => client.disconnect());
      if (server.exitCode === null) {
        const exited = new Promise((resolve) => server.once('exit', resolve));
        server.kill('SIGTERM');
        await exited;
      }
    },
  };
}
