import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { createLogger, createRedisConnection, waitForRedis } from '@metering/platform';
import { LEASE_SHARE, LEASE_TIMEOUT_MS, LeasedWindowBudget } from '../src/rate-limit/leased-window-budget';
import type { BudgetDecision } from '../src/rate-limit/leased-window-budget';
import { deadRedis } from './support/api-harness';

const logger = createLogger({ level: 'error', json: true, service: 'test' });
let redis: Redis;

beforeAll(async () => {
  redis = createRedisConnection(process.env.REDIS_URL!, 'producer');
  await waitForRedis(redis);
});
afterAll(async () => {
  await redis.quit();
});

/** A fixed clock in the middle of a window, so a test never straddles two. */
const clock = () => 30_000 + 60_000 * 1_000_000;

/** Budgets over one shared prefix: as many API processes of one deployment would hold them. */
function fleet(processes: number, limits: number[]): { budgets: LeasedWindowBudget[]; prefix: string } {
  const prefix = `test:lease:${randomUUID()}:`;
  const budgets = Array.from({ length: processes }, () => new LeasedWindowBudget({ redis, name: 'test', keyPrefix: prefix, limits, logger, now: clock }));
  return { budgets, prefix };
}

const take = (budget: LeasedWindowBudget, key: string, amounts: number[]): Promise<BudgetDecision> => Promise.resolve(budget.take(key, amounts));

/** What the fleet has leased in Redis for a key (the hash field per dimension). */
async function leased(prefix: string, key: string, dimension = 1): Promise<number> {
  return Number((await redis.hget(`${prefix}${key}:${Math.floor(clock() / 60_000)}`, String(dimension))) ?? 0);
}

describe('LeasedWindowBudget', () => {
  it('never lets a fleet of processes admit more than the limit, under concurrent requests', async () => {
    const limit = 1_000;
    const { budgets } = fleet(3, [limit]);
    // 3 processes, 1,500 concurrent requests of one tenant spread over them.
    const decisions = await Promise.all(Array.from({ length: 1_500 }, (_, i) => take(budgets[i % 3]!, 'tenant-a', [1])));
    const allowed = decisions.filter((d) => d.allowed).length;
    expect(allowed).toBeLessThanOrEqual(limit);
    // Early refusals are bounded by what the other processes may hold unused (a lease share each).
    expect(allowed).toBeGreaterThanOrEqual(limit - 2 * Math.ceil(limit * LEASE_SHARE));
  });

  it('is exact near the limit: each request asks Redis once a share is below one request', async () => {
    const { budgets, prefix } = fleet(2, [10]);
    const [first, second] = budgets as [LeasedWindowBudget, LeasedWindowBudget];
    const remaining: number[] = [];
    for (let i = 0; i < 5; i += 1) remaining.push((await take(first, 't', [1])).remaining[0]!);
    for (let i = 0; i < 5; i += 1) remaining.push((await take(second, 't', [1])).remaining[0]!);
    expect(remaining).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(await leased(prefix, 't')).toBe(10);
    expect((await take(first, 't', [1])).allowed).toBe(false);
    expect((await take(second, 't', [1])).allowed).toBe(false);
    // Once a process has seen the window spent, it refuses without asking Redis.
    const refusal = first.take('t', [1]);
    expect(refusal instanceof Promise).toBe(false);
    expect((await refusal).allowed).toBe(false);
  });

  it('far from the limit, spends a leased share in memory: one Redis call per share, not per request', async () => {
    const { budgets, prefix } = fleet(1, [1_600_000]);
    const budget = budgets[0]!;
    const first = await take(budget, 't', [1]);
    expect(first.allowed).toBe(true);
    // One lease of 1/16 of the window's budget, spent by the following requests without Redis.
    expect(await leased(prefix, 't')).toBe(100_000);
    let synchronous = 0;
    for (let i = 0; i < 1_000; i += 1) {
      const decision = budget.take('t', [1]);
      if (!(decision instanceof Promise)) synchronous += 1;
      expect((await decision).allowed).toBe(true);
    }
    expect(synchronous).toBe(1_000);
    expect(await leased(prefix, 't')).toBe(100_000);
  });

  it('spends nothing for a request that does not fit, in any dimension, and keeps tenants apart', async () => {
    const { budgets, prefix } = fleet(1, [1_000, 50_000]);
    const budget = budgets[0]!;
    expect((await take(budget, 'busy', [600, 10_000])).allowed).toBe(true);
    expect((await take(budget, 'busy', [600, 10_000])).allowed).toBe(false); // events do not fit
    expect((await take(budget, 'busy', [10, 45_000])).allowed).toBe(false); // bytes do not fit
    expect((await take(budget, 'busy', [400, 10_000])).allowed).toBe(true); // what fits still fits
    expect(await leased(prefix, 'busy', 1)).toBe(1_000);
    expect((await take(budget, 'quiet', [600, 10_000])).allowed).toBe(true);
  });

  it('allows (fails open) while Redis is unreachable, without a call per request', async () => {
    const dead = await deadRedis();
    try {
      const budget = new LeasedWindowBudget({ redis: dead.redis, name: 'test', keyPrefix: 'test:dead:', limits: [1], logger, now: clock });
      const decisions = await Promise.all(Array.from({ length: 20 }, () => take(budget, 't', [1])));
      expect(decisions.every((d) => d.allowed)).toBe(true);
    } finally {
      await dead.close();
    }
  });

  it('fails open when a lease call hangs (a master killed mid-command), without holding the waiting requests', async () => {
    // Accepts connections and never answers: commands wait as on a master that died mid-command.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const hung = createRedisConnection(`redis://127.0.0.1:${(silent.address() as AddressInfo).port}`, 'producer', { enableReadyCheck: false, enableOfflineQueue: true });
    hung.on('error', () => undefined);
    try {
      const budget = new LeasedWindowBudget({ redis: hung, name: 'test', keyPrefix: 'test:hung:', limits: [10], logger, now: clock });
      const started = Date.now();
      const decisions = await Promise.all(Array.from({ length: 20 }, () => take(budget, 't', [1])));
      expect(decisions.every((d) => d.allowed)).toBe(true);
      expect(Date.now() - started).toBeLessThan(LEASE_TIMEOUT_MS * 4);
    } finally {
      hung.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
