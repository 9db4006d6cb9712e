import type { Logger, RedisClient } from '@metering/platform';

/** What a `take` decided, with what the caller's headers need. */
export interface BudgetDecision {
  allowed: boolean;
  /** Per dimension: what the fleet has left in this window, as this process knows it. */
  remaining: number[];
  /** When the window ends (epoch ms): the reset time and Retry-After. */
  resetAtMs: number;
}

export interface LeasedWindowBudgetOptions {
  redis: RedisClient;
  /** Names the budget in logs. */
  name: string;
  /** Redis key prefix (including the budget's name); the key ends with the caller's key and the window. */
  keyPrefix: string;
  /** Per dimension (e.g. [requests] or [events, bytes]): what one key may spend per window. */
  limits: readonly number[];
  windowMs?: number;
  logger: Logger;
  now?: () => number;
}

/**
 * A lease is at most this share of what the fleet has left in the window: the most a process can
 * hold unused, so the most the others may be refused early by each process.
 */
export const LEASE_SHARE = 1 / 16;
/** Entries (key x window) a process remembers; beyond it the table is dropped (leases are forfeited). */
const MAX_ENTRIES = 100_000;

// KEYS[1]: one hash per key and window, field per dimension (one key: one slot on Redis Cluster).
// ARGV: window ttl, then per dimension: needed, wanted (>= needed), limit. Grants nothing unless
// every dimension's `needed` fits, so a request that does not fit spends nothing; otherwise grants
// what is wanted, capped by what is left. Returns {fits, used after, granted} per dimension.
const LEASE_SCRIPT = `
local n = (#ARGV - 1) / 3
local used = {}
for i = 1, n do
  used[i] = tonumber(redis.call('HGET', KEYS[1], tostring(i)) or '0')
  if tonumber(ARGV[1 + 3 * i - 2]) > tonumber(ARGV[1 + 3 * i]) - used[i] then
    local out = {0}
    for j = 1, n do out[#out + 1] = tonumber(redis.call('HGET', KEYS[1], tostring(j)) or '0') end
    return out
  end
end
local out = {1}
local granted = {}
for i = 1, n do
  local left = tonumber(ARGV[1 + 3 * i]) - used[i]
  granted[i] = math.min(tonumber(ARGV[1 + 3 * i - 1]), left)
  out[#out + 1] = redis.call('HINCRBY', KEYS[1], tostring(i), granted[i])
end
for i = 1, n do out[#out + 1] = granted[i] end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return out`;

type LeaseRedis = RedisClient & { leaseWindowBudget(key: string, ...args: Array<string | number>): Promise<number[]> };

interface Entry {
  window: number;
  /** Per dimension: leased by this process and not spent yet. */
  held: number[];
  /** Per dimension: spent or leased by the whole fleet, as of this process's last lease. */
  fleetUsed: number[];
  /** The lease call in flight for this entry, which other requests for the key wait for. */
  leasing: Promise<unknown> | null;
  /** Until when requests are allowed without asking Redis, because it just failed (fail open). */
  openUntil: number;
}

/** After a failed lease call, how long a key is allowed without asking Redis again. */
const FAIL_OPEN_MS = 1000;
/**
 * How long a lease call may take before it counts as failed. Requests of a key wait for the lease
 * in flight, so a call that hangs (a Redis Cluster master killed mid-command, its slots not yet
 * failed over) must not hold them all: past this the key fails open like on an error.
 */
export const LEASE_TIMEOUT_MS = 500;

/**
 * A per-key, per-window budget shared by every API process, spent mostly without a Redis round
 * trip: a process leases a share of the window's budget from Redis (one atomic script call) and
 * spends it in memory; a request that does not fit what is held asks for a new lease. A lease is
 * at most LEASE_SHARE of what the fleet has left (and at least what the request needs), so far
 * from the limit a busy tenant costs one Redis call per ~1/16 of its budget, and near the limit
 * (when 1/16 of what is left is below one request) every request asks Redis, as an exact
 * per-request counter would.
 *
 * Guarantees: the fleet never spends more than the limit in a window (leases are taken atomically
 * and never exceed what is left). What a process holds unused at the window's end is forfeited,
 * so a tenant may be refused while up to LEASE_SHARE of what was left when each other process last
 * leased is still unspent there: early, never late. A request that does not fit spends nothing.
 * Windows are fixed (epoch-aligned) and per key.
 *
 * When Redis does not answer, `take` allows (fails open, logged at most every 10 s): limits
 * protect capacity, and a Redis outage must not turn usage reads into errors.
 */
export class LeasedWindowBudget {
  private readonly redis: LeaseRedis;
  private readonly windowMs: number;
  private readonly now: () => number;
  private readonly entries = new Map<string, Entry>();
  private lastWarning = 0;

  constructor(private readonly options: LeasedWindowBudgetOptions) {
    this.redis = options.redis as LeaseRedis;
    if (typeof this.redis.leaseWindowBudget !== 'function') this.redis.defineCommand('leaseWindowBudget', { numberOfKeys: 1, lua: LEASE_SCRIPT });
    this.windowMs = options.windowMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  get limits(): readonly number[] {
    return this.options.limits;
  }

  /**
   * Spends `amounts` (one per dimension) for `key` when they fit. Answers synchronously when the
   * lease held in memory covers them (the common case), else after one Redis call.
   */
  take(key: string, amounts: readonly number[]): BudgetDecision | Promise<BudgetDecision> {
    const window = Math.floor(this.now() / this.windowMs);
    const entry = this.entryFor(key, window);
    if (entry.openUntil > this.now()) return this.decision(entry, true);
    if (entry.leasing) return entry.leasing.then(() => this.take(key, amounts));
    if (amounts.every((amount, i) => amount <= entry.held[i]!)) {
      amounts.forEach((amount, i) => (entry.held[i]! -= amount));
      return this.decision(entry, true);
    }
    // The fleet has spent a whole dimension of this window: nothing more can fit until it ends, so
    // a flood past the limit is refused here, not with a Redis call per request.
    if (this.options.limits.some((limit, i) => entry.fleetUsed[i]! >= limit && amounts[i]! > entry.held[i]!)) return this.decision(entry, false);
    const lease = this.lease(key, entry, amounts);
    entry.leasing = lease.finally(() => (entry.leasing = null));
    return lease;
  }

  private entryFor(key: string, window: number): Entry {
    let entry = this.entries.get(key);
    if (entry && entry.window === window) return entry;
    if (!entry && this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const dimensions = this.options.limits.length;
    entry = { window, held: new Array<number>(dimensions).fill(0), fleetUsed: new Array<number>(dimensions).fill(0), leasing: null, openUntil: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  private async lease(key: string, entry: Entry, amounts: readonly number[]): Promise<BudgetDecision> {
    const args: number[] = [2 * this.windowMs];
    this.options.limits.forEach((limit, i) => {
      const needed = Math.max(0, amounts[i]! - entry.held[i]!);
      const share = Math.floor(Math.max(0, limit - entry.fleetUsed[i]!) * LEASE_SHARE);
      args.push(needed, Math.max(needed, share), limit);
    });
    let reply: number[];
    let timer: NodeJS.Timeout | undefined;
    try {
      const call = this.redis.leaseWindowBudget(`${this.options.keyPrefix}${key}:${entry.window}`, ...args);
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${LEASE_TIMEOUT_MS} ms`)), LEASE_TIMEOUT_MS);
      });
      // A late answer is dropped: what it leased stays unspent (early refusals, never too many).
      call.catch(() => undefined);
      reply = (await Promise.race([call, late])).map(Number);
    } catch (error) {
      this.warn(error);
      entry.openUntil = this.now() + FAIL_OPEN_MS;
      return this.decision(entry, true);
    } finally {
      clearTimeout(timer);
    }
    const dimensions = this.options.limits.length;
    const fits = reply[0] === 1;
    for (let i = 0; i < dimensions; i += 1) {
      entry.fleetUsed[i] = reply[1 + i]!;
      if (fits) entry.held[i]! += reply[1 + dimensions + i]! - amounts[i]!;
    }
    return this.decision(entry, fits);
  }

  private decision(entry: Entry, allowed: boolean): BudgetDecision {
    return {
      allowed,
      remaining: this.options.limits.map((limit, i) => Math.max(0, limit - entry.fleetUsed[i]! + entry.held[i]!)),
      resetAtMs: (entry.window + 1) * this.windowMs,
    };
  }

  private warn(error: unknown): void {
    const at = this.now();
    if (at - this.lastWarning < 10_000) return;
    this.lastWarning = at;
    this.options.logger.warn('rate limit store unavailable; allowing requests', {
      limiter: this.options.name,
      error: error instanceof Error ? error.message : String(error),
    });
  }
}
